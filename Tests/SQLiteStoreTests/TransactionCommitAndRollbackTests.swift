import SQLiteStore
import TestSupport
import Testing

private struct Abort: Error {}

@Suite("inTransaction commits, rolls back, and nests with savepoints")
struct TransactionCommitAndRollbackTests {
    @Test("a body that returns is committed, and its value returned")
    func commits() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            try withDatabase(path) { db in
                try db.execute(sql: "CREATE TABLE t (x INTEGER)")
                let value = try db.inTransaction {
                    #expect(db.isInTransaction)
                    try db.cachedStatement(sql: "INSERT INTO t VALUES (?)").execute([1])
                    return 42
                }
                #expect(value == 42)
                #expect(!db.isInTransaction)
            }
            try withDatabase(path) { db throws in
                #expect(try count(db, "t") == 1)
            }
        }
    }

    @Test("a body that throws is rolled back and its error rethrown")
    func rollsBack() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER)")
            #expect(throws: Abort.self) {
                try db.inTransaction {
                    for value in 1...10 {
                        try db.cachedStatement(sql: "INSERT INTO t VALUES (?)").execute([value])
                    }
                    throw Abort()
                }
            }
            #expect(!db.isInTransaction)
            #expect(try count(db, "t") == 0)
        }
    }

    @Test("a nested call uses a savepoint: an inner failure undoes only the inner part")
    func nestedSavepoint() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER)")
            let insert = try db.makeStatement(sql: "INSERT INTO t VALUES (?)")
            try db.inTransaction(.exclusive) {
                try insert.execute([1])
                #expect(throws: Abort.self) {
                    try db.inTransaction {
                        try insert.execute([2])
                        throw Abort()
                    }
                }
                #expect(db.isInTransaction)
                try db.inTransaction {
                    try insert.execute([3])
                }
            }
            let values = try db.makeStatement(sql: "SELECT x FROM t ORDER BY x").fetchAll { $0.int(0) }
            #expect(values == [1, 3])
        }
    }

    @Test("the outer failure also undoes committed inner parts")
    func outerFailureUndoesInner() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER)")
            #expect(throws: Abort.self) {
                try db.inTransaction(.deferred) {
                    try db.inTransaction {
                        try db.execute(sql: "INSERT INTO t VALUES (1)")
                    }
                    throw Abort()
                }
            }
            #expect(try count(db, "t") == 0)
        }
    }
}
