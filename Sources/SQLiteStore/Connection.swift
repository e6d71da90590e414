import CSQLite
#if DEBUG
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
#endif

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
    #if DEBUG
    /// Debug builds stop a program that steps statements of one connection
    /// from two threads at once (the contract is one thread, actor or queue
    /// at a time; an actor may hop threads between calls, so only overlap is
    /// an error).
    let confinement = ConfinementCheck()
    #endif

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

#if DEBUG
/// Which thread is inside the connection now, and how deep (a row callback
/// may run another statement of the same connection on the same thread).
final class ConfinementCheck: Sendable {
    private let state = Mutex<(thread: pthread_t?, depth: Int)>((nil, 0))

    func enter(path: String) {
        let me = pthread_self()
        state.withLock { state in
            if let owner = state.thread, pthread_equal(owner, me) == 0 {
                preconditionFailure("SQLiteStore: the connection to '\(path)' is used from two threads at once; confine a Database and its statements to one thread, actor or queue at a time")
            }
            state = (me, state.depth + 1)
        }
    }

    func leave() {
        state.withLock { state in
            state.depth -= 1
            if state.depth == 0 { state.thread = nil }
        }
    }
}
#endif
