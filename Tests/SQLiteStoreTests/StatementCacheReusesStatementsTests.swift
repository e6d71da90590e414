import SQLiteStore
import TestSupport
import Testing

@Suite("The statement cache prepares each SQL text once")
struct StatementCacheReusesStatementsTests {
    @Test("the same SQL returns the same instance and prepares nothing more")
    func sameInstanceNoNewPrepare() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER)")
            let first = try db.cachedStatement(sql: "INSERT INTO t (x) VALUES (?)")
            try first.execute([1])
            let prepared = db.preparedStatementCount
            for value in 2...50 {
                let again = try db.cachedStatement(sql: "INSERT INTO t (x) VALUES (?)")
                #expect(again === first)
                try again.execute([value])
            }
            #expect(db.preparedStatementCount == prepared)
            #expect(try count(db, "t") == 50)
        }
    }

    @Test("one-off statements are prepared every time")
    func oneOffStatementsArePrepared() throws {
        try withDatabase(":memory:") { db in
            let before = db.preparedStatementCount
            let a = try db.makeStatement(sql: "SELECT 1")
            let b = try db.makeStatement(sql: "SELECT 1")
            #expect(a !== b)
            #expect(db.preparedStatementCount == before + 2)
        }
    }

    @Test("bindings are cleared between uses")
    func bindingsCleared() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x TEXT)")
            let statement = try db.cachedStatement(sql: "INSERT INTO t (x) VALUES (?)")
            try statement.bind("left over", at: 1)
            let again = try db.cachedStatement(sql: "INSERT INTO t (x) VALUES (?)")
            #expect(again === statement)
            #expect(try again.step() == false)
            let values = try db.makeStatement(sql: "SELECT x FROM t").fetchAll { $0.value(0) }
            #expect(values == [.null])
        }
    }

    @Test("a half-read cached statement is reset, so it holds no read transaction")
    func halfReadStatementIsReset() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)")
            let statement = try db.cachedStatement(sql: "SELECT x FROM t ORDER BY x")
            #expect(try statement.fetchOne { $0.int(0) } == 1)
            #expect(try db.cachedStatement(sql: "SELECT x FROM t ORDER BY x").fetchAll { $0.int(0) } == [1, 2, 3])
        }
    }

    @Test("asking for a statement that is reading rows gives a separate one, so the outer loop goes on")
    func nestedSameQuery() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)")
            let sql = "SELECT x FROM t WHERE x >= ? ORDER BY x"
            var pairs: [[Int]] = []
            try db.cachedStatement(sql: sql).forEachRow([1]) { row in
                let outer = row.int(0)
                let inner = try db.cachedStatement(sql: sql).fetchAll([outer]) { $0.int(0) }
                pairs.append([outer] + inner)
            }
            #expect(pairs == [[1, 1, 2, 3], [2, 2, 3], [3, 3]])
        }
    }

    @Test("SQL built at run time, the same text at new addresses or new text at freed ones, finds the statement of its text")
    func runTimeStrings() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)")
            let prepared = db.preparedStatementCount
            for round in 0..<2_000 {
                // A fresh heap string each round (freed after it), alternating two texts.
                let limit = round % 2 + 1
                let sql = String(repeating: " ", count: round % 3) + "SELECT count(*) FROM t WHERE x <= \(limit)"
                #expect(try db.cachedStatement(sql: sql).fetchOne { $0.int(0) } == limit)
            }
            // Six texts (two queries, three paddings), each prepared once.
            #expect(db.preparedStatementCount == prepared + 6)
        }
    }
}
