import CSQLite

/// SQLite's `SQLITE_TRANSIENT` (`(sqlite3_destructor_type)-1`, a macro Swift
/// cannot import): SQLite copies the bound bytes before the call returns.
package var SQLITE_TRANSIENT: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

/// A prepared statement, made by `Database.makeStatement(sql:)` or `Database.cachedStatement(sql:)`.
///
/// Run it with arguments:
///
/// ```swift
/// let statement = try db.cachedStatement(sql: Queries.insertSample)
/// try statement.execute([leakID, bytes])
/// let count = try db.cachedStatement(sql: Queries.countSamples).fetchOne { $0.int(0) }
/// ```
///
/// or, on a hot path, without allocating per row:
///
/// ```swift
/// for sample in samples {
///     try statement.bind(sample.id, at: 1)
///     try statement.bind(sample.name, at: 2)
///     _ = try statement.step()
/// }
/// ```
///
/// It is prepared in `init` and finalized in `deinit`, or earlier by `Database.close()`, which
/// finalizes every statement still alive; using a statement after that throws `misuse`.
/// Like its `Database`, a statement is confined to one thread at a time.
///
/// SQLite documentation: <https://www.sqlite.org/c3ref/stmt.html>
public final class Statement {
    /// The statement's SQL, as SQLite compiled it.
    public let sql: String
    /// The number of result columns; 0 for statements that return no rows.
    public let columnCount: Int
    /// True inside `forEachRow`, `fetchOne` and `fetchAll`, so the cache doesn't hand this statement out again.
    private(set) var isReadingRows = false
    private let handle: OpaquePointer
    private let connection: Connection

    /// Prepares the first statement at `cursor` and moves `cursor` past it.
    ///
    /// Returns nil when there is no statement there (white space, a comment or a lone `;`).
    /// SQLite documentation: <https://www.sqlite.org/c3ref/prepare.html>
    init?(connection: Connection, cursor: inout UnsafePointer<CChar>, persistent: Bool) throws {
        let db = try connection.openHandle(sql: nil)
        var prepared: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let code = sqlite3_prepare_v3(db, cursor, -1, flags, &prepared, &tail)
        guard code == SQLITE_OK else {
            throw connection.error(code, sql: firstStatementText(cursor))
        }
        // A tail that did not move would loop forever in Database.execute(sql:); jump to the end.
        if let tail, tail > cursor {
            cursor = tail
        } else {
            while cursor.pointee != 0 {
                cursor += 1
            }
        }
        guard let prepared else {
            return nil
        }
        self.handle = prepared
        self.connection = connection
        self.sql = trimmedStatementText(String(cString: sqlite3_sql(prepared)))
        self.columnCount = Int(sqlite3_column_count(prepared))
    }

    deinit {
        // After close() the statement was already finalized along with the connection.
        if connection.handle != nil {
            sqlite3_finalize(handle)
        }
    }

    /// The result column names, in order; empty once the database is closed.
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/column_name.html>
    public var columnNames: [String] {
        guard connection.handle != nil else {
            return []
        }
        return (0..<Int32(columnCount)).map { String(cString: sqlite3_column_name(handle, $0)) }
    }

    // MARK: - Running

    /// Runs the statement to completion with `arguments`, e.g. an INSERT, UPDATE or DELETE.
    ///
    /// Resets the statement and replaces every binding first.
    public func execute(_ arguments: StatementArguments = []) throws {
        try bind(arguments)
        while try step() {}
    }

    /// Calls `body` for each result row.
    ///
    /// The `Row` is a view of the statement's current row: it is valid only during the call.
    /// SQLite documentation: <https://www.sqlite.org/c3ref/column_blob.html>
    public func forEachRow(_ arguments: StatementArguments = [], _ body: (Row) throws -> Void) throws {
        try bind(arguments)
        isReadingRows = true
        defer { stopReadingRows() }
        let row = Row(handle: handle, columnCount: columnCount)
        while try step() {
            try body(row)
        }
    }

    /// The first result row mapped by `map`, or nil when there is none.
    public func fetchOne<T>(_ arguments: StatementArguments = [], _ map: (Row) throws -> T) throws -> T? {
        try bind(arguments)
        isReadingRows = true
        defer { stopReadingRows() }
        guard try step() else {
            return nil
        }
        return try map(Row(handle: handle, columnCount: columnCount))
    }

    /// Every result row mapped by `map`, in order.
    public func fetchAll<T>(_ arguments: StatementArguments = [], _ map: (Row) throws -> T) throws -> [T] {
        var results: [T] = []
        try forEachRow(arguments) { results.append(try map($0)) }
        return results
    }

