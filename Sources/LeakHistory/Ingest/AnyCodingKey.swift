import LeakHistoryAnalysis

/// A coding key for any string: lets a strict decoder list every key an
/// object carries, so unknown fields can be refused by name.
public struct AnyCodingKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
