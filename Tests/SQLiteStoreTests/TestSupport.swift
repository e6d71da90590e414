import Foundation
import SQLiteStore
import TestSupport

/// Opens the database at `path`, runs `body`, and closes it whatever happens.
func withDatabase<T>(_ path: String, configuration: Database.Configuration = .init(), _ body: (Database) throws -> T) throws -> T {
    let db = try Database(path: path, configuration: configuration)
    do {
        let result = try body(db)
        try db.close()
        return result
    } catch {
        try? db.close()
        throw error
    }
}

func count(_ db: Database, _ table: String) throws -> Int {
    try db.makeStatement(sql: "SELECT count(*) FROM \(table)").fetchOne { $0.int(0) } ?? -1
}

func posixPermissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

func fileBytes(_ path: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: path))
}
