import CSQLite

/// The raw C API, for the in-run baselines: no wrapper between the loop and SQLite.
final class RawSQLite {
    let handle: OpaquePointer

    init(path: String) {
        var db: OpaquePointer?
        precondition(sqlite3_open(path, &db) == SQLITE_OK, "cannot open \(path)")
        handle = db!
        exec("PRAGMA journal_mode=WAL")
        exec("PRAGMA synchronous=NORMAL")
    }

    deinit { sqlite3_close(handle) }

    func exec(_ sql: String) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        precondition(rc == SQLITE_OK, String(cString: sqlite3_errmsg(handle)))
    }

    func prepare(_ sql: String) -> OpaquePointer {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        precondition(rc == SQLITE_OK, String(cString: sqlite3_errmsg(handle)))
        return statement!
    }

    /// Inserts `rows` rows of three integers through `sql`, `perTransaction` to a transaction.
    func insertRows(_ sql: String, rows: Int, perTransaction: Int, values: (Int) -> (Int64, Int64, Int64)) {
        let statement = prepare(sql)
        defer { sqlite3_finalize(statement) }
        var i = 0
        while i < rows {
            exec("BEGIN")
            let end = min(rows, i + perTransaction)
            while i < end {
                let (a, b, c) = values(i)
                sqlite3_bind_int64(statement, 1, a)
                sqlite3_bind_int64(statement, 2, b)
                sqlite3_bind_int64(statement, 3, c)
                precondition(sqlite3_step(statement) == SQLITE_DONE, String(cString: sqlite3_errmsg(handle)))
                sqlite3_reset(statement)
                i += 1
            }
            exec("COMMIT")
        }
    }
}
