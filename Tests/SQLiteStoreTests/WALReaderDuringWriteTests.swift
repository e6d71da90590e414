import SQLiteStore
import TestSupport
import Testing

@Suite("Two connections on one file in WAL mode")
struct WALReaderDuringWriteTests {
    @Test("a reader reads while a writer holds a write transaction, and sees only committed rows")
    func readerDoesNotBlock() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            var readerConfiguration = Database.Configuration()
            // A blocked reader would fail at once instead of waiting: the test proves it is not blocked.
            readerConfiguration.busyTimeoutMilliseconds = 0
            try withDatabase(path) { writer in
                try writer.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")
                try withDatabase(path, configuration: readerConfiguration) { reader in
                    try writer.inTransaction(.immediate) {
                        try writer.cachedStatement(sql: "INSERT INTO t VALUES (?)").execute([2])
                        #expect(try count(writer, "t") == 2)
                        #expect(try count(reader, "t") == 1)
                    }
                    #expect(try count(reader, "t") == 2)
                }
            }
        }
    }

    @Test("a second writer waits for the busy timeout, then fails with busy")
    func secondWriterIsBusy() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            var configuration = Database.Configuration()
            configuration.busyTimeoutMilliseconds = 50
            try withDatabase(path) { first in
                try first.execute(sql: "CREATE TABLE t (x INTEGER)")
                try withDatabase(path, configuration: configuration) { second in
                    try first.inTransaction {
                        let error = try #require(throws: DatabaseError.self) {
                            try second.inTransaction(.immediate) {}
                        }
                        #expect(error.resultCode.primaryResultCode == .busy)
                    }
                }
            }
        }
    }
}
