import LeakHistoryAnalysis
import Foundation

/// One event of the history, as `ingest` and `POST /api/v1/memory/events` take them.
public struct IngestEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Total usage of the source.
        case snapshot(usageBytes: Int64)
        /// A counted component allocated `bytes`.
        case allocation(component: String, bytes: Int64)
        /// A counted component freed `bytes`.
        case deallocation(component: String, bytes: Int64)
        /// A sampled (gauge) component holds `bytes`.
        case gauge(component: String, bytes: Int64)
        /// The source restarted: a new run begins, counters start at zero. It
        /// may name the version it runs and labels (`host`, `commit` …).
        case restart(RunDeployment = .none)
        /// A baseline is set: at `usageBytes`, or the source's usage at that time.
        case baseline(usageBytes: Int64?)
    }

    public var source: String
    public var tsMs: Int64
    public var kind: Kind

    public init(source: String = "default", tsMs: Int64, kind: Kind) {
        self.source = source
        self.tsMs = tsMs
        self.kind = kind
    }
}

/// Turns NDJSON lines (or a JSON array) into validated `IngestEvent`s.
///
/// ```text
/// {"ts_ms": 1764000000000, "usage_bytes": 104857600}
/// {"ts_ms": 1764000000500, "component": "cache", "alloc_bytes": 4096}
/// {"ts_ms": 1764000001000, "component": "cache", "dealloc_bytes": 4096}
/// {"ts_ms": 1764000001000, "component": "rss_anon", "allocated_bytes": 52428800}
/// {"ts_ms": 1764000002000, "event": "restart", "source": "api"}
/// {"ts_ms": 1764000003000, "event": "restart", "version": "1.4.2", "labels": {"host": "web-1"}}
/// {"ts_ms": 1764000002000, "event": "baseline"}
/// ```
///
/// Each line must be one JSON object of exactly one kind; unknown fields,
/// wrong types, negative or absurd sizes, bad names and out-of-range times are
/// errors that name the line. `ts_ms` may be left out: the event is then
/// "now" (`nowMs`).
public struct EventDecoder: Sendable {
    public var defaultSource: String
    public var nowMs: Int64

    public init(defaultSource: String = "default", nowMs: Int64) {
        self.defaultSource = defaultSource
        self.nowMs = nowMs
    }

    private static let allowed: Set<String> = [
        "ts_ms", "source", "usage_bytes", "component", "alloc_bytes", "dealloc_bytes", "allocated_bytes", "event",
        "version", "labels",
    ]

