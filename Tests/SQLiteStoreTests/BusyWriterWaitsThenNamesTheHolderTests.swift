import Foundation
import SQLiteStore
import TestSupport
import Testing

/// A writer that finds the write lock taken waits (backing off) for as long as
/// its busy timeout, takes the lock as soon as it is free, and past the bound
/// fails with a message that says how long it waited and who holds the lock.
@Suite struct BusyWriterWaitsThenNamesTheHolderTests {
    @Test func aWriterWaitsForTheLockAndGetsItWhenTheHolderCommits() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("w.sqlite")
            try withDatabase(path) { db in try db.execute(sql: "CREATE TABLE t (x INTEGER)") }
            let holder = try Database(path: path)
            defer { try? holder.close() }
            try holder.execute(sql: "BEGIN IMMEDIATE TRANSACTION")
            try holder.execute(sql: "INSERT INTO t VALUES (1)")
            let released = DispatchSemaphore(value: 0)
            nonisolated(unsafe) let unsafeHolder = holder
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.4) {
                try? unsafeHolder.execute(sql: "COMMIT")
                released.signal()
            }
            var configuration = Database.Configuration()
            configuration.busyTimeoutMilliseconds = 10_000
            let started = Date()
            try withDatabase(path, configuration: configuration) { db in
                try db.inTransaction { try db.execute(sql: "INSERT INTO t VALUES (2)") }
                #expect(try count(db, "t") == 2)
            }
            released.wait()
            // It waited for the holder, not for the whole 10 s bound.
            let waited = Date().timeIntervalSince(started)
            #expect(waited >= 0.3 && waited < 9)
        }
    }

    @Test func pastItsBoundAWriterFailsWithBusyNamingTheWaitAndTheHolder() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("w.sqlite")
            try withDatabase(path) { db in try db.execute(sql: "CREATE TABLE t (x INTEGER)") }
            let holder = try Database(path: path)
            defer { try? holder.close() }
            try holder.execute(sql: "BEGIN IMMEDIATE TRANSACTION")
            var configuration = Database.Configuration()
            configuration.busyTimeoutMilliseconds = 300
            try withDatabase(path, configuration: configuration) { db in
                let error = try #require(throws: DatabaseError.self) {
                    try db.inTransaction { try db.execute(sql: "INSERT INTO t VALUES (2)") }
                }
                #expect(error.resultCode.primaryResultCode == .busy)
                #expect(error.message.contains("stayed locked by another connection of this process (pid \(getpid()))"))
                #expect(error.message.contains(" for 0.3 s") || error.message.contains(" for 0.4 s"))
            }
            try holder.execute(sql: "ROLLBACK")
        }
    }
}
