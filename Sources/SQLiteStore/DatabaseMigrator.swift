import Logging

/// Brings a database's schema up to date with an ordered list of migrations.
///
/// ```swift
/// let migrator = DatabaseMigrator(migrations: Migrations.all, applicationID: 0x4C45_414B)
/// try migrator.migrate(db)
/// ```
///
/// The version reached is `PRAGMA user_version`; `applicationID`, when given, is written to
/// `PRAGMA application_id` with the first migration and marks the file as this application's.
///
/// SQLite documentation: <https://www.sqlite.org/pragma.html#pragma_user_version>,
/// <https://www.sqlite.org/pragma.html#pragma_application_id>
public struct DatabaseMigrator: Sendable {
    public let migrations: [Migration]
    public let applicationID: Int32?

    /// - Precondition: versions are 1, 2, 3… in order, and `applicationID` is not 0 (0 means unset).
    public init(migrations: [Migration], applicationID: Int32? = nil) {
        for (offset, migration) in migrations.enumerated() {
            precondition(migration.version == offset + 1, "migration '\(migration.name)' has version \(migration.version), expected \(offset + 1): versions must be 1, 2, 3… in order")
        }
        precondition(applicationID != 0, "application_id 0 means 'unset': pass nil instead")
        self.migrations = migrations
        self.applicationID = applicationID
    }

    /// The version a fully migrated database has.
    public var latestVersion: Int {
        migrations.last?.version ?? 0
    }

    /// Applies every migration newer than the database's `user_version`, in order, and returns their versions.
    ///
    /// Each runs in its own `BEGIN IMMEDIATE` transaction that also records its version, so a failure
    /// (`MigrationError.failed`) rolls back only that migration. Refuses, changing nothing, a file
    /// migrated by a newer build (`newerSchema`) or belonging to another application (`foreignDatabase`):
    /// another `application_id`, or none with tables already present and no `user_version`.
    @discardableResult
    public func migrate(_ db: Database) throws -> [Int] {
        let foundVersion = try db.userVersion()
        let foundApplicationID = try db.applicationID()
        if let applicationID, foundApplicationID != 0, foundApplicationID != applicationID {
            throw MigrationError.foreignDatabase(path: db.path, applicationID: foundApplicationID)
        }
        // A schema that no migration of ours recorded: someone else's SQLite file.
        // (schema_version counts every schema change, so a file whose tables were all dropped counts too.)
        let isMarkedOurs = applicationID != nil && foundApplicationID == applicationID
        if foundVersion == 0, !isMarkedOurs, try db.schemaVersion() != 0 {
            throw MigrationError.foreignDatabase(path: db.path, applicationID: foundApplicationID)
        }
        if foundVersion > latestVersion {
            throw MigrationError.newerSchema(found: foundVersion, supported: latestVersion, path: db.path)
        }

        var applied: [Int] = []
        for migration in migrations where migration.version > foundVersion {
            do {
                let didApply = try db.inTransaction(.immediate) {
                    // Another process may have migrated since user_version was read; under the
                    // write lock this read is the one that counts.
                    guard try db.userVersion() < migration.version else {
                        return false
                    }
                    try db.execute(sql: migration.sql)
                    try db.setUserVersion(migration.version)
                    if let applicationID, try db.applicationID() == 0 {
                        try db.setApplicationID(applicationID)
                    }
                    return true
                }
                if didApply {
                    applied.append(migration.version)
                    db.logger.info("applied migration", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
                }
            } catch let error as DatabaseError {
                throw MigrationError.failed(version: migration.version, name: migration.name, underlying: error)
            }
        }
        return applied
    }
}
