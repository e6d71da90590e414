import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// `POST /api/v1/memory/events` stores NDJSON or a JSON array whole, or
/// refuses it whole with a 400 that names every bad line: nothing partial is
/// ever written.
@Suite struct EventsEndpointStoresAllOrNothingTests {
    static let ndjsonType: HTTPFields = [.contentType: "application/x-ndjson"]

    @Test func ndjsonIsStoredAndReported() async throws {
        let fixture = try ServerFixture()
        let body = ndjson(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, headers: Self.ndjsonType, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .ok)
                #expect(response.json["stored"] as? Int == 240)
            }
            try await client.execute(uri: "/api/v1/memory/leaks?source=api", method: .get) { response in
                #expect(response.json["has_leaks"] as? Bool == true)
            }
        }
    }

    @Test func aJSONArrayIsStoredWithTheSourceParameterAsDefault() async throws {
        let fixture = try ServerFixture()
        let body = #"[{"ts_ms": 1763999990000, "usage_bytes": 1048576}, {"ts_ms": 1763999995000, "component": "cache", "alloc_bytes": 4096}]"#
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events?source=batch", method: .post,
                                     headers: [.contentType: "application/json"], body: ByteBuffer(text: body)) { response in
                #expect(response.status == .ok)
                #expect(response.json["stored"] as? Int == 2)
            }
            try await client.execute(uri: "/api/v1/memory/sources", method: .get) { response in
                #expect((response.json["sources"] as? [[String: Any]])?.map { $0["name"] as? String } == ["batch"])
            }
        }
    }

    @Test func eventsWithoutTimestampsAreStampedWithTheServersNow() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: #"{"usage_bytes": 5000}"#)) { response in
                #expect(response.status == .ok)
            }
        }
        let reader = try HistoryReader(path: fixture.path)
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "default").map(\.tsMs) == [fixedNowMs])
    }

    /// Each body has one bad line among good ones; the 400 names the line and
    /// the field, and the database stays exactly as it was.
    @Test(arguments: [
        ("{\"ts_ms\": 1763999990000, \"usage_bytes\": 100}\n{\"ts_ms\": 1763999991000, \"usage_bytes\": 1\n", 2, "json"),
        ("{\"ts_ms\": 1763999990000, \"usage_bytes\": 100}\n{\"ts_ms\": 1763999991000, \"usage_bytes\": 100, \"colour\": \"red\"}\n", 2, "colour"),
        ("{\"ts_ms\": 1763999990000, \"usage_bytes\": 100}\n\n{\"ts_ms\": 1763999991000, \"usage_bytes\": -5}\n", 3, "usage_bytes"),
        ("{\"ts_ms\": 1763999990000, \"usage_bytes\": \"lots\"}\n", 1, "usage_bytes"),
        ("{\"ts_ms\": 1763999990000, \"usage_bytes\": 2.5}\n", 1, "usage_bytes"),
        ("{\"ts_ms\": 1763999990000, \"usage_bytes\": 99999999999999999999}\n", 1, "usage_bytes"),
        ("{\"ts_ms\": 1763999990000, \"component\": \"\", \"alloc_bytes\": 1}\n", 1, "component"),
        ("{\"ts_ms\": 1763999990000, \"component\": \"\(String(repeating: "x", count: 300))\", \"alloc_bytes\": 1}\n", 1, "component"),
        ("{\"ts_ms\": 1763999990000, \"component\": \"a\\u0007b\", \"alloc_bytes\": 1}\n", 1, "component"),
        ("{\"ts_ms\": 12, \"usage_bytes\": 100}\n", 1, "ts_ms"),
        ("{\"ts_ms\": 1763999990000, \"usage_bytes\": 100}\n[1, 2]\n", 2, "json"),
        ("[{\"ts_ms\": 1763999990000, \"usage_bytes\": 100}, {\"ts_ms\": 1763999990000, \"alloc_bytes\": 100}]", 2, "component"),
        ("[{\"ts_ms\": 1763999990000, \"usage_bytes\": 100}, 7]", 2, "event"),
        ("{\"ts_ms\": 1763999990000, \"event\": \"explode\"}\n", 1, "event"),
    ])
    func aBadLineRefusesTheWholeBody(body: String, line: Int, field: String) async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        let before = try fixture.storedCounts()
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .badRequest, "\(response.text)")
                #expect(response.errorMessage.contains("nothing was stored"))
                let errors = response.json["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["line"] as? Int == line, "\(response.text)")
                #expect(errors.first?["field"] as? String == field, "\(response.text)")
                #expect(response.json["error_count"] as? Int == errors.count)
            }
        }
        let after = try fixture.storedCounts()
        #expect(after.snapshots == before.snapshots)
        #expect(after.componentSamples == before.componentSamples)
        #expect(after.sources == before.sources)
    }

    @Test func aConflictTheStoreFindsWritesNothingAndNamesTheLine() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        let before = try fixture.storedCounts()
        // Lines 1 and 2 are fine on their own; line 3 feeds a counted component as a gauge.
        let body = """
            {"ts_ms": 1764000001000, "source": "api", "usage_bytes": 104857600}
            {"ts_ms": 1764000001000, "source": "api", "component": "session_cache", "alloc_bytes": 10}
            {"ts_ms": 1764000002000, "source": "api", "component": "session_cache", "allocated_bytes": 10}
            """
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .badRequest)
                let errors = response.json["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["line"] as? Int == 3, "\(response.text)")
                #expect(response.errorMessage.contains("counted"))
            }
        }
        let after = try fixture.storedCounts()
        #expect(after.snapshots == before.snapshots)
        #expect(after.componentSamples == before.componentSamples)
    }

    @Test func everyBadLineIsListed() async throws {
        let fixture = try ServerFixture()
        let body = (1...150).map { _ in #"{"usage_bytes": -1}"# }.joined(separator: "\n")
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .badRequest)
                #expect(response.json["error_count"] as? Int == 150)
                #expect((response.json["errors"] as? [Any])?.count == EventsController<ServerRequestContext>.maxListedErrors)
                #expect(response.errorMessage.hasPrefix("150 bad lines"))
            }
        }
    }

    @Test func anEmptyBodyIs400() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            for body in ["", "\n  \n"] {
                try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorMessage.contains("no events"))
                }
            }
        }
    }

    @Test func aBodyOverTheLimitIs413AndWritesNothing() async throws {
        let fixture = try ServerFixture(maxBodyBytes: 4096)
        let body = ndjson(leakingHistory())
        #expect(body.utf8.count > 4096)
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.errorMessage.contains("4096"))
            }
        }
        #expect(try fixture.storedCounts().snapshots == 0)
    }

    @Test func curlsDefaultContentTypeIsReadAndItsStrippedNewlinesGetAHint() async throws {
        let fixture = try ServerFixture()
        let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, headers: form,
                                     body: ByteBuffer(text: "{\"ts_ms\": \(fixedNowMs - 1), \"usage_bytes\": 1}\n{\"usage_bytes\": 2}\n")) { response in
                #expect(response.status == .ok)
                #expect(response.json["stored"] as? Int == 2)
            }
            // What `curl -d @file` sends: the lines glued together.
            try await client.execute(uri: "/api/v1/memory/events", method: .post, headers: form,
                                     body: ByteBuffer(text: "{\"usage_bytes\": 1}{\"usage_bytes\": 2}")) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage.contains("--data-binary"))
            }
            try await client.execute(uri: "/api/v1/memory/events", method: .post,
                                     headers: [.contentType: "multipart/form-data; boundary=x"],
                                     body: ByteBuffer(text: "--x--")) { response in
                #expect(response.status == .unsupportedMediaType)
                #expect(response.errorMessage.contains("--data-binary"))
            }
        }
    }
}
