import Dispatch
import Foundation
import LeakHistory
import Logging
import Synchronization

/// The server's connections to one history file: a single writer, whose
/// writes are serialised, and a few readers, each confined to its own thread.
///
/// ```swift
/// let database = try HistoryDatabase(path: "leaks.sqlite", logger: logger)
/// let report = try await database.read { reader in
///     try reader.report(source: "default", window: window)
/// }
/// let stored = try await database.write { writer in try writer.ingest(events, atomic: true).stored }
/// await database.close()
/// ```
///
/// `HistoryReader` and `HistoryWriter` block on SQLite and are not
/// thread-safe, so they never run on Swift's cooperative pool: each
/// connection has a serial dispatch queue, and work hops there and back. In
/// WAL mode the readers never wait for the writer, and the writer never waits
/// for them. Opening creates the file (mode 0600) and migrates it.
public final class HistoryDatabase: Sendable {
    public let path: String
    private let logger: Logger
    private let writer: ConnectionSlot<HistoryWriter>
    private let readers: [ConnectionSlot<HistoryReader>]
    /// Set at open when SQLite could open the file only for reading.
    private let readOnlyReason: String?
    private let readOnlyOpened: Atomic<Bool>
    private let lastWriteFailure = Mutex<StorageFailure?>(nil)

    /// How long a request's write waits for another process's transaction
    /// before it answers 503: shorter than a CLI writer's, as requests queue behind it.
    public static let defaultBusyTimeoutMilliseconds: Int32 = 15_000

    /// Opens the writer now (creating and migrating the file), the readers on first use.
    public init(path: String, readerConnections: Int = 4,
                maxComponentsPerSource: Int = HistoryWriter.defaultMaxComponentsPerSource,
                busyTimeoutMilliseconds: Int32 = HistoryDatabase.defaultBusyTimeoutMilliseconds, logger: Logger) throws {
        self.path = path
        self.logger = logger
        let open = { try HistoryWriter(path: path, maxComponentsPerSource: maxComponentsPerSource,
                                       busyTimeoutMilliseconds: busyTimeoutMilliseconds, logger: logger) }
        let opened = try open()
        readOnlyReason = "the database file '\(path)' is read-only (its mode, owner or file system does not allow writing): events cannot be stored"
        readOnlyOpened = Atomic(opened.isReadOnly)
        if opened.isReadOnly { logger.warning("the database opened read-only: writes will fail", metadata: ["db.path": "\(path)"]) }
        writer = ConnectionSlot(label: "LeakHistory.server.writer", logger: logger, initial: opened,
                                open: open,
                                close: { try $0.close() })
        readers = (0..<max(1, readerConnections)).map { index in
            ConnectionSlot(label: "LeakHistory.server.reader.\(index)", logger: logger, initial: nil,
                           open: { try HistoryReader(path: path, logger: logger) },
                           close: { try $0.close() })
        }
        logger.info("opened history database", metadata: ["db.path": "\(path)", "db.readers": "\(readers.count)"])
    }

    /// Runs `body` with a reader connection on that connection's thread; the
    /// least busy reader takes it.
    public func read<T: Sendable>(_ body: @escaping @Sendable (HistoryReader) throws -> T) async throws -> T {
        let slot = readers.min { $0.queued < $1.queued }!
        return try await slot.run(body)
    }

    /// Runs `body` with the writer connection; writes run one at a time, in order of arrival.
    ///
    /// A write that fails for where the file lives (read-only, full disk,
    /// locked for too long, gone) throws `HistoryDatabaseError.storage`, which
    /// says so (the server answers 503, 507 for a full disk), and, until a
    /// write succeeds again, `writeProblem` reports it.
    public func write<T: Sendable>(_ body: @escaping @Sendable (HistoryWriter) throws -> T) async throws -> T {
        do {
            let result = try await writer.run(body)
            lastWriteFailure.withLock { $0 = nil }
            readOnlyOpened.store(false, ordering: .relaxed)
            return result
        } catch {
            guard let failure = StorageFailure(error, path: path) else { throw error }
            logger.warning("write failed", metadata: ["db.path": "\(path)", "error": "\(error)"])
            if failure.kind != .busy { lastWriteFailure.withLock { $0 = failure } }
            throw HistoryDatabaseError.storage(failure)
        }
    }

