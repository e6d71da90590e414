import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Logging
import Testing
@testable import LeakHistoryServer

let MiB = ByteSize.bytesPerMB

/// "Now" for every in-process test: 2025-11-24T16:00:00Z.
let fixedNowMs: Int64 = 1_764_000_000_000

/// A fresh database file in its own temporary directory, and the server built on it.
final class ServerFixture: Sendable {
    let directory: URL
    let path: String
    let database: HistoryDatabase
    let configuration: ServerConfiguration

    init(token: String? = nil, maxBodyBytes: Int = 8 << 20, maxComponentsPerSource: Int = HistoryWriter.defaultMaxComponentsPerSource,
         configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("leakhistory-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("history.sqlite").path
        var configuration = ServerConfiguration(databasePath: path)
        configuration.token = token
        configuration.maxBodyBytes = maxBodyBytes
        configure(&configuration)
        self.configuration = configuration
        database = try HistoryDatabase(path: path, readerConnections: 2, maxComponentsPerSource: maxComponentsPerSource, logger: Self.logger)
    }

    static let logger = Logger(label: "leak-history.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The application on a fixed clock (`fixedNowMs`), port 0 for live tests.
    func application(nowMs: Int64 = fixedNowMs) throws -> some ApplicationProtocol {
        var configuration = self.configuration
        configuration.port = 0
        return try buildApplication(configuration, database: database, logger: Self.logger,
                                    now: { UnixTime.date(milliseconds: nowMs) })
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` against the router in process, then closes the server's
    /// connections (the file stays until the fixture is released).
    func test(nowMs: Int64 = fixedNowMs, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        do {
            try await application(nowMs: nowMs).test(.router, body)
        } catch {
            await close()
            throw error
        }
        await close()
    }

    func close() async {
        await database.close()
    }

    /// Writes events straight through the library, as `leak-history ingest` would.
    func ingest(_ events: [IngestEvent]) throws {
        let writer = try HistoryWriter(path: path)
        defer { try? writer.close() }
        try writer.ingest(events, atomic: true)
    }

    /// What a fresh reader sees: snapshots, component samples and sources.
    func storedCounts() throws -> (sources: [String], snapshots: Int, componentSamples: Int) {
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        var snapshots = 0
        var samples = 0
        let sources = try reader.sources()
        for source in sources {
            snapshots += try reader.snapshots(source: source).count
            for component in try reader.components(source: source) {
                samples += try reader.componentSamples(source: source, component: component.name).count
            }
        }
        return (sources, snapshots, samples)
    }
}

/// Ten minutes of a known leak before `fixedNowMs`, one step every 10 s:
/// usage climbs 100 → 160 MiB, `session_cache` allocates 1 MiB a step and never
/// frees, `request_buffers` allocates and frees 512 KiB a step.
func leakingHistory(source: String = "api", endMs: Int64 = fixedNowMs, steps: Int = 60) -> [IngestEvent] {
    var events: [IngestEvent] = []
    for step in 0..<steps {
        // 10 ms before the step, so the last one lies inside a window that ends at `endMs`.
        let ts = endMs - Int64(steps - 1 - step) * 10_000 - 10
        events.append(IngestEvent(source: source, tsMs: ts, kind: .allocation(component: "session_cache", bytes: MiB)))
        events.append(IngestEvent(source: source, tsMs: ts, kind: .allocation(component: "request_buffers", bytes: MiB / 2)))
        events.append(IngestEvent(source: source, tsMs: ts + 1, kind: .deallocation(component: "request_buffers", bytes: MiB / 2)))
        events.append(IngestEvent(source: source, tsMs: ts + 2, kind: .snapshot(usageBytes: 100 * MiB + Int64(step) * MiB)))
    }
    return events
}

/// The same history as NDJSON lines.
func ndjson(_ events: [IngestEvent]) -> String {
    events.map { event -> String in
        let head = "\"ts_ms\": \(event.tsMs), \"source\": \"\(event.source)\""
        switch event.kind {
        case .snapshot(let bytes): return "{\(head), \"usage_bytes\": \(bytes)}"
        case .allocation(let name, let bytes): return "{\(head), \"component\": \"\(name)\", \"alloc_bytes\": \(bytes)}"
        case .deallocation(let name, let bytes): return "{\(head), \"component\": \"\(name)\", \"dealloc_bytes\": \(bytes)}"
        case .gauge(let name, let bytes): return "{\(head), \"component\": \"\(name)\", \"allocated_bytes\": \(bytes)}"
        case .restart: return "{\(head), \"event\": \"restart\"}"
        case .baseline(let bytes): return bytes.map { "{\(head), \"event\": \"baseline\", \"usage_bytes\": \($0)}" } ?? "{\(head), \"event\": \"baseline\"}"
        }
    }.joined(separator: "\n") + "\n"
}

extension TestResponse {
    /// The body parsed as a JSON object; records an issue when it is not one.
    var json: [String: Any] {
        let value = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
        guard let object = value as? [String: Any] else {
            Issue.record("expected a JSON object, got: \(text)")
            return [:]
        }
        return object
    }

    var text: String { String(buffer: body) }

    /// The `error` message of a JSON error body.
    var errorMessage: String { json["error"] as? String ?? "" }
}

extension ByteBuffer {
    init(text: String) { self.init(string: text) }
}

/// A JSON value that keeps booleans and numbers apart (Foundation's
/// `JSONSerialization` on Linux answers `is Bool` for any 0 or 1).
enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    init(parsing data: Data) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    subscript(_ key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var isNumber: Bool {
        switch self {
        case .integer, .number: true
        default: false
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .integer(let value): "\(value)"
        case .number(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .array(let values): "[\(values.map(\.description).joined(separator: ", "))]"
        case .object(let members): "{\(members.map { "\"\($0.key)\": \($0.value)" }.sorted().joined(separator: ", "))}"
        }
    }
}

extension TestResponse {
    /// The body as a `JSONValue`, for checks where a boolean must not pass for a number.
    var value: JSONValue {
        get throws { try JSONValue(parsing: Data(body.readableBytesView)) }
    }
}
