import Foundation

/// The labels of one Prometheus series, sorted by name.
public struct SeriesLabels: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public private(set) var pairs: [Pair]

    public struct Pair: Sendable, Hashable, Codable {
        public var name: String
        public var value: String
    }

    public init(_ labels: [String: String]) {
        pairs = labels.map { Pair(name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }
    }

    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// The labels without `__name__`: what identifies a series across metric names.
    public var withoutMetricName: SeriesLabels {
        var copy = self
        copy.pairs.removeAll { $0.name == "__name__" }
        return copy
    }

    /// Only the labels named in `names` (a missing label counts as empty, as in PromQL).
    public func keeping(_ names: [String]) -> SeriesLabels {
        SeriesLabels(Dictionary(names.map { ($0, self[$0] ?? "") }, uniquingKeysWith: { a, _ in a }))
    }

    /// `{instance="a:9100", job="api"}`, as Prometheus prints a label set.
    public var description: String {
        "{" + pairs.map { "\($0.name)=\"\(Self.escaped($0.value))\"" }.joined(separator: ", ") + "}"
    }

    public static func < (a: SeriesLabels, b: SeriesLabels) -> Bool {
        a.description < b.description
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([String: String].self))
    }

    private static func escaped(_ value: String) -> String {
        var out = ""
        for ch in value {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out
    }
}

/// One series of a range query: its labels and samples, oldest first.
public struct PrometheusSeries: Sendable, Equatable {
    public var labels: SeriesLabels
    public var timesMs: [Int64]
    public var values: [Double]

    public init(labels: SeriesLabels, timesMs: [Int64] = [], values: [Double] = []) {
        self.labels = labels
        self.timesMs = timesMs
        self.values = values
    }

    public var count: Int { timesMs.count }
}
