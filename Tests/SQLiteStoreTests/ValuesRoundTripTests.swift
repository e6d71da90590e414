import SQLiteStore
import TestSupport
import Testing

@Suite("Arguments and Row accessors round-trip SQLite's storage classes")
struct ValuesRoundTripTests {
    @Test("each DatabaseValue comes back as bound")
    func roundTrip() throws {
        try withDatabase(":memory:") { db in
            let values: [DatabaseValue] = [
                .null, .integer(Int64.min), .integer(Int64.max), .real(-0.5), .text(""), .text("h\u{e9}llo \u{1F600}"),
                .text("nul\0inside"), .blob([]), .blob([0, 1, 2, 255]),
            ]
            let statement = try db.cachedStatement(sql: "SELECT ?")
            for value in values {
                #expect(try statement.fetchOne(StatementArguments([value])) { $0.value(0) } == value)
            }
        }
    }

    @Test("Swift values convert as documented; NULL reads as empty or nil")
    func conversions() throws {
        try withDatabase(":memory:") { db in
            let optionalNone: Int? = nil
            let row = try db.makeStatement(sql: "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?").fetchOne(
                [42, Int64(7), Int32(-3), UInt32.max, 2.5, true, "text", [UInt8]([9, 8]), optionalNone]
            ) { row in
                (row.int(0), row.int64(1), row.int(2), row.int64(3), row.double(4), row.int(5), row.string(6), row.blob(7),
                 row.isNull(8), row.string(8), row.blob(8), row.optionalInt64(8), row.optionalDouble(8), row.optionalString(8),
                 row.optionalString(6), row.optionalInt64(0), row.optionalDouble(4), row.columnCount)
            }
            let r = try #require(row)
            #expect(r.0 == 42 && r.1 == 7 && r.2 == -3 && r.3 == Int64(UInt32.max) && r.4 == 2.5 && r.5 == 1)
            #expect(r.6 == "text" && r.7 == [9, 8])
            #expect(r.8 && r.9 == "" && r.10 == [] && r.11 == nil && r.12 == nil && r.13 == nil)
            #expect(r.14 == "text" && r.15 == 42 && r.16 == 2.5 && r.17 == 9)
        }
    }

    @Test("column names and counts come from the statement")
    func columns() throws {
        try withDatabase(":memory:") { db in
            let statement = try db.makeStatement(sql: "SELECT 1 AS one, 'b' AS two")
            #expect(statement.columnCount == 2)
            #expect(statement.columnNames == ["one", "two"])
            #expect(statement.sql == "SELECT 1 AS one, 'b' AS two")
            #expect(try db.makeStatement(sql: "CREATE TABLE t (x)").columnCount == 0)
        }
    }

    @Test("fetchAll maps every row; forEachRow sees them in order; fetchOne on no rows is nil")
    func fetching() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (3), (1), (2)")
            let statement = try db.makeStatement(sql: "SELECT x FROM t WHERE x >= ? ORDER BY x")
            #expect(try statement.fetchAll([2]) { $0.int(0) } == [2, 3])
            var seen: [Int] = []
            try statement.forEachRow([0]) { seen.append($0.int(0)) }
            #expect(seen == [1, 2, 3])
            #expect(try statement.fetchOne([10]) { $0.int(0) } == nil)
        }
    }

    @Test("changesCount counts the last statement's rows")
    func changes() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)")
            try db.makeStatement(sql: "UPDATE t SET x = x + 1 WHERE x > ?").execute([1])
            #expect(db.changesCount == 2)
        }
    }
}
