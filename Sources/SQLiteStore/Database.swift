import CSQLite
import Logging

/// How `Database.inTransaction` begins a transaction.
///
/// SQLite documentation: <https://www.sqlite.org/lang_transaction.html>
public enum TransactionKind: Sendable {
    /// Takes locks when the first statement needs them: may fail with `busy` midway.
    case deferred
    /// Takes the write lock at once, waiting up to the busy timeout: the kind for writers.
    case immediate
    /// In WAL mode the same as `immediate`; in rollback-journal mode it also keeps readers out.
    case exclusive

    var beginSQL: String {
        switch self {
        case .deferred: "BEGIN DEFERRED TRANSACTION"
        case .immediate: "BEGIN IMMEDIATE TRANSACTION"
        case .exclusive: "BEGIN EXCLUSIVE TRANSACTION"
        }
    }
}

/// One SQLite connection.
///
/// ```swift
/// let db = try Database(path: "/var/lib/leaks.sqlite", logger: logger)
/// defer { try? db.close() }
/// try DatabaseMigrator(migrations: Migrations.all).migrate(db)
/// try db.inTransaction {
///     try db.cachedStatement(sql: Queries.insertLeak).execute([name, size])
/// }
/// ```
///
/// Not thread-safe and not `Sendable`: its owner confines it to one thread, actor or queue at a
/// time (the connection is opened with `SQLITE_OPEN_NOMUTEX`). It must be closed with `close()`;
/// `deinit` only asserts that it was.
///
/// SQLite documentation: <https://www.sqlite.org/c3ref/sqlite3.html>
public final class Database {
    /// Connection settings, applied once when the database opens.
    public struct Configuration: Sendable {
        /// Opens with `SQLITE_OPEN_READONLY`: the file must exist, and the journal mode is left as
        /// the file has it.
        public var readOnly: Bool = false
        /// How long, in all, a statement waits for another connection's lock before failing with
        /// `busy`; it retries with backoff meanwhile (`BusyWait`).
        /// SQLite documentation: <https://www.sqlite.org/c3ref/busy_handler.html>
        public var busyTimeoutMilliseconds: Int32 = 5_000
        /// Switches the file to WAL, so readers don't block on the writer; checked to have taken effect
        /// (in-memory databases can't use WAL and are not checked).
        /// SQLite documentation: <https://www.sqlite.org/wal.html>
        public var walMode: Bool = true
        /// `PRAGMA synchronous = NORMAL`: durable against crashes of the process, safe with WAL.
        /// SQLite documentation: <https://www.sqlite.org/pragma.html#pragma_synchronous>
        public var synchronousNormal: Bool = true
        /// `PRAGMA foreign_keys = ON`, off by default in SQLite.
        /// SQLite documentation: <https://www.sqlite.org/foreignkeys.html>
        public var foreignKeys: Bool = true
        /// The mode of a database file this connection creates; its -wal and -shm files get the same.
        /// An existing file keeps its mode.
        public var fileMode: UInt16 = 0o600

        public init() {}
    }

    /// The database file, as given.
    public let path: String
    /// Count of statements prepared so far on this connection (for tests proving reuse).
    public private(set) var preparedStatementCount = 0
    let logger: Logger
    private let connection: Connection
    private let busyWait: BusyWait
    private var statementCache: [String: Statement] = [:]
    /// The same statements by where their SQL's UTF-8 lies: a query constant
    /// is a literal, the same bytes at every call, so a hit needs no hashing
    /// of its text (hashing it was an eighth of an ingest). Each entry keeps
    /// the caller's string, so its bytes cannot be freed and their address
    /// reused while it is here, and checking it is one comparison of
    /// identical strings. Strings built at run time add an entry each, so the
    /// table is emptied when it outgrows the cache it mirrors.
    private var statementsByAddress: [UnsafeRawPointer: (sql: String, statement: Statement)] = [:]

