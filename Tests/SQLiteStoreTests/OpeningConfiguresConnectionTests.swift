import Foundation
import SQLiteStore
import TestSupport
import Testing

@Suite("Opening a database configures the connection")
struct OpeningConfiguresConnectionTests {
    @Test("a new file is created with mode 0600, and so is its WAL")
    func newFileHasOwnerOnlyMode() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("new.sqlite")
            try withDatabase(path) { db in
                try db.execute(sql: "CREATE TABLE t (x INTEGER)")
                #expect(try posixPermissions(path) == 0o600)
                #expect(try posixPermissions(path + "-wal") == 0o600)
                #expect(try posixPermissions(path + "-shm") == 0o600)
            }
        }
    }

    @Test("a configured file mode is applied exactly, not masked by the umask")
    func configuredFileMode() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("shared.sqlite")
            var configuration = Database.Configuration()
            configuration.fileMode = 0o664
            try withDatabase(path, configuration: configuration) { _ in }
            #expect(try posixPermissions(path) == 0o664)
        }
    }

    @Test("an existing file keeps its mode")
    func existingFileKeepsMode() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("existing.sqlite")
            try withDatabase(path) { _ in }
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
            try withDatabase(path) { _ in }
            #expect(try posixPermissions(path) == 0o640)
        }
    }

    @Test("WAL, synchronous NORMAL and foreign keys are in effect (the busy wait: BusyWriterWaitsThenNamesTheHolderTests)")
    func pragmasInEffect() throws {
        try withTemporaryDirectory { dir in
            try withDatabase(dir.path("db.sqlite")) { db throws in
                #expect(try db.makeStatement(sql: "PRAGMA journal_mode").fetchOne { $0.string(0) } == "wal")
                #expect(try db.makeStatement(sql: "PRAGMA synchronous").fetchOne { $0.int(0) } == 1)
                #expect(try db.makeStatement(sql: "PRAGMA foreign_keys").fetchOne { $0.int(0) } == 1)
            }
        }
    }

    @Test("an in-memory database opens: WAL is not checked there")
    func inMemory() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")
            #expect(try count(db, "t") == 1)
        }
    }

    @Test("a read-only connection reads, refuses writes, and does not create a missing file")
    func readOnly() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            try withDatabase(path) { db in
                try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")
            }
            var configuration = Database.Configuration()
            configuration.readOnly = true
            try withDatabase(path, configuration: configuration) { db in
                #expect(try count(db, "t") == 1)
                let error = try #require(throws: DatabaseError.self) {
                    try db.execute(sql: "INSERT INTO t VALUES (2)")
                }
                #expect(error.resultCode.primaryResultCode == .readonly)
            }

            let missing = dir.path("missing.sqlite")
            let error = try #require(throws: DatabaseError.self) {
                try Database(path: missing, configuration: configuration)
            }
            #expect(error.resultCode.primaryResultCode == .cantopen)
            #expect(error.path == missing)
            #expect(!FileManager.default.fileExists(atPath: missing))
        }
    }

    @Test("a file in a missing directory fails with cantopen naming the path")
    func missingDirectory() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("no/such/dir/db.sqlite")
            let error = try #require(throws: DatabaseError.self) {
                try Database(path: path)
            }
            #expect(error.resultCode.primaryResultCode == .cantopen)
            #expect(error.description.contains(path))
        }
    }
}
