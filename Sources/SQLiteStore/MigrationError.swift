/// Why `DatabaseMigrator.migrate(_:)` refused a database or stopped.
public enum MigrationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file was migrated by a newer build; nothing was changed.
    case newerSchema(found: Int, supported: Int, path: String)
    /// The file belongs to another application; nothing was changed.
    case foreignDatabase(path: String, applicationID: Int32)
    /// A migration failed and was rolled back; the migrations before it stay applied.
    case failed(version: Int, name: String, underlying: DatabaseError)

    public var description: String {
        switch self {
        case let .newerSchema(found, supported, path):
            "database '\(path)' has schema version \(found), newer than this build supports (\(supported)); use a newer build or another file"
        case let .foreignDatabase(path, 0):
            "database '\(path)' belongs to another application (application_id 0x00000000, and it already has a schema)"
        case let .foreignDatabase(path, applicationID):
            "database '\(path)' belongs to another application (application_id 0x\(hex(applicationID)))"
        case let .failed(version, name, underlying):
            "migration \(version) '\(name)' failed and was rolled back: \(underlying)"
        }
    }

    private func hex(_ value: Int32) -> String {
        let digits = String(UInt32(bitPattern: value), radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