    /// Opens (creating if needed) the database at `path` and sets the connection up.
    ///
    /// Throws a `DatabaseError` naming the path when the file can't be opened, is not a database
    /// (`notadb`) or is corrupt: SQLite reads files lazily, so setup reads the header and schema now.
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/open.html>
    public init(
        path: String,
        configuration: Configuration = .init(),
        logger: Logger = Logger(label: "SQLiteStore", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        var logger = logger
        logger[metadataKey: "db.path"] = "\(path)"
        self.path = path
        self.logger = logger
        busyWait = BusyWait(limitMilliseconds: configuration.busyTimeoutMilliseconds)

        let createdFile = !configuration.readOnly && DatabaseFile.isOnDisk(path)
            ? try DatabaseFile.create(path, mode: configuration.fileMode, adjusted: { note in
                logger.warning("adjusted the database file's mode", metadata: ["db.note": "\(note)"])
            })
            : false
        let handle: OpaquePointer
        do {
            handle = try Self.openHandle(path: path, readOnly: configuration.readOnly)
        } catch {
            if createdFile {
                DatabaseFile.remove(path)
            }
            throw error
        }
        self.connection = Connection(handle: handle, path: path)

        do {
            try setUp(configuration)
        } catch {
            // deinit still runs for this object: close so its assertion holds.
            try? close()
            if createdFile {
                DatabaseFile.remove(path)
            }
            throw error
        }
        logger.debug("opened database", metadata: ["db.readOnly": "\(configuration.readOnly)", "db.created": "\(createdFile)"])
    }

    deinit {
        assert(connection.handle == nil, "Database '\(path)' was not closed: call close() before releasing it")
    }

    /// A failed open still allocates a handle, which must be closed.
    private static func openHandle(path: String, readOnly: Bool) throws -> OpaquePointer {
        // No SQLITE_OPEN_URI: the name is a file path. EXRESCODE makes even the open's error extended.
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(DatabaseFile.sqliteFilename(path), &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close(handle)
            let resultCode = code == SQLITE_OK ? ResultCode.nomem : ResultCode(rawValue: code)
            throw DatabaseError(resultCode: resultCode, message: "cannot open the database: \(message)", path: path)
        }
        return handle
    }

    private func setUp(_ configuration: Configuration) throws {
        let handle = try connection.openHandle(sql: nil)
        let code = busyWait.install(on: handle)
        guard code == SQLITE_OK else {
            throw connection.error(code, sql: nil)
        }
        // journal_mode reads the header and schema, so a file that is not a database, or is corrupt,
        // fails here rather than at some later statement.
        let wantsWAL = configuration.walMode && !configuration.readOnly
        let journalMode = try pragmaText(wantsWAL ? "PRAGMA journal_mode = WAL" : "PRAGMA journal_mode")
        if wantsWAL, DatabaseFile.isOnDisk(path), journalMode.lowercased() != "wal" {
            throw connection.error(.error, "WAL mode did not take effect: journal_mode is '\(journalMode)'", sql: "PRAGMA journal_mode = WAL")
        }
        if configuration.synchronousNormal {
            try execute(sql: "PRAGMA synchronous = NORMAL")
        }
        if configuration.foreignKeys {
            try execute(sql: "PRAGMA foreign_keys = ON")
        }
    }

    // MARK: - Closing

    /// Closes the connection; calling it again does nothing.
    ///
    /// Every statement still alive is finalized first, cached or not: a statement kept past
    /// `close()` then throws `misuse` when used, instead of keeping the connection open
    /// (`sqlite3_close` fails with `busy` while statements remain). Any error from `sqlite3_close`
    /// is thrown; the connection counts as closed all the same.
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/close.html>
    public func close() throws {
        guard let handle = connection.handle else {
            return
        }
        connection.handle = nil
        var finalized = 0
        while let statement = sqlite3_next_stmt(handle, nil) {
            sqlite3_finalize(statement)
            finalized += 1
        }
        // Their deinit sees the closed connection and finalizes nothing twice.
        statementCache.removeAll()
        statementsByAddress.removeAll()
        let code = sqlite3_close(handle)
        guard code == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(handle))
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot close the database: \(message)", path: path)
        }
        logger.debug("closed database", metadata: ["db.finalizedStatements": "\(finalized)"])
    }

    /// Whether `close()` was called; a closed database throws `misuse` when used.
    public var isClosed: Bool {
        connection.handle == nil
    }

    // MARK: - Statements

    /// Runs one or more statements that take no arguments, e.g. a migration.
    ///
    /// An error carries the SQL of the statement that failed, not the whole script.
    /// SQLite documentation: <https://www.sqlite.org/c3ref/prepare.html>
    public func execute(sql: String) throws {
        _ = try connection.openHandle(sql: sql)
        try sql.withCString { start in
            var cursor = start
            while cursor.pointee != 0 {
                try prepare(at: &cursor, persistent: false)?.execute()
            }
        }
    }

    /// Prepares a statement for one-off use; it is finalized when released.
    ///
    /// `sql` holds exactly one statement. For statements run again and again, use `cachedStatement(sql:)`.
    public func makeStatement(sql: String) throws -> Statement {
        try prepareOne(sql: sql, persistent: false)
    }

    /// The statement for `sql`, prepared once and reused until `close()`, reset and with bindings cleared.
    ///
    /// Prepared with `SQLITE_PREPARE_PERSISTENT`, since it lives long. Asking for it again while it
    /// is reading rows (the same query, nested in its own `forEachRow`) gives a one-off statement
    /// instead, because resetting the cached one would restart the outer loop.
    /// SQLite documentation: <https://www.sqlite.org/c3ref/c_prepare_normalize.html>
    public func cachedStatement(sql: String) throws -> Statement {
        // Small strings live inline, with no lasting address; they hash quickly anyway.
        let address = sql.utf8.count > 15 ? sql.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil : nil
        if let address, let entry = statementsByAddress[address], entry.sql == sql {
            return try reused(entry.statement)
        }
        if let cached = statementCache[sql] {
            if let address { remember(cached, sql: sql, at: address) }
            return try reused(cached)
        }
        let statement = try prepareOne(sql: sql, persistent: true)
        statementCache[sql] = statement
        if let address { remember(statement, sql: sql, at: address) }
        return statement
    }

    private func remember(_ statement: Statement, sql: String, at address: UnsafeRawPointer) {
        if statementsByAddress.count >= 2 * statementCache.count + 64 { statementsByAddress.removeAll() }
        statementsByAddress[address] = (sql, statement)
    }

    /// A cached statement ready to bind again, or a one-off copy while it is still reading rows.
    private func reused(_ statement: Statement) throws -> Statement {
        if statement.isReadingRows {
            return try prepareOne(sql: statement.sql, persistent: false)
        }
        try statement.reset()
        statement.clearBindings()
        return statement
    }

    private func prepare(at cursor: inout UnsafePointer<CChar>, persistent: Bool) throws -> Statement? {
        let statement = try Statement(connection: connection, cursor: &cursor, persistent: persistent)
        if statement != nil {
            preparedStatementCount += 1
        }
        return statement
    }

    private func prepareOne(sql: String, persistent: Bool) throws -> Statement {
        _ = try connection.openHandle(sql: sql)
        return try sql.withCString { start in
            var cursor = start
            guard let statement = try prepare(at: &cursor, persistent: persistent) else {
                throw connection.error(.misuse, "no SQL statement to prepare", sql: sql)
            }
            // Text after the statement must not be silently ignored; a comment or a `;` is fine.
            while cursor.pointee != 0 {
                if try prepare(at: &cursor, persistent: false) != nil {
                    throw connection.error(.misuse, "more than one statement: use execute(sql:) to run several", sql: sql)
                }
            }
            return statement
        }
    }

    private func pragmaText(_ sql: String) throws -> String {
        try makeStatement(sql: sql).fetchOne { $0.string(0) } ?? ""
    }

    private func pragmaInt(_ sql: String) throws -> Int {
        try cachedStatement(sql: sql).fetchOne { $0.int(0) } ?? 0
    }

    // MARK: - Transactions

    /// Runs `body` in a transaction: commits when it returns, rolls back and rethrows when it throws.
    ///
    /// Inside another transaction it runs in a savepoint instead (and `kind` has no effect), so that
    /// calls compose: an inner failure undoes only the inner part, if the outer body catches it.
    ///
    /// ```swift
    /// try db.inTransaction {
    ///     for leak in leaks { try insert.execute([leak.name]) }
    /// }
    /// ```
    ///
    /// SQLite documentation: <https://www.sqlite.org/lang_transaction.html>,
    /// <https://www.sqlite.org/lang_savepoint.html>
    public func inTransaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        if isInTransaction {
            return try run(body, begin: "SAVEPOINT sqlitestore", commit: "RELEASE SAVEPOINT sqlitestore") {
                // Rolling back to a savepoint keeps it on the stack: release it too.
                try cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT sqlitestore").execute()
                try cachedStatement(sql: "RELEASE SAVEPOINT sqlitestore").execute()
            }
        }
        return try run(body, begin: kind.beginSQL, commit: "COMMIT TRANSACTION") {
            try cachedStatement(sql: "ROLLBACK TRANSACTION").execute()
        }
    }

    private func run<T>(_ body: () throws -> T, begin: String, commit: String, rollback: () throws -> Void) throws -> T {
        do {
            try cachedStatement(sql: begin).execute()
        } catch let error as DatabaseError where ResultCode.busy ~= error {
            throw lockedError(error)
        }
        do {
            let result = try body()
            try cachedStatement(sql: commit).execute()
            return result
        } catch {
            // SQLite may already have rolled the whole transaction back (e.g. after `full` or `ioerr`);
            // then there is nothing left to undo. The body's error is the one worth reporting.
            if isInTransaction {
                do {
                    try rollback()
                } catch let rollbackError {
                    logger.info("rollback failed", metadata: ["error": "\(rollbackError)"])
                }
            }
            throw error
        }
    }

    /// `busy` after the whole bounded wait, saying how long it waited and who holds the lock.
    private func lockedError(_ error: DatabaseError) -> DatabaseError {
        let holder = WriteLockHolder.describe(databasePath: path).map { " by \($0)" } ?? " by another writer"
        let waited = busyWait.lastWaitMs
        let seconds = "\(waited / 1000).\(waited % 1000 / 100)"
        return DatabaseError(
            resultCode: error.resultCode,
            message: "the database stayed locked\(holder) for \(seconds) s, the longest this connection waits; try again, or give it a longer busy timeout",
            sql: error.sql, path: error.path)
    }

    /// Whether this connection can only read: SQLite opened the file read-only (its mode, or a
    /// read-only file system), though read-write was asked for.
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/db_readonly.html>
    public var isReadOnly: Bool {
        guard let handle = connection.handle else { return false }
        return sqlite3_db_readonly(handle, "main") == 1
    }

    /// Whether a transaction is open: SQLite is out of autocommit mode.
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/get_autocommit.html>
    public var isInTransaction: Bool {
        guard let handle = connection.handle else {
            return false
        }
        return sqlite3_get_autocommit(handle) == 0
    }

    // MARK: - Connection state

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/changes.html>
    public var changesCount: Int {
        connection.handle.map { Int(sqlite3_changes64($0)) } ?? 0
    }

    /// Rows changed since the connection opened.
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/total_changes.html>
    public var totalChangesCount: Int {
        connection.handle.map { Int(sqlite3_total_changes64($0)) } ?? 0
    }

    /// The rowid of the last row inserted on this connection.
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/last_insert_rowid.html>
    public var lastInsertedRowID: Int64 {
        connection.handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// `PRAGMA user_version`: the schema version the migrator recorded.
    ///
    /// SQLite documentation: <https://www.sqlite.org/pragma.html#pragma_user_version>
    public func userVersion() throws -> Int {
        try pragmaInt("PRAGMA user_version")
    }

    public func setUserVersion(_ version: Int) throws {
        try execute(sql: "PRAGMA user_version = \(try int32(version, "user_version"))")
    }

    /// `PRAGMA application_id`: which application's file this is.
    ///
    /// SQLite documentation: <https://www.sqlite.org/pragma.html#pragma_application_id>
    func applicationID() throws -> Int32 {
        Int32(truncatingIfNeeded: try pragmaInt("PRAGMA application_id"))
    }

    func setApplicationID(_ id: Int32) throws {
        try execute(sql: "PRAGMA application_id = \(id)")
    }

    /// `PRAGMA schema_version`: 0 while the schema is empty (nothing was ever created).
    ///
    /// SQLite documentation: <https://www.sqlite.org/pragma.html#pragma_schema_version>
    func schemaVersion() throws -> Int {
        try pragmaInt("PRAGMA schema_version")
    }

    private func int32(_ value: Int, _ name: String) throws -> Int32 {
        guard let value = Int32(exactly: value) else {
            throw connection.error(.range, "\(name) must fit in 32 bits, got \(value)", sql: nil)
        }
        return value
    }

    /// Copies the WAL into the database file and truncates the WAL to zero bytes.
    ///
    /// Throws `busy` when readers or a writer kept it from completing. Does nothing outside WAL mode.
    /// SQLite documentation: <https://www.sqlite.org/c3ref/wal_checkpoint_v2.html>
    public func checkpoint() throws {
        let handle = try connection.openHandle(sql: nil)
        let code = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
        guard code == SQLITE_OK else {
            throw connection.error(code, sql: nil)
        }
    }
}

/// A connection is confined to one thread, actor or queue at a time: not
/// `Sendable`, so the compiler refuses to share one.
@available(*, unavailable)
extension Database: Sendable {}
