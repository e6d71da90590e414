import Foundation
import SQLiteStore
import TestSupport
import Testing

/// The database file never comes into being with a broader mode than asked
/// for: a dangling symbolic link (whose target SQLite would create with the
/// umask's 0644) is refused, an empty file that SQLite would adopt is
/// tightened to 0600, and so its -wal and -shm are 0600 too.
@Suite struct DatabaseFileRefusesDanglingLinksAndTightensAdoptedFilesTests {
    @Test func aDanglingSymlinkIsRefusedAndItsTargetIsNotCreated() throws {
        try withTemporaryDirectory { dir in
            let link = dir.path("link.sqlite"), target = dir.path("target.sqlite")
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
            let error = try #require(throws: DatabaseError.self) { try withDatabase(link) { _ in } }
            #expect(error.resultCode == .cantopen)
            #expect(error.message.contains("symbolic link to '\(target)', which does not exist"))
            #expect(!FileManager.default.fileExists(atPath: target))
        }
    }

    @Test func aSymlinkToAnExistingDatabaseIsFollowed() throws {
        try withTemporaryDirectory { dir in
            let link = dir.path("link.sqlite"), target = dir.path("target.sqlite")
            try withDatabase(target) { db in try db.execute(sql: "CREATE TABLE t (x)") }
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
            let rows = try withDatabase(link) { db in try count(db, "t") }
            #expect(rows == 0)
        }
    }

    @Test func anEmptyFileWithABroaderModeIsTightenedTo0600WithItsWALAndSHM() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("empty.sqlite")
            #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
            #expect(try posixPermissions(path) == 0o644)
            try withDatabase(path) { db in
                try db.execute(sql: "CREATE TABLE t (x)")
                #expect(try posixPermissions(path) == 0o600)
                #expect(try posixPermissions(path + "-wal") == 0o600)
                #expect(try posixPermissions(path + "-shm") == 0o600)
            }
        }
    }
}
