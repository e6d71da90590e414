import Foundation
import LeakHistory
import Logging
import Synchronization

/// What the route controllers share: the settings, the database, the
/// server's own metrics, the clock and the export limit.
///
/// ```swift
/// let resources = ServerResources(configuration: configuration, database: database, logger: logger)
/// let now = resources.nowMs()
/// ```
public struct ServerResources: Sendable {
    public let configuration: ServerConfiguration
    public let database: HistoryDatabase
    public let metrics: ServerMetrics
    public let logger: Logger
    let now: @Sendable () -> Date
    let exports: ExportLimiter
    let metricsCache = MetricsCache()

    /// `now` is injectable so tests pin "the last 10 minutes" to known data.
    public init(configuration: ServerConfiguration, database: HistoryDatabase, metrics: ServerMetrics? = nil,
                logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.database = database
        self.metrics = metrics ?? ServerMetrics(startTime: now())
        self.logger = logger
        self.now = now
        exports = ExportLimiter(limit: configuration.maxConcurrentExports)
    }

    func nowMs() -> Int64 {
        UnixTime.milliseconds(now())
    }

    /// The source a request means: the one it names, else the server's
    /// default source when the database holds it, else the only source.
    /// With several, none named and the default not among them, a 404 that
    /// lists them (not "no source 'default'", a name the client never gave).
    func chosenSource(_ requested: String?, known: [String]) throws -> (source: String, known: [String]) {
        if let requested { return (requested, known) }
        if known.contains(configuration.defaultSource) || known.isEmpty { return (configuration.defaultSource, known) }
        if known.count == 1 { return (known[0], known) }
        throw APIError(.notFound, "source: the database holds \(known.count) sources; name one with ?source= (known: \(known.prefix(20).joined(separator: ", "))\(known.count > 20 ? ", …" : ""))")
    }

    /// `chosenSource` from one read of the source list, and a 404 naming the
    /// known sources unless it is stored.
    func existingSource(_ requested: String?, reader: HistoryReader) throws -> String {
        let (source, known) = try chosenSource(requested, known: try reader.sources())
        guard known.contains(source) else { throw APIError.unknownSource(source, known: known) }
        return source
    }

    /// Reads the source list once and throws a 404 unless `source` is in it.
    func requireSource(_ source: String, reader: HistoryReader) throws {
        _ = try existingSource(source, reader: reader)
    }
}

/// Bounds how many CSV exports stream at once: each holds a connection, a
/// thread and a read transaction for as long as its client reads.
final class ExportLimiter: Sendable {
    private let active = Mutex(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// A lease, or `nil` when `limit` exports are already running.
    func acquire() -> ExportLease? {
        let granted = active.withLock { count -> Bool in
            guard count < limit else { return false }
            count += 1
            return true
        }
        return granted ? ExportLease(limiter: self) : nil
    }

    fileprivate func release() {
        active.withLock { $0 -= 1 }
    }
}

/// One running export's place under the limit, given back exactly once: when
/// the export ends, or when its response is dropped without being written.
final class ExportLease: Sendable {
    private let limiter: ExportLimiter
    private let released = Atomic(false)

    fileprivate init(limiter: ExportLimiter) {
        self.limiter = limiter
    }

    func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { limiter.release() }
    }

    deinit {
        release()
    }
}
