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

    package enum CodingKeys: String, CodingKey {
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

/// Times written as ISO-8601 with a zone (`2026-11-24T10:00:00Z`,
/// `2026-11-24T11:00:00+01:00`, fractional seconds allowed), as a local date
/// and time without one (`2026-11-24 10:00`, `2026-11-24T10:00:00`,
/// `2026-11-24`: local time, as `journalctl --since` reads it), or as Unix
/// milliseconds.
public enum TimestampText {
    /// The accepted forms, for error messages and help.
    public static let acceptedForms = "2026-12-01T09:00:00Z (UTC), 2026-12-01T09:00:00+01:00 (an offset), "
        + "2026-12-01 09:00[:00] or 2026-12-01 (local time), or Unix milliseconds (1764579600000)"

    /// `text` in Unix ms; a time without a zone is read in `timeZone` (the local one).
    public static func milliseconds(_ text: String, field: String, timeZone: TimeZone = .current) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, trimmed.allSatisfy(\.isNumber), let ms = Int64(trimmed) {
            try InputRules.validateTimestamp(ms, field: field)
            return ms
        }
        guard let ms = parse(trimmed, timeZone: timeZone) else {
            throw InputError(field: field, message: "'\(text)' is not a time; use \(acceptedForms)")
        }
        try InputRules.validateTimestamp(ms, field: field)
        return ms
    }

    /// `YYYY-MM-DD[(T| )hh:mm[:ss[.fff]]][Z|±hh:mm|±hhmm]`, strictly.
    static package func parse(_ text: String, timeZone: TimeZone) -> Int64? {
        var rest = Substring(text)
        func number(_ digits: Int) -> Int? {
            let part = rest.prefix(digits)
            guard part.count == digits, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            rest = rest.dropFirst(digits)
            return Int(part)
        }
        func take(_ c: Character) -> Bool {
            guard rest.first == c else { return false }
            rest = rest.dropFirst()
            return true
        }
        guard let year = number(4), take("-"), let month = number(2), take("-"), let day = number(2) else { return nil }
        var hour = 0, minute = 0, second = 0, millis = 0
        if take("T") || take(" ") {
            guard let h = number(2), take(":"), let m = number(2) else { return nil }
            hour = h
            minute = m
            if take(":") {
                guard let s = number(2) else { return nil }
                second = s
                if take(".") || take(",") {
                    let digits = rest.prefix { $0.isASCII && $0.isNumber }
                    guard !digits.isEmpty, digits.count <= 9 else { return nil }
                    millis = Int(digits.prefix(3).padding(toLength: 3, withPad: "0", startingAt: 0))!
                    rest = rest.dropFirst(digits.count)
                }
            }
        }
        var zone = timeZone
        if take("Z") || take("z") {
            zone = TimeZone(identifier: "UTC")!
        } else if let sign = rest.first, sign == "+" || sign == "-" {
            rest = rest.dropFirst()
            guard let h = number(2) else { return nil }
            _ = take(":")
            guard let m = number(2), h <= 23, m <= 59 else { return nil }
            zone = TimeZone(secondsFromGMT: (sign == "+" ? 1 : -1) * (h * 3600 + m * 60))!
        }
        guard rest.isEmpty, (1...12).contains(month), (1...31).contains(day), hour <= 23, minute <= 59, second <= 60 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        // The calendar would roll 2026-02-30 over into March: refuse what it changed.
        guard let date = calendar.date(from: parts),
              calendar.component(.day, from: date) == day, calendar.component(.month, from: date) == month
        else { return nil }
        return UnixTime.milliseconds(date) + Int64(millis)
    }

    /// `ms` as ISO-8601 UTC with milliseconds.
    public static func iso(_ ms: Int64) -> String {
        // Years 1600…9999 by the Gregorian calendar: what ISO8601DateFormatter
        // writes, without building one per call (a report writes hundreds).
        // Earlier dates are the formatter's (Julian before 1582).
        let civil = CivilTime(ms: ms)
        guard (1600...9999).contains(civil.year) else {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.string(from: UnixTime.date(milliseconds: ms))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        civil.appendISO(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
