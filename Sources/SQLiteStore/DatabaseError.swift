/// An error reported by SQLite, or by this layer when it is misused.
///
/// `description` names the code, SQLite's message, the statement and the database file.
/// It never shows bound arguments: they may hold user data, and errors end up in logs.
///
/// ```swift
/// do {
///     try statement.execute([name])
/// } catch ResultCode.constraint {
///     …   // any constraint failure (see `ResultCode.~=`)
/// }
/// ```
///
/// SQLite documentation: <https://www.sqlite.org/c3ref/errcode.html>
public struct DatabaseError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The extended result code when SQLite gave one.
    public let resultCode: ResultCode
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?
    /// The database file, when known.
    public let path: String?

    public init(resultCode: ResultCode, message: String, sql: String? = nil, path: String? = nil) {
        self.resultCode = resultCode
        self.message = message
        self.sql = sql
        self.path = path
    }

    public var description: String {
        var text = "SQLite error \(resultCode): \(message)"
        if let sql {
            text += " — while executing `\(sql)`"
        }
        if let path {
            text += " — database '\(path)'"
        }
        return text
    }
}