    /// Why writes fail, when the last one failed for where the file lives (or
    /// the file opened read-only); nil once a write succeeds.
    public var writeProblem: String? {
        lastWriteFailure.withLock { $0?.message } ?? (readOnlyOpened.load(ordering: .relaxed) ? readOnlyReason : nil)
    }

    /// A connection of its own, for work that holds one for long (a streamed
    /// export): the caller owns it and closes it, on the thread that uses it.
    public func openDedicatedReader() throws -> HistoryReader {
        try HistoryReader(path: path, logger: logger)
    }

    /// Waits for queued work, then closes every connection. Work that arrives
    /// later fails with 503.
    public func close() async {
        await writer.close()
        for reader in readers { await reader.close() }
        logger.info("closed history database", metadata: ["db.path": "\(path)"])
    }
}

/// Why `HistoryDatabase` could not run a job, in words a client can act on.
/// It says nothing of HTTP: the server maps it to a status
/// (`JSONErrorMiddleware`), another embedder to whatever it answers with.
public enum HistoryDatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the file lives keeps the write from happening: read-only, a full
    /// disk, another writer holding it too long, the file gone.
    case storage(StorageFailure)
    /// `close()` was called; nothing more runs.
    case closed

    public var description: String {
        switch self {
        case .storage(let failure) where failure.kind == .busy: failure.message + "; retry shortly"
        case .storage(let failure): failure.message + "; nothing of this request was stored"
        case .closed: "the history database is closed (the server is shutting down)"
        }
    }
}

/// One connection and the serial queue that owns it. The connection is only
/// touched on `queue`, which is what makes the unchecked `Sendable` sound.
private final class ConnectionSlot<Connection>: @unchecked Sendable {
    private let queue: DispatchQueue
    private let logger: Logger
    private let open: () throws -> Connection
    private let closeConnection: (Connection) throws -> Void
    /// Confined to `queue`.
    private var connection: Connection?
    /// Confined to `queue`.
    private var closed = false
    private let pending = Atomic<Int>(0)

    init(label: String, logger: Logger, initial: Connection?, open: @escaping () throws -> Connection,
         close: @escaping (Connection) throws -> Void) {
        queue = DispatchQueue(label: label)
        self.logger = logger
        self.open = open
        closeConnection = close
        connection = initial
    }

    deinit {
        // Nothing else can reach the connection any more, so closing it here
        // on the releasing thread is safe; the store asserts on unclosed ones.
        if let connection {
            logger.warning("history database released without close()")
            try? closeConnection(connection)
        }
    }

    /// Jobs waiting or running on this connection.
    var queued: Int { pending.load(ordering: .relaxed) }

    func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        pending.add(1, ordering: .relaxed)
        defer { pending.subtract(1, ordering: .relaxed) }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.perform(body) })
            }
        }
    }

    private func perform<T>(_ body: (Connection) throws -> T) throws -> T {
        guard !closed else { throw HistoryDatabaseError.closed }
        let current = try connection ?? open()
        connection = current
        do {
            return try body(current)
        } catch let error as InputError {
            throw error
        } catch let error as ConfigurationError {
            throw error
        } catch let error as HistoryDatabaseError {
            throw error
        } catch {
            // A store error may leave the connection in a state no one can
            // vouch for; the next job opens a fresh one.
            logger.warning("database error; reopening the connection", metadata: ["error": "\(error)"])
            try? closeConnection(current)
            connection = nil
            throw error
        }
    }

    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if let connection = self.connection {
                    do {
                        try self.closeConnection(connection)
                    } catch {
                        self.logger.warning("closing a connection failed", metadata: ["error": "\(error)"])
                    }
                }
                self.connection = nil
                self.closed = true
                continuation.resume()
            }
        }
    }
}
