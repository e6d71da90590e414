/// One step of the schema: SQL applied once, in order, recorded as `PRAGMA user_version = version`.
///
/// ```swift
/// Migration(version: 1, name: "create_leaks", sql: Migrations.createLeaks)
/// ```
public struct Migration: Sendable, Equatable {
    /// Its place in the sequence 1, 2, 3…
    public let version: Int
    public let name: String
    /// One or more statements, run by `Database.execute(sql:)`.
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}
