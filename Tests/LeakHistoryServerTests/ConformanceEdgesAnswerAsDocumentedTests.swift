import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
import Yams
@testable import LeakHistoryServer

/// Where the server and its OpenAPI document disagreed, or Foundation let
/// through what the rules refuse: each now answers as documented.
@Suite struct ConformanceEdgesAnswerAsDocumentedTests {
    /// Numbers that decode to an Int64 but are not written as integers, and a
    /// key given twice (the last would win): refused, naming the field.
    @Test(arguments: [
        (#"{"ts_ms": 1763999990000, "usage_bytes": -0}"#, "usage_bytes"),
        (#"{"ts_ms": 1763999990000, "usage_bytes": -0.0}"#, "usage_bytes"),
        (#"{"ts_ms": 1763999990000, "usage_bytes": 1e3}"#, "usage_bytes"),
        (#"{"ts_ms": 1763999990000, "usage_bytes": 1000.0}"#, "usage_bytes"),
        (#"{"ts_ms": 1.7639999e12, "usage_bytes": 1000}"#, "ts_ms"),
        (#"{"ts_ms": 1763999990000, "usage_bytes": 5, "usage_bytes": 6}"#, "usage_bytes"),
        (#"[{"ts_ms": 1763999990000, "usage_bytes": 5}, {"ts_ms": 1763999990001, "usage_bytes": 5E2}]"#, "usage_bytes"),
        (#"[{"ts_ms": 1763999990000, "component": "a", "component": "b", "alloc_bytes": 1}]"#, "component"),
    ])
    func nonIntegerNumbersAndDuplicateKeysAreRefused(body: String, field: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage.contains("\(field): "), "\(response.errorMessage)")
            }
        }
        #expect(try fixture.storedCounts().snapshots == 0)
    }

    @Test func integersWrittenPlainlyStillPass() async throws {
        let fixture = try ServerFixture()
        let body = #"{"ts_ms": 1763999990000, "usage_bytes": 0}"# + "\n" + #"{"ts_ms": 1763999990001, "source": "x-1.5e3", "usage_bytes": 1125899906842624}"#
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .ok, "\(response.text)")
            }
        }
    }

    @Test func sinceWithToOrFromIsTheSpanBeforeOrAfterIt() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        let to = fixedNowMs - 300_000
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/leaks?source=api&since=2m&to=\(to)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["window_from_ms"] as? Int64 == to - 120_000)
                #expect(response.json["window_to_ms"] as? Int64 == to)
            }
            try await client.execute(uri: "/api/v1/memory/leaks?source=api&since=2m&from=\(to)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["window_from_ms"] as? Int64 == to)
                #expect(response.json["window_to_ms"] as? Int64 == to + 120_000)
            }
        }
    }

    @Test func badlyEncodedQueryValuesAreRefusedOnEveryEndpoint() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            for uri in ["/api/v1/memory/events?source=%ff%fe", "/api/v1/memory/trend?source=%c3%28", "/api/v1/memory/export.csv?source=%80"] {
                try await client.execute(uri: uri, method: uri.contains("events") ? .post : .get, body: ByteBuffer(text: #"{"usage_bytes": 1}"#)) { response in
                    #expect(response.status == .badRequest, "\(uri)")
                    #expect(response.errorMessage.contains("not valid percent-encoded UTF-8"), "\(uri)")
                }
            }
        }
    }

    /// The schema of `/openapi.yaml`'s answer describes what it is: a YAML object with openapi, info and paths.
    @Test func theDocumentsOwnResponseSchemaIsAnObjectItMatches() throws {
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        let operation = try #require((paths["/openapi.yaml"] as? [String: Any])?["get"] as? [String: Any])
        let schema = try #require(((((operation["responses"] as? [String: Any])?["200"] as? [String: Any])?["content"] as? [String: Any])?["application/yaml"] as? [String: Any])?["schema"] as? [String: Any])
        #expect(schema["type"] as? String == "object")
        for key in (schema["required"] as? [String]) ?? [] { #expect(document[key] != nil, "\(key)") }
    }

    /// A 100 KB query string is past the parser's 80 KiB limit: a 400 with a JSON error, not an empty one.
    @Test func aHundredKilobyteQueryStringGetsA400WithAJSONError() throws {
        let fixture = try ServerFixture()
        let server = try ServeProcess.start(["serve", "--db", fixture.path, "--port", "0"])
        defer { server.kill() }
        let port = try server.waitForPort()
        let reply = try RawHTTP.request(port: port, method: "GET", path: "/api/v1/memory/leaks?source=" + String(repeating: "a", count: 100_000))
        #expect(reply.status == 400)
        let json = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]
        #expect((json?["error"] as? String)?.contains("80 KiB") == true, "\(reply.body)")
        #expect(try RawHTTP.request(port: port, method: "GET", path: "/health").status == 200)
    }
}
