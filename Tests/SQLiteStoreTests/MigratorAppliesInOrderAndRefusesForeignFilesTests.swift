import Foundation
import SQLiteStore
import TestSupport
import Testing

private let applicationID: Int32 = 0x4C48_4442

private let migrations = [
    Migration(version: 1, name: "create_leaks", sql: """
        CREATE TABLE leaks (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE INDEX leaks_name ON leaks (name);
        """),
    Migration(version: 2, name: "add_size", sql: "ALTER TABLE leaks ADD COLUMN size INTEGER NOT NULL DEFAULT 0"),
    Migration(version: 3, name: "create_samples", sql: """
        CREATE TABLE samples (leak_id INTEGER NOT NULL REFERENCES leaks (id), at REAL NOT NULL);
        """),
]

private func tableNames(_ db: Database) throws -> [String] {
    try db.makeStatement(sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchAll { $0.string(0) }
}

private func pragmaInt(_ db: Database, _ name: String) throws -> Int {
    try db.makeStatement(sql: "PRAGMA \(name)").fetchOne { $0.int(0) } ?? -1
}

@Suite("DatabaseMigrator applies migrations in order and refuses files it must not touch")
struct MigratorAppliesInOrderAndRefusesForeignFilesTests {
    @Test("an empty file gets every migration in order, user_version and application_id")
    func migratesEmptyFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            let migrator = DatabaseMigrator(migrations: migrations, applicationID: applicationID)
            #expect(migrator.latestVersion == 3)
            try withDatabase(path) { db throws in
                #expect(try migrator.migrate(db) == [1, 2, 3])
                #expect(try db.userVersion() == 3)
                #expect(try pragmaInt(db, "application_id") == Int(applicationID))
                #expect(try tableNames(db) == ["leaks", "samples"])
            }
            try withDatabase(path) { db throws in
                #expect(try migrator.migrate(db) == [])
                #expect(try db.userVersion() == 3)
            }
        }
    }

    @Test("a database at version 1 gets only the later migrations")
    func migratesFromPartialVersion() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            try withDatabase(path) { db in
                #expect(try DatabaseMigrator(migrations: Array(migrations.prefix(1)), applicationID: applicationID).migrate(db) == [1])
                try db.makeStatement(sql: "INSERT INTO leaks (name) VALUES (?)").execute(["kept"])
                #expect(try DatabaseMigrator(migrations: migrations, applicationID: applicationID).migrate(db) == [2, 3])
                #expect(try db.makeStatement(sql: "SELECT name, size FROM leaks").fetchOne { "\($0.string(0)):\($0.int(1))" } == "kept:0")
            }
        }
    }

    @Test("a failing migration leaves user_version at the previous version and its DDL rolled back")
    func failedMigrationRollsBack() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            let broken = migrations.prefix(2) + [
                Migration(version: 3, name: "broken", sql: """
                    CREATE TABLE samples (leak_id INTEGER NOT NULL, at REAL NOT NULL);
                    CREATE INDEX samples_at ON samples (at);
                    CREATE TABLEE oops (x);
                    """),
            ]
            try withDatabase(path) { db in
                let error = try #require(throws: MigrationError.self) {
                    try DatabaseMigrator(migrations: Array(broken), applicationID: applicationID).migrate(db)
                }
                guard case let .failed(version, name, underlying) = error else {
                    Issue.record("expected .failed, got \(error)")
                    return
                }
                #expect(version == 3)
                #expect(name == "broken")
                #expect(underlying.sql == "CREATE TABLEE oops (x)")
                #expect(error.description.contains("migration 3 'broken'"))
                #expect(try db.userVersion() == 2)
                #expect(try tableNames(db) == ["leaks"])
                #expect(!db.isInTransaction)
            }
            // The fixed list picks up where it stopped.
            try withDatabase(path) { db throws in
                #expect(try DatabaseMigrator(migrations: migrations, applicationID: applicationID).migrate(db) == [3])
            }
        }
    }

    @Test("a file with a newer schema is refused with newerSchema and left byte for byte unchanged")
    func newerSchemaRefused() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            try withDatabase(path) { db in
                try DatabaseMigrator(migrations: migrations, applicationID: applicationID).migrate(db)
                try db.makeStatement(sql: "INSERT INTO leaks (name) VALUES (?)").execute(["from the future"])
                try db.setUserVersion(5)
            }
            let before = try fileBytes(path)

            let error = try withDatabase(path) { db in
                try #require(throws: MigrationError.self) {
                    try DatabaseMigrator(migrations: migrations, applicationID: applicationID).migrate(db)
                }
            }
            #expect(error == .newerSchema(found: 5, supported: 3, path: path))
            #expect(error.description == "database '\(path)' has schema version 5, newer than this build supports (3); use a newer build or another file")
            #expect(try fileBytes(path) == before)
        }
    }

    @Test("another application's file (different application_id) is refused")
    func otherApplicationIDRefused() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("other.sqlite")
            try withDatabase(path) { db in
                try db.execute(sql: "PRAGMA application_id = 1234; CREATE TABLE theirs (x)")
            }
            let before = try fileBytes(path)
            let error = try withDatabase(path) { db in
                try #require(throws: MigrationError.self) {
                    try DatabaseMigrator(migrations: migrations, applicationID: applicationID).migrate(db)
                }
            }
            #expect(error == .foreignDatabase(path: path, applicationID: 1234))
            #expect(error.description.contains("belongs to another application (application_id 0x000004d2)"))
            #expect(try fileBytes(path) == before)
        }
    }

    @Test("a SQLite file with tables but no application_id nor user_version is refused")
    func unmarkedFileWithTablesRefused() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("someone-else.sqlite")
            try withDatabase(path) { db in
                try db.execute(sql: "CREATE TABLE contacts (name TEXT)")
            }
            try withDatabase(path) { db in
                for migrator in [DatabaseMigrator(migrations: migrations, applicationID: applicationID), DatabaseMigrator(migrations: migrations)] {
                    let error = try #require(throws: MigrationError.self) {
                        try migrator.migrate(db)
                    }
                    #expect(error == .foreignDatabase(path: path, applicationID: 0))
                }
                #expect(try tableNames(db) == ["contacts"])
                #expect(try db.userVersion() == 0)
            }
        }
    }

    @Test("an empty file with no tables is migrated even without application_id")
    func emptyFileWithoutApplicationID() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            try withDatabase(path) { db throws in
                #expect(try DatabaseMigrator(migrations: migrations).migrate(db) == [1, 2, 3])
                #expect(try pragmaInt(db, "application_id") == 0)
            }
        }
    }
}
