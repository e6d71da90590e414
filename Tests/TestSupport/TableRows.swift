import SQLiteStore

/// Every row of every table of the SQLite file at `path`, as text, each
/// table's rows in the order of its columns: two files (or one file before
/// and after) compare table for table. `leavingOut` names columns left out
/// of the comparison (table, column).
package func tableRows(of path: String, leavingOut: (String, String) -> Bool = { _, _ in false }) throws -> [String: [String]] {
    let db = try Database(path: path)
    defer { try? db.close() }
    let tables = try db.makeStatement(sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .fetchAll { $0.string(0) }
    var rows: [String: [String]] = [:]
    for table in tables {
        let columns = try db.makeStatement(sql: "SELECT * FROM \"\(table)\" LIMIT 0").columnNames
            .filter { !leavingOut(table, $0) }.map { "\"\($0)\"" }
        let list = columns.joined(separator: ", ")
        rows[table] = try db.makeStatement(sql: "SELECT \(list) FROM \"\(table)\" ORDER BY \(list)").fetchAll { row in
            (0..<columns.count).map { "\(row.value($0))" }.joined(separator: "|")
        }
    }
    return rows
}
