import Foundation
import LeakHistory

/// Whether text written to `descriptor` may carry ANSI colour: a terminal,
/// `NO_COLOR` unset (https://no-color.org) and `TERM` neither `dumb` nor unset.
func terminalSupportsColour(_ descriptor: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
    guard isatty(descriptor) != 0, environment["NO_COLOR"].map({ $0.isEmpty }) ?? true else { return false }
    guard let term = environment["TERM"], !term.isEmpty, term != "dumb" else { return false }
    return true
}

/// Plain words for the operating-system errors a user meets most, in place of
/// a call site and an errno (`bind(descriptor:ptr:bytes:): Address already in use (errno: 98)`).
enum PlainError {
    static func message(for error: any Error, port: Int? = nil, path: String? = nil) -> String {
        let text = "\(error)"
        guard let errno = errnoValue(in: text) else { return text }
        switch errno {
        case EADDRINUSE:
            return "the address is already in use" + (port.map { ": another program listens on port \($0) (stop it, or pick another with --port; --port 0 takes a free one)" } ?? "")
        case EADDRNOTAVAIL:
            return "this machine has no such address to listen on (check --host)"
        case EACCES, EPERM:
            return "permission denied" + (path.map { " for '\($0)'" } ?? "") + (port.map { $0 < 1024 ? " (ports below 1024 need root; pick another with --port)" : "" } ?? "")
        case ENOENT:
            return "no such file or directory" + (path.map { ": '\($0)'" } ?? "")
        case ENOSPC:
            return "the disk is full" + (path.map { " (writing '\($0)')" } ?? "")
        case EROFS:
            return "the file system is read-only" + (path.map { " ('\($0)')" } ?? "")
        default:
            return String(cString: strerror(errno)) + " (errno \(errno))"
        }
    }

    /// The errno in texts such as `… (errno: 98)`.
    static func errnoValue(in text: String) -> Int32? {
        guard let range = text.range(of: "errno: ") else { return nil }
        return Int32(text[range.upperBound...].prefix { $0.isNumber })
    }
}

extension TimeWindow {
    /// `2026-12-01T08:00:00.000Z → 2026-12-01T08:10:00.000Z (UTC)`.
    var utcText: String { "\(TimestampText.iso(fromMs)) → \(TimestampText.iso(toMs)) (UTC)" }
}

/// Pads each column of `rows` to its widest cell, two spaces apart.
func textTable(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = Array(repeating: 0, count: first.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    return rows.map { row in
        row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
}

/// A time for a table cell: ISO-8601 UTC to the second, or `—`.
func timeCell(_ ms: Int64?) -> String {
    guard let ms else { return "—" }
    return String(TimestampText.iso(ms).prefix(19)) + "Z"
}