    /// Runs the statement one step: true when a result row is available, false when it is done.
    ///
    /// The one place that steps a statement. When done, or on error, the statement is reset (its
    /// bindings stay) so that it can be bound again and holds no read transaction open.
    /// SQLite documentation: <https://www.sqlite.org/c3ref/step.html>
    public func step() throws -> Bool {
        let handle = try openHandle()
        #if DEBUG
        connection.confinement.enter(path: connection.path)
        defer { connection.confinement.leave() }
        #endif
        switch sqlite3_step(handle) {
        case SQLITE_ROW:
            return true
        case SQLITE_DONE:
            sqlite3_reset(handle)
            return false
        case let code:
            let error = connection.error(code, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Stops a statement that still has rows, so it can be bound again and releases its read transaction.
    ///
    /// Its result code is not checked: `sqlite3_reset` repeats the last step's error, which `step()`
    /// already threw.
    /// SQLite documentation: <https://www.sqlite.org/c3ref/reset.html>
    public func reset() throws {
        sqlite3_reset(try openHandle())
    }

    /// Sets every parameter back to NULL.
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/clear_bindings.html>
    public func clearBindings() {
        if connection.handle != nil {
            sqlite3_clear_bindings(handle)
        }
    }

    /// Resets a statement left with rows, so it holds no read transaction open.
    private func stopReadingRows() {
        isReadingRows = false
        if connection.handle != nil {
            sqlite3_reset(handle)
        }
    }

    private func openHandle() throws -> OpaquePointer {
        _ = try connection.openHandle(sql: sql)
        return handle
    }

    // MARK: - Binding

    /// Resets the statement and binds `arguments` to its parameters 1…n, replacing every binding.
    ///
    /// Throws `misuse` unless there is exactly one argument per parameter.
    /// SQLite documentation: <https://www.sqlite.org/c3ref/bind_parameter_count.html>
    public func bind(_ arguments: StatementArguments) throws {
        let handle = try openHandle()
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard arguments.values.count == expected else {
            throw connection.error(.misuse, "the statement has \(expected) parameter(s) but \(arguments.values.count) argument(s) were given", sql: sql)
        }
        for (offset, value) in arguments.values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    /// Binds `value` to the parameter at `index` (1-based).
    public func bind(_ value: DatabaseValue, at index: Int32) throws {
        switch value {
        case .null: try bindNull(at: index)
        case .integer(let integer): try bind(integer, at: index)
        case .real(let real): try bind(real, at: index)
        case .text(let text): try bind(text, at: index)
        case .blob(let bytes): try bind(bytes, at: index)
        }
    }

    /// Binds an integer to the parameter at `index` (1-based).
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/bind_blob.html>
    public func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(try openHandle(), index, value), index: index)
    }

    /// Binds an integer to the parameter at `index` (1-based); lets integer literals and `Int` values bind directly.
    public func bind(_ value: Int, at index: Int32) throws {
        try bind(Int64(value), at: index)
    }

    /// Binds a floating-point number to the parameter at `index` (1-based).
    public func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(try openHandle(), index, value), index: index)
    }

    /// Binds text to the parameter at `index` (1-based); SQLite copies it, so nothing is retained.
    public func bind(_ value: String, at index: Int32) throws {
        let handle = try openHandle()
        var value = value
        // withUTF8 reaches a native string's storage without copying; embedded NULs survive
        // because the length is passed.
        let code: Int32 = try value.withUTF8 { utf8 in
            guard let length = Int32(exactly: utf8.count) else {
                throw connection.error(.toobig, "text argument of \(utf8.count) bytes is too big", sql: sql)
            }
            // A NULL pointer would bind SQL NULL rather than the empty string.
            let bytes = UnsafeRawPointer(utf8.baseAddress ?? emptyCString.utf8Start)
            return sqlite3_bind_text(handle, index, bytes.assumingMemoryBound(to: CChar.self), length, SQLITE_TRANSIENT)
        }
        try check(code, index: index)
    }

    /// Binds bytes to the parameter at `index` (1-based); SQLite copies them.
    public func bind(_ value: [UInt8], at index: Int32) throws {
        let handle = try openHandle()
        let code: Int32 = try value.withUnsafeBytes { bytes in
            guard let length = Int32(exactly: bytes.count) else {
                throw connection.error(.toobig, "blob argument of \(bytes.count) bytes is too big", sql: sql)
            }
            guard let base = bytes.baseAddress else {
                // A NULL pointer would bind SQL NULL rather than an empty blob.
                return sqlite3_bind_zeroblob(handle, index, 0)
            }
            return sqlite3_bind_blob(handle, index, base, length, SQLITE_TRANSIENT)
        }
        try check(code, index: index)
    }

    /// Binds SQL NULL to the parameter at `index` (1-based).
    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(try openHandle(), index), index: index)
    }

    private func check(_ code: Int32, index: Int32) throws {
        switch code {
        case SQLITE_OK:
            return
        case SQLITE_RANGE:
            let count = sqlite3_bind_parameter_count(handle)
            throw connection.error(.range, "parameter index \(index) is out of range: the statement has \(count) parameter(s), numbered from 1", sql: sql)
        case SQLITE_MISUSE:
            throw connection.error(.misuse, "cannot bind a statement that is running: step() it to the end or reset() it first", sql: sql)
        default:
            throw connection.error(code, sql: sql)
        }
    }
}

private let emptyCString: StaticString = ""

/// The text of the first statement at `cursor`, for an error message when it fails to compile:
/// up to the first `;` that completes a statement, or to the end.
///
/// SQLite documentation: <https://www.sqlite.org/c3ref/complete.html>
private func firstStatementText(_ cursor: UnsafePointer<CChar>) -> String {
    let text = String(cString: cursor)
    var statement = ""
    for character in text {
        statement.append(character)
        if character == ";", sqlite3_complete(statement) != 0 {
            break
        }
    }
    return trimmedStatementText(statement)
}

private func trimmedStatementText(_ text: String) -> String {
    let isSeparator: (Character) -> Bool = { $0.isWhitespace || $0 == ";" }
    guard let first = text.firstIndex(where: { !isSeparator($0) }),
          let last = text.lastIndex(where: { !isSeparator($0) }) else {
        return ""
    }
    return String(text[first...last])
}

/// A statement belongs to its connection's thread of use: not `Sendable`.
@available(*, unavailable)
extension Statement: Sendable {}
