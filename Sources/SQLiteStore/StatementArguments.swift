/// Positional arguments for a statement's `?` parameters, in order.
///
/// The values are converted when the arguments are made, so they can cross isolation domains:
///
/// ```swift
/// try statement.execute([leakID, "heap", 4096])
/// ```
///
/// SQLite documentation: <https://www.sqlite.org/c3ref/bind_blob.html>
public struct StatementArguments: ExpressibleByArrayLiteral, Sendable {
    public var values: [DatabaseValue]

    public init(_ values: [DatabaseValue]) {
        self.values = values
    }

    public init(arrayLiteral elements: (any DatabaseValueConvertible)...) {
        self.values = elements.map(\.databaseValue)
    }
}
