import Foundation

/// A closed window `[fromMs, toMs]` of Unix milliseconds.
///
/// ```swift
/// let window = try TimeWindow(since: "1h", nowMs: UnixTime.milliseconds(Date()))
/// let exact = try TimeWindow(from: "2026-11-24T10:00:00Z", to: "1764000000000")
/// ```
public struct TimeWindow: Sendable, Equatable, Codable {
    public let fromMs: Int64
    public let toMs: Int64

    /// Throws when `fromMs > toMs`.
    public init(fromMs: Int64, toMs: Int64) throws {
        guard fromMs <= toMs else {
            throw InputError(field: "window", message: "from (\(fromMs)) is after to (\(toMs))")
        }
        self.fromMs = fromMs
        self.toMs = toMs
    }

    /// The last `since` (a duration such as `90s`, `10m`, `6h`, `30d`) up to `nowMs`.
    public init(since: String, nowMs: Int64) throws {
        let span = try DurationText.milliseconds(since, field: "since")
        try self.init(fromMs: nowMs - span, toMs: nowMs)
    }

    /// From `from` to `to` (ISO-8601 or Unix ms each); a missing end is open.
    public init(from: String?, to: String?, nowMs: Int64) throws {
        let fromMs = try from.map { try TimestampText.milliseconds($0, field: "from") } ?? 0
        let toMs = try to.map { try TimestampText.milliseconds($0, field: "to") } ?? nowMs
        try self.init(fromMs: fromMs, toMs: toMs)
    }

    /// The window a CLI or HTTP caller asked for: `since` (up to now), `since`
    /// with `to` (the span before `to`) or with `from` (the span after `from`),
    /// `from`/`to`, or the default span before now. All three is an error.
    public static func resolve(since: String?, from: String?, to: String?, defaultSpanMs: Int64, nowMs: Int64) throws -> TimeWindow {
        if let since {
            switch (from, to) {
            case (nil, nil):
                return try TimeWindow(since: since, nowMs: nowMs)
            case (nil, let to?):
                return try TimeWindow(since: since, nowMs: TimestampText.milliseconds(to, field: "to"))
            case (let from?, nil):
                let fromMs = try TimestampText.milliseconds(from, field: "from")
                let span = try DurationText.milliseconds(since, field: "since")
                return try TimeWindow(fromMs: fromMs, toMs: fromMs.saturatingAdd(span))
            case (.some, .some):
                throw InputError(field: "window", message: "give since with at most one of from and to (the window is then the span after from or before to)")
            }
        }
        if from != nil || to != nil { return try TimeWindow(from: from, to: to, nowMs: nowMs) }
        return try TimeWindow(fromMs: nowMs - defaultSpanMs, toMs: nowMs)
    }

    public var spanMs: Int64 { toMs.saturatingSubtract(fromMs) }

    enum CodingKeys: String, CodingKey {
        case fromMs = "from_ms"
        case toMs = "to_ms"
    }
}

/// Durations written as a number and a unit: `250ms`, `90s`, `10m`, `6h`, `30d`, `2w`, `1y`.
public enum DurationText {
    /// The duration in milliseconds; throws `InputError` naming `field` for anything else.
    public static func milliseconds(_ text: String, field: String = "duration") throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count)
        let factors: [Substring: Double] = ["ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000,
                                            "w": 604_800_000, "y": 31_536_000_000]
        guard let value = Double(digits), value.isFinite, let factor = factors[unit.isEmpty ? "s" : unit] else {
            throw InputError(field: field, message: "'\(text)' is not a duration (use e.g. 250ms, 90s, 10m, 6h, 30d)")
        }
        let ms = value * factor
        guard ms > 0, ms <= 100 * 31_536_000_000 else {
            throw InputError(field: field, message: "'\(text)' must be more than 0 and at most 100 years")
        }
        return Int64(ms.rounded())
    }
}

/// Times written as ISO-8601 (`2026-11-24T10:00:00Z`, fractional seconds and
/// offsets allowed) or as Unix milliseconds.
public enum TimestampText {
    public static func milliseconds(_ text: String, field: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, trimmed.allSatisfy(\.isNumber), let ms = Int64(trimmed) {
            try InputRules.validateTimestamp(ms, field: field)
            return ms
        }
        for options in [ISO8601DateFormatter.Options.withInternetDateTime, [.withInternetDateTime, .withFractionalSeconds],
                        [.withFullDate]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: trimmed) {
                let ms = UnixTime.milliseconds(date)
                try InputRules.validateTimestamp(ms, field: field)
                return ms
            }
        }
        throw InputError(field: field, message: "'\(text)' is neither ISO-8601 (2026-11-24T10:00:00Z) nor Unix milliseconds")
    }

    /// `ms` as ISO-8601 UTC with milliseconds.
    public static func iso(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: UnixTime.date(milliseconds: ms))
    }
}
