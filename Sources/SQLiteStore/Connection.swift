import CSQLite

/// The raw `sqlite3` handle, shared by a `Database` and every statement prepared on it.
///
/// Statements hold this object instead of their `Database`: they learn that the connection was
/// closed (`handle == nil`) and throw instead of touching freed memory, without keeping the
/// `Database` alive or forming a cycle with its statement cache.
///
/// SQLite documentation: <https://www.sqlite.org/c3ref/sqlite3.html>
final class Connection {
    /// `nil` once `Database.close()` has finalized every statement and closed the connection.
    var handle: OpaquePointer?
    let path: String

    init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
    }

    /// The open handle, or a `misuse` error naming `sql` once the database is closed.
    func openHandle(sql: String?) throws -> OpaquePointer {
        guard let handle else {
            throw DatabaseError(resultCode: .misuse, message: "the database connection is closed", sql: sql, path: path)
        }
        return handle
    }

    /// The error SQLite just reported for `code`, with the connection's message.
    ///
    /// Read it before any other call on the connection (`sqlite3_reset` included) replaces the message.
    /// SQLite documentation: <https://www.sqlite.org/c3ref/errcode.html>
    func error(_ code: Int32, sql: String?) -> DatabaseError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql, path: path)
    }

    /// An error this layer detects itself, where SQLite's message would not say what went wrong.
    func error(_ code: ResultCode, _ message: String, sql: String?) -> DatabaseError {
        DatabaseError(resultCode: code, message: message, sql: sql, path: path)
    }
}
