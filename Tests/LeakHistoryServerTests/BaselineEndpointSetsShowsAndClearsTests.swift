import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// `GET|POST|DELETE /api/v1/memory/baseline` set, show and clear a source's
/// baseline, and refuse bad bodies without touching it.
@Suite struct BaselineEndpointSetsShowsAndClearsTests {
    @Test func setShowAndClear() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/baseline?source=api", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["baseline"] is NSNull)
                #expect(response.json["source"] as? String == "api")
            }
            try await client.execute(uri: "/api/v1/memory/baseline?source=api", method: .post,
                                     body: ByteBuffer(text: #"{"usage_mb": 64}"#)) { response in
                #expect(response.status == .ok)
                let baseline = response.json["baseline"] as? [String: Any]
                #expect(baseline?["usage_mb"] as? Int == 64)
                #expect(baseline?["usage_bytes"] as? Int == Int(64 * MiB))
                #expect(baseline?["ts_ms"] as? Int == Int(fixedNowMs))
            }
            try await client.execute(uri: "/api/v1/memory/leaks?source=api", method: .get) { response in
                #expect(response.json["baseline_mb"] as? Int == 64)
            }
            try await client.execute(uri: "/api/v1/memory/baseline?source=api", method: .delete) { response in
                #expect(response.status == .ok)
                #expect(response.json["cleared"] as? Bool == true)
            }
            try await client.execute(uri: "/api/v1/memory/baseline?source=api", method: .delete) { response in
                #expect(response.json["cleared"] as? Bool == false)
            }
            try await client.execute(uri: "/api/v1/memory/baseline?source=api", method: .get) { response in
                #expect(response.json["baseline"] is NSNull)
            }
        }
    }

    @Test func anEmptyPostTakesTheLatestUsage() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/baseline?source=api", method: .post) { response in
                #expect(response.status == .ok)
                let baseline = response.json["baseline"] as? [String: Any]
                #expect(baseline?["usage_mb"] as? Int == 159)
                #expect((baseline?["component_bytes"] as? [String: Any])?["session_cache"] as? Int == Int(60 * MiB))
            }
        }
    }

    @Test func aNewSourceNeedsAnExplicitUsage() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/baseline?source=fresh", method: .post) { response in
                #expect(response.status == .notFound)
                #expect(response.errorMessage.contains("usage_bytes"))
            }
            try await client.execute(uri: "/api/v1/memory/baseline?source=fresh", method: .post,
                                     body: ByteBuffer(text: #"{"usage_bytes": 1048576}"#)) { response in
                #expect(response.status == .ok)
                #expect((response.json["baseline"] as? [String: Any])?["usage_mb"] as? Int == 1)
            }
        }
    }

    @Test(arguments: [
        (#"{"usage_mb": -1}"#, "usage_mb"),
        (#"{"usage_bytes": -1}"#, "usage_bytes"),
        (#"{"usage_bytes": 2000000000000000000}"#, "usage_bytes"),
        (#"{"usage_mb": 9000000000000000}"#, "usage_mb"),
        (#"{"usage_mb": 1.5}"#, "usage_mb"),
        (#"{"usage_mb": "64"}"#, "usage_mb"),
        (#"{"usage_mb": 64, "usage_bytes": 1}"#, "not both"),
        (#"{"usage_gb": 1}"#, "usage_gb"),
        (#"{"usage_mb": 64"#, "JSON object"),
        (#"[64]"#, "JSON object"),
    ])
    func badBodiesAre400AndLeaveTheBaseline(body: String, named: String) async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/baseline?source=api", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage.contains(named), "\(body): \(response.errorMessage)")
            }
            try await client.execute(uri: "/api/v1/memory/baseline?source=api", method: .get) { response in
                #expect(response.json["baseline"] is NSNull)
            }
        }
    }

    @Test func unknownSourcesAre404() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            for method in [HTTPRequest.Method.get, .delete] {
                try await client.execute(uri: "/api/v1/memory/baseline?source=ghost", method: method) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorMessage.contains("ghost"))
                }
            }
        }
    }
}
