/// Input that LeakHistory refuses, naming what is wrong. Nothing is recorded
/// from an input that throws it.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field or argument at fault (`component`, `usage_bytes`, `ts_ms`, …).
    public var field: String
    public var message: String
    /// The 1-based line of an NDJSON input, when there is one.
    public var line: Int?

    public init(field: String, message: String, line: Int? = nil) {
        self.field = field
        self.message = message
        self.line = line
    }

    public var description: String {
        let place = line.map { "line \($0): " } ?? ""
        return "\(place)\(field): \(message)"
    }
}

/// The rules every input value passes before it reaches the detector or the store.
public enum InputRules {
    /// Longest component or source name, in UTF-8 bytes.
    public static let maxNameBytes = 256
    /// Largest size accepted: 1 PiB. Anything bigger is a unit mistake.
    public static let maxBytes: Int64 = 1 << 50
    /// Timestamps from 2000-01-01 to 2200-01-01, in Unix ms.
    public static let timestampRange: ClosedRange<Int64> = 946_684_800_000...7_258_118_400_000

    /// Throws unless `name` is 1…256 UTF-8 bytes with no control characters.
    public static func validateName(_ name: String, field: String = "component") throws {
        if name.isEmpty {
            throw InputError(field: field, message: "name is empty")
        }
        if name.utf8.count > maxNameBytes {
            throw InputError(field: field, message: "name is \(name.utf8.count) bytes long; the limit is \(maxNameBytes)")
        }
        if let bad = name.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            throw InputError(field: field, message: "name holds the control character U+\(String(bad.value, radix: 16, uppercase: true).leftPadded(to: 4))")
        }
    }

    /// Throws unless `bytes` is between 0 and 1 PiB.
    public static func validateSize(_ bytes: Int64, field: String) throws {
        if bytes < 0 {
            throw InputError(field: field, message: "size \(bytes) is negative")
        }
        if bytes > maxBytes {
            throw InputError(field: field, message: "size \(bytes) bytes is over the 1 PiB limit")
        }
    }

    /// Throws unless `ms` lies between 2000 and 2200.
    public static func validateTimestamp(_ ms: Int64, field: String = "ts_ms") throws {
        if !timestampRange.contains(ms) {
            throw InputError(field: field, message: "timestamp \(ms) is outside 2000-01-01…2200-01-01 (Unix milliseconds expected)")
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
