import SQLiteStore
import TestSupport
import Testing

@Suite("close() is idempotent and a closed database throws instead of crashing")
struct ClosedDatabaseThrowsMisuseTests {
    @Test("closing twice is fine")
    func idempotent() throws {
        let db = try Database(path: ":memory:")
        #expect(!db.isClosed)
        try db.close()
        #expect(db.isClosed)
        try db.close()
        #expect(db.isClosed)
    }

    @Test("every use of a closed database throws misuse")
    func closedDatabaseThrowsMisuse() throws {
        let db = try Database(path: ":memory:")
        try db.close()
        let uses: [(Database) throws -> Void] = [
            { try $0.execute(sql: "CREATE TABLE t (x)") },
            { _ = try $0.makeStatement(sql: "SELECT 1") },
            { _ = try $0.cachedStatement(sql: "SELECT 1") },
            { _ = try $0.userVersion() },
            { try $0.setUserVersion(1) },
            { try $0.checkpoint() },
            { try $0.inTransaction {} },
        ]
        for use in uses {
            let error = try #require(throws: DatabaseError.self) { try use(db) }
            #expect(error.resultCode == .misuse)
        }
        #expect(!db.isInTransaction)
        #expect(db.changesCount == 0)
    }

    @Test("statements kept past close() are finalized and throw misuse")
    func statementsOutlivingClose() throws {
        let db = try Database(path: ":memory:")
        try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")
        let oneOff = try db.makeStatement(sql: "SELECT x FROM t")
        let cached = try db.cachedStatement(sql: "INSERT INTO t VALUES (?)")
        try db.close()
        for statement in [oneOff, cached] {
            let error = try #require(throws: DatabaseError.self) { try statement.execute() }
            #expect(error.resultCode == .misuse)
            #expect(throws: DatabaseError.self) { try statement.bind(Int64(1), at: 1) }
            #expect(throws: DatabaseError.self) { _ = try statement.step() }
            #expect(statement.columnNames == [])
            statement.clearBindings()
        }
    }

    @Test("closing from inside a row loop stops the loop with misuse")
    func closeDuringIteration() throws {
        let db = try Database(path: ":memory:")
        try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2)")
        var seen = 0
        let error = try #require(throws: DatabaseError.self) {
            try db.makeStatement(sql: "SELECT x FROM t").forEachRow { _ in
                seen += 1
                try db.close()
            }
        }
        #expect(error.resultCode == .misuse)
        #expect(seen == 1)
    }
}
