import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// SPEC §7 over HTTP: mutated and random request bodies and query strings get
/// a 2xx or a 4xx with a JSON `error` — never a 5xx — and a rejected POST
/// leaves the database as it was.
@Suite struct EndpointsSurviveFuzzedInputTests {
    static let seeds = [
        #"{"ts_ms": 1763999990000, "usage_bytes": 104857600}"#,
        #"{"ts_ms": 1763999990500, "component": "cache", "alloc_bytes": 4096, "source": "api"}"#,
        #"{"ts_ms": 1763999991000, "component": "rss", "allocated_bytes": 52428800}"#,
        #"{"ts_ms": 1763999992000, "event": "restart"}"#,
        #"[{"ts_ms": 1763999990000, "usage_bytes": 1}]"#,
    ]
    static let fragments = ["", "-1", "1e999", "0.5", "null", "true", "[]", "{}", "\"\u{7}\"", "9223372036854775808", "\"x'); DROP TABLE snapshot; --\"",
                            "{", "}", ",", ":", "\\", "\u{FFFF}", "\"\u{202E}\"", "\n", "\n\n{}"]
    static let queries = ["since=", "since=-1h", "since=10parsecs", "from=2&to=1", "from=yesterday", "source=", "source=%00", "source=%27%3B",
                          "bucket=0s", "bucket=1ms", "component=", "what=everything", "since=1h&from=1", "since=999999y", "to=abc", "%%", "since=1h&since=2h"]

    static func mutate(_ text: String, _ rng: inout SeededRandom) -> String {
        var chars = Array(text.unicodeScalars)
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            let fragment = Array(fragments.randomElement(using: &rng)!.unicodeScalars)
            let at = chars.isEmpty ? 0 : Int(rng.next() % UInt64(chars.count + 1))
            if rng.next() % 2 == 0 || chars.isEmpty {
                chars.insert(contentsOf: fragment, at: at)
            } else {
                let end = min(chars.count, at + Int(rng.next() % 6))
                chars.replaceSubrange(min(at, chars.count)..<end, with: fragment)
            }
        }
        return String(String.UnicodeScalarView(chars))
    }

    @Test func mutatedEventBodiesNeverGet5xxAndRejectedOnesWriteNothing() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest([IngestEvent(source: "api", tsMs: fixedNowMs - 60_000, kind: .allocation(component: "cache", bytes: 1))])
        try await fixture.test { client in
            var rng = SeededRandom(state: 1124)
            for _ in 0..<400 {
                let body = Self.mutate(Self.seeds.randomElement(using: &rng)!, &rng)
                let before = try fixture.storedCounts()
                let (code, hasError) = try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(string: body)) { response in
                    (response.status.code, response.json["error"] is String)
                }
                #expect(code < 500, "\(code) for \(body)")
                if code >= 400 {
                    #expect(hasError, "no JSON error for \(body)")
                    let after = try fixture.storedCounts()
                    #expect(after == before, "a rejected body changed the database: \(body)")
                }
            }
        }
    }

    @Test func fuzzedQueryStringsNeverGet5xx() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest([IngestEvent(source: "api", tsMs: fixedNowMs - 60_000, kind: .snapshot(usageBytes: 1))])
        try await fixture.test { client in
            var rng = SeededRandom(state: 42)
            for path in ["/api/v1/memory/leaks", "/api/v1/memory/trend", "/api/v1/memory/export.csv", "/api/v1/memory/baseline"] {
                for _ in 0..<40 {
                    let query = (0..<(1 + Int(rng.next() % 3))).map { _ in Self.queries.randomElement(using: &rng)! }.joined(separator: "&")
                    try await client.execute(uri: "\(path)?\(query)", method: .get) { response in
                        #expect(response.status.code < 500, "\(response.status) for \(path)?\(query)")
                        if response.status.code >= 400 {
                            #expect(response.json["error"] is String, "no JSON error for \(path)?\(query)")
                        }
                    }
                }
            }
        }
    }
}
