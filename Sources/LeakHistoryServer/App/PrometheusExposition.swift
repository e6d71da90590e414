import Foundation

/// Builds Prometheus text exposition (format 0.0.4): one `# HELP` and
/// `# TYPE` line per family, its samples together, label values escaped.
///
/// ```swift
/// var exposition = PrometheusExposition()
/// exposition.gauge("leak_history_usage_bytes", help: "Current usage.", labels: ["source": "api"], value: 1.5e9)
/// let text = exposition.text
/// ```
///
/// Families keep the order of their first sample; samples added later to an
/// earlier family still print with it, as the format requires.
struct PrometheusExposition {
    enum MetricType: String {
        case counter
        case gauge
        case histogram
    }

    private struct Family {
        var name: String
        var help: String
        var type: MetricType
        var lines: [String] = []
    }

    /// The content type Prometheus expects for this format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private var families: [Family] = []
    private var index: [String: Int] = [:]

    mutating func gauge(_ name: String, help: String, labels: KeyValuePairs<String, String> = [:], value: Double) {
        add(name, help: help, type: .gauge, line: Self.sample(name, labels: Array(labels), value: value))
    }

    mutating func counter(_ name: String, help: String, labels: KeyValuePairs<String, String> = [:], value: Double) {
        add(name, help: help, type: .counter, line: Self.sample(name, labels: Array(labels), value: value))
    }

    /// Declares a family with no samples yet, so its HELP and TYPE appear even when empty.
    mutating func declare(_ name: String, help: String, type: MetricType) {
        if index[name] == nil {
            index[name] = families.count
            families.append(Family(name: name, help: help, type: type))
        }
    }

    /// A histogram: cumulative `_bucket` lines with `le`, then `_sum` and `_count`.
    mutating func histogram(_ name: String, help: String, labels: [(String, String)] = [], histogram: LatencyHistogram) {
        var cumulative: UInt64 = 0
        for (bound, count) in zip(histogram.bounds, histogram.counts) {
            cumulative += count
            add(name, help: help, type: .histogram,
                line: Self.sample(name + "_bucket", labels: labels + [("le", Self.number(bound))], value: Double(cumulative)))
        }
        add(name, help: help, type: .histogram,
            line: Self.sample(name + "_bucket", labels: labels + [("le", "+Inf")], value: Double(histogram.count)))
        add(name, help: help, type: .histogram, line: Self.sample(name + "_sum", labels: labels, value: histogram.sum))
        add(name, help: help, type: .histogram, line: Self.sample(name + "_count", labels: labels, value: Double(histogram.count)))
    }

    var text: String {
        var out = ""
        for family in families {
            out += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.type.rawValue)\n"
            for line in family.lines { out += line + "\n" }
        }
        return out
    }

    private mutating func add(_ name: String, help: String, type: MetricType, line: String) {
        declare(name, help: help, type: type)
        families[index[name]!].lines.append(line)
    }

    private static func sample(_ name: String, labels: [(String, String)], value: Double) -> String {
        guard !labels.isEmpty else { return "\(name) \(number(value))" }
        let pairs = labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",")
        return "\(name){\(pairs)} \(number(value))"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// HELP text escapes backslash and line feed.
    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction, others in Go's float syntax, and the special values as Prometheus spells them.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// Counts of observations in fixed buckets, with their sum: a Prometheus histogram's state.
struct LatencyHistogram: Sendable {
    /// Upper bounds in seconds, from 1 ms to 10 s.
    static let defaultBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    let bounds: [Double]
    /// Observations per bucket (not cumulative); the last bucket beyond every bound is `count - counts.sum`.
    private(set) var counts: [UInt64]
    private(set) var count: UInt64 = 0
    private(set) var sum: Double = 0

    init(bounds: [Double] = Self.defaultBounds) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count)
    }

    mutating func observe(_ seconds: Double) {
        count += 1
        sum += seconds
        if let bucket = bounds.firstIndex(where: { seconds <= $0 }) { counts[bucket] += 1 }
    }
}