    /// The raw fields of one event object, strictly typed.
    private struct Fields: Decodable {
        var keys: [String]
        var tsMs: Int64?
        var source: String?
        var usageBytes: Int64?
        var component: String?
        var allocBytes: Int64?
        var deallocBytes: Int64?
        var allocatedBytes: Int64?
        var event: String?
        var version: String?
        var labels: [String: String]?

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyCodingKey.self)
            keys = c.allKeys.map(\.stringValue)
            // decodeIfPresent reads null as absent; here null is a wrong type.
            func present(_ key: AnyCodingKey) throws -> Bool {
                guard c.contains(key) else { return false }
                if try c.decodeNil(forKey: key) {
                    throw DecodingError.valueNotFound(Int64.self, .init(codingPath: [key], debugDescription: "null"))
                }
                return true
            }
            func int(_ name: String) throws -> Int64? {
                let key = AnyCodingKey(stringValue: name)
                return try present(key) ? try c.decode(Int64.self, forKey: key) : nil
            }
            func text(_ name: String) throws -> String? {
                let key = AnyCodingKey(stringValue: name)
                return try present(key) ? try c.decode(String.self, forKey: key) : nil
            }
            tsMs = try int("ts_ms")
            source = try text("source")
            usageBytes = try int("usage_bytes")
            component = try text("component")
            allocBytes = try int("alloc_bytes")
            deallocBytes = try int("dealloc_bytes")
            allocatedBytes = try int("allocated_bytes")
            event = try text("event")
            version = try text("version")
            let labelsKey = AnyCodingKey(stringValue: "labels")
            labels = try present(labelsKey) ? try c.decode([String: String].self, forKey: labelsKey) : nil
        }
    }

    /// One event from one JSON object's bytes; `line` goes into the error.
    public func decode(_ json: some DataProtocol, line: Int? = nil) throws -> IngestEvent {
        if let problem = StrictJSONScan.problem(in: json) {
            throw InputError(field: problem.field, message: problem.message, line: line)
        }
        let fields: Fields
        do {
            fields = try JSONDecoder().decode(Fields.self, from: Data(json))
        } catch let error as DecodingError {
            if let numberError = Self.nonIntegerField(in: json, error: error) {
                throw InputError(field: numberError, message: "expected a whole number in range", line: line)
            }
            throw InputError(field: Self.field(of: error), message: Self.message(of: error), line: line)
        }
        return try validate(fields, line: line)
    }

    private func validate(_ f: Fields, line: Int?) throws -> IngestEvent {
        func fail(_ field: String, _ message: String) -> InputError {
            InputError(field: field, message: message, line: line)
        }
        if let unknown = f.keys.sorted().first(where: { !Self.allowed.contains($0) }) {
            throw fail(unknown, "unknown field (allowed: \(Self.allowed.sorted().joined(separator: ", ")))")
        }
        do {
            let source = f.source ?? defaultSource
            try InputRules.validateName(source, field: "source")
            let ts = f.tsMs ?? nowMs
            try InputRules.validateTimestamp(ts)
            let sizes = [("usage_bytes", f.usageBytes), ("alloc_bytes", f.allocBytes), ("dealloc_bytes", f.deallocBytes),
                         ("allocated_bytes", f.allocatedBytes)].filter { $0.1 != nil }
            for (name, value) in sizes { try InputRules.validateSize(value!, field: name) }

            guard f.event == "restart" || (f.version == nil && f.labels == nil) else {
                throw fail(f.version != nil ? "version" : "labels", "a version and labels go on a restart event ({\"event\": \"restart\", \"version\": \"1.4.2\"}), which starts the run they describe")
            }
            if let event = f.event {
                guard f.component == nil, f.allocBytes == nil, f.deallocBytes == nil, f.allocatedBytes == nil else {
                    throw fail("event", "an \"event\" line carries only ts_ms, source, (for a restart) version and labels, and (for a baseline) usage_bytes")
                }
                switch event {
                case "restart":
                    guard f.usageBytes == nil else { throw fail("usage_bytes", "a restart carries no usage_bytes") }
                    return IngestEvent(source: source, tsMs: ts, kind: .restart(try RunDeployment(version: f.version, labels: f.labels ?? [:])))
                case "baseline":
                    return IngestEvent(source: source, tsMs: ts, kind: .baseline(usageBytes: f.usageBytes))
                default:
                    throw fail("event", "'\(event)' is not an event (restart or baseline)")
                }
            }
            if let component = f.component {
                try InputRules.validateName(component, field: "component")
                guard f.usageBytes == nil else {
                    throw fail("usage_bytes", "a component line carries one of alloc_bytes, dealloc_bytes, allocated_bytes; usage_bytes goes on its own line")
                }
                switch (f.allocBytes, f.deallocBytes, f.allocatedBytes) {
                case let (bytes?, nil, nil): return IngestEvent(source: source, tsMs: ts, kind: .allocation(component: component, bytes: bytes))
                case let (nil, bytes?, nil): return IngestEvent(source: source, tsMs: ts, kind: .deallocation(component: component, bytes: bytes))
                case let (nil, nil, bytes?): return IngestEvent(source: source, tsMs: ts, kind: .gauge(component: component, bytes: bytes))
                case (nil, nil, nil): throw fail("component", "needs one of alloc_bytes, dealloc_bytes, allocated_bytes")
                default: throw fail("component", "carries more than one of alloc_bytes, dealloc_bytes, allocated_bytes")
                }
            }
            guard f.allocBytes == nil, f.deallocBytes == nil, f.allocatedBytes == nil else {
                throw fail("component", "alloc_bytes, dealloc_bytes and allocated_bytes need a component")
            }
            guard let usage = f.usageBytes else {
                throw fail("event", "not an event: expected usage_bytes, a component, or \"event\"")
            }
            return IngestEvent(source: source, tsMs: ts, kind: .snapshot(usageBytes: usage))
        } catch var error as InputError {
            error.line = line
            throw error
        }
    }

    /// Every event of an NDJSON text (blank lines skipped), or of a JSON array
    /// when the body starts with `[`. Bad lines are returned as errors with
    /// their line numbers (array elements count from 1); `lines` holds each
    /// event's line number, so a later refusal can name it too.
    public func decodeAll(_ data: Data) -> (events: [IngestEvent], errors: [InputError], lines: [Int]) {
        var events: [IngestEvent] = []
        var errors: [InputError] = []
        var lines: [Int] = []
        func take(_ line: Int, _ body: () throws -> IngestEvent) {
            do {
                events.append(try body())
                lines.append(line)
            } catch let error as InputError {
                errors.append(error)
            } catch {
                errors.append(InputError(field: "event", message: "\(error)", line: line))
            }
        }
        let firstByte = data.first { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }
        if firstByte == UInt8(ascii: "[") {
            // Re-encoding loses how numbers were written and which keys repeated: check those first.
            if let problem = StrictJSONScan.problem(in: data) {
                return ([], [InputError(field: problem.field, message: problem.message, line: problem.element)], [])
            }
            // Elements are re-encoded one by one so each gets its own error.
            guard let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
                return ([], [InputError(field: "body", message: "malformed JSON array")], [])
            }
            for (index, element) in array.enumerated() {
                take(index + 1) {
                    guard element is [String: Any] else {
                        throw InputError(field: "event", message: "each element must be a JSON object", line: index + 1)
                    }
                    return try decode(try JSONSerialization.data(withJSONObject: element), line: index + 1)
                }
            }
            return (events, errors, lines)
        }
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if Self.isBlank(line) { continue }
            take(lineNumber) { try decode(line, line: lineNumber) }
        }
        return (events, errors, lines)
    }

    /// A line of only spaces, tabs and a carriage return: skipped, not an error.
    public static func isBlank(_ line: some Collection<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    private static let integerFields: Set<String> = ["ts_ms", "usage_bytes", "alloc_bytes", "dealloc_bytes", "allocated_bytes"]

    /// JSONDecoder reports a fraction or an out-of-range number in an integer
    /// field as corrupt data with no path; find the field it meant.
    private static func nonIntegerField(in json: some DataProtocol, error: DecodingError) -> String? {
        guard case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
              let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return nil }
        return object.keys.sorted().first { key in
            guard integerFields.contains(key), let number = object[key] as? NSNumber else { return false }
            return Double(exactly: number.int64Value) != number.doubleValue || number.doubleValue.rounded() != number.doubleValue
                || abs(number.doubleValue) >= 9.2e18
        }
    }

    private static func field(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath.last?.stringValue ?? "json"
        @unknown default:
            return "json"
        }
    }

    private static func message(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "expected one JSON object per line" }
            return "expected \(type == String.self ? "a string" : "a whole number"), found something else"
        case .valueNotFound(_, let context):
            return context.codingPath.isEmpty ? "expected a JSON object" : "must not be null"
        case .keyNotFound(let key, _):
            return "missing \(key.stringValue)"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "malformed JSON" }
            return "not a whole number in range"
        @unknown default:
            return "malformed JSON"
        }
    }
}
