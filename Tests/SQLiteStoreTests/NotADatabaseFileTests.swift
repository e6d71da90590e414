import Foundation
import SQLiteStore
import TestSupport
import Testing

@Suite("Opening a file that is not a database fails clearly and leaves it alone")
struct NotADatabaseFileTests {
    @Test("a text file: notadb, naming the path, file unchanged")
    func textFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("notes.txt")
            let content = Data((0..<2_000).map { UInt8(0x20 + ($0 * 7) % 95) })
            try content.write(to: URL(fileURLWithPath: path))

            let error = try #require(throws: DatabaseError.self) {
                try Database(path: path)
            }
            #expect(error.resultCode == .notadb)
            #expect(error.path == path)
            #expect(error.description.contains(path))
            #expect(try fileBytes(path) == content)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["notes.txt"])
        }
    }

    @Test("a database cut short: notadb or corrupt, naming the path, file unchanged")
    func truncatedDatabase() throws {
        try withTemporaryDirectory { dir in
            let source = dir.path("whole.sqlite")
            try withDatabase(source) { db in
                try db.execute(sql: "CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a')")
                try db.checkpoint()
            }
            let path = dir.path("truncated.sqlite")
            let content = try fileBytes(source).prefix(60)
            try content.write(to: URL(fileURLWithPath: path))

            let error = try #require(throws: DatabaseError.self) {
                try Database(path: path)
            }
            #expect([ResultCode.notadb, .corrupt].contains(error.resultCode.primaryResultCode))
            #expect(error.description.contains(path))
            #expect(try fileBytes(path) == content)
        }
    }

    @Test("SQLite's magic header followed by garbage: refused, naming the path, file unchanged")
    func garbageAfterHeader() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("garbage.sqlite")
            var content = Data("SQLite format 3\0".utf8)
            content.append(Data((0..<8_176).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) }))
            try content.write(to: URL(fileURLWithPath: path))

            let error = try #require(throws: DatabaseError.self) {
                try Database(path: path)
            }
            #expect([ResultCode.notadb, .corrupt].contains(error.resultCode.primaryResultCode))
            #expect(error.description.contains(path))
            #expect(try fileBytes(path) == content)
        }
    }
}
