import SQLiteStore
import TestSupport
import Testing

@Suite("The allocation-free binding path")
struct BulkInsertFastPathTests {
    @Test("step() and bind(_:at:) insert 10,000 rows in one transaction")
    func tenThousandRows() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            try withDatabase(path) { db in
                try db.execute(sql: "CREATE TABLE samples (id INTEGER NOT NULL, weight REAL NOT NULL, label TEXT, note TEXT)")
                let insert = try db.cachedStatement(sql: "INSERT INTO samples (id, weight, label, note) VALUES (?, ?, ?, ?)")
                let before = db.totalChangesCount
                try db.inTransaction {
                    for i in 0..<10_000 {
                        try insert.bind(Int64(i), at: 1)
                        try insert.bind(Double(i) / 4, at: 2)
                        try insert.bind("label", at: 3)
                        try insert.bindNull(at: 4)
                        #expect(try insert.step() == false)
                    }
                }
                #expect(db.totalChangesCount - before == 10_000)
                #expect(db.lastInsertedRowID == 10_000)
            }
            try withDatabase(path) { db in
                #expect(try count(db, "samples") == 10_000)
                let sums = try db.makeStatement(sql: "SELECT sum(id), sum(weight), count(label), count(note) FROM samples").fetchOne {
                    [$0.int(0), Int($0.double(1)), $0.int(2), $0.int(3)]
                }
                #expect(sums == [49_995_000, 12_498_750, 10_000, 0])
            }
        }
    }

    @Test("binding while a statement is mid-rows is misuse until reset()")
    func bindNeedsReset() throws {
        try withDatabase(":memory:") { db in
            let statement = try db.makeStatement(sql: "SELECT ? UNION ALL SELECT 2")
            try statement.bind(1, at: 1)
            #expect(try statement.step())
            let error = try #require(throws: DatabaseError.self) { try statement.bind(3, at: 1) }
            #expect(error.resultCode == .misuse)
            try statement.reset()
            try statement.bind(3, at: 1)
            #expect(db.changesCount == 0)
        }
    }
}
