import Foundation
import Hummingbird
import LeakHistory

/// A request's query string, checked against the parameters its route takes:
/// an unknown or repeated parameter is a 400 naming it, so a typo such as
/// `sinse=1h` is not silently ignored.
///
/// ```swift
/// let query = try QueryParameters(request, allowed: ["since", "from", "to", "source"])
/// let window = try query.window(defaultSpanMs: 600_000, nowMs: now)
/// let source = try query.source(default: "default")
/// ```
struct QueryParameters {
    private var values: [String: String] = [:]

    init(_ request: Request, allowed: Set<String>) throws {
        // The decoded parameters replace bytes that are not UTF-8; such a value is refused instead.
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            for part in parts where String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding == nil {
                let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
                throw APIError(.badRequest, "\(name): the query string is not valid percent-encoded UTF-8 ('\(part.prefix(40))')")
            }
        }
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else {
                let list = allowed.isEmpty ? "this endpoint takes none" : "allowed: \(allowed.sorted().joined(separator: ", "))"
                throw APIError(.badRequest, "\(name): unknown query parameter (\(list))")
            }
            guard values[name] == nil else {
                throw APIError(.badRequest, "\(name): given more than once")
            }
            values[name] = String(value)
        }
    }

    subscript(_ name: String) -> String? {
        values[name]
    }

    /// A non-empty value; an empty one (`?since=`) is an error rather than "absent".
    func value(_ name: String) throws -> String? {
        guard let value = values[name] else { return nil }
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError(.badRequest, "\(name): the value is empty")
        }
        return value
    }

    /// `since`, or `from`/`to`, or the last `defaultSpanMs` before now.
    func window(defaultSpanMs: Int64, nowMs: Int64) throws -> TimeWindow {
        try TimeWindow.resolve(since: try value("since"), from: try value("from"), to: try value("to"),
                               defaultSpanMs: defaultSpanMs, nowMs: nowMs)
    }

    /// The `source` parameter checked as a name, `nil` when absent.
    func optionalSource() throws -> String? {
        guard let source = try value("source") else { return nil }
        try InputRules.validateName(source, field: "source")
        return source
    }

    /// The `source` parameter, checked as a name, or `defaultSource`.
    func source(default defaultSource: String) throws -> String {
        guard let source = try value("source") else { return defaultSource }
        try InputRules.validateName(source, field: "source")
        return source
    }
}
