import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// `GET /api/v1/memory/leaks` answers the seed's report shape, key for key,
/// for any window, and refuses bad windows and unknown sources with JSON errors.
@Suite struct LeaksEndpointMatchesSeedReportTests {
    /// The seed's example keys and the JSON type each must have.
    static let seedKeys: [(String, @Sendable (JSONValue) -> Bool)] = [
        ("has_leaks", { if case .bool = $0 { true } else { false } }),
        ("overall_growth_rate", { $0.isNumber }),
        ("growth_mb_per_minute", { $0.isNumber }),
        ("time_window_secs", { if case .integer(let v) = $0 { v >= 0 } else { false } }),
        ("leak_candidates", { if case .array = $0 { true } else { false } }),
        ("recommendations", { if case .array(let items) = $0 { items.allSatisfy { if case .string = $0 { true } else { false } } } else { false } }),
        ("baseline_mb", { if case .integer = $0 { true } else { $0 == .null } }),
        ("current_mb", { if case .integer = $0 { true } else { false } }),
        ("timestamp", { if case .integer = $0 { true } else { false } }),
    ]
    static let seedCandidateKeys: [(String, @Sendable (JSONValue) -> Bool)] = [
        ("component", { if case .string = $0 { true } else { false } }),
        ("allocated_mb", { if case .integer = $0 { true } else { false } }),
        ("net_allocations", { if case .integer = $0 { true } else { false } }),
        ("age_secs", { if case .integer = $0 { true } else { false } }),
        ("severity", { ["Low", "Medium", "High", "Critical"].map { JSONValue.string($0) }.contains($0) }),
        ("growth_rate", { $0.isNumber }),
    ]

    @Test func reportHasEverySeedKeyWithItsTypeAndNullBaseline() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/leaks?source=api", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let report = try response.value
                for (key, isRightType) in Self.seedKeys {
                    let value = report[key]
                    #expect(value != nil, "missing \(key)")
                    if let value { #expect(isRightType(value), "\(key) has the wrong type: \(value)") }
                }
                if case .array(let candidates) = report["leak_candidates"] {
                    for candidate in candidates {
                        for (key, isRightType) in Self.seedCandidateKeys {
                            #expect(candidate[key].map(isRightType) == true, "candidate key \(key): \(String(describing: candidate[key]))")
                        }
                    }
                }
                let json = response.json
                #expect(json["baseline_mb"] is NSNull, "no baseline: baseline_mb must be null")
                #expect(json["has_leaks"] as? Bool == true)
                // The default window is the newest run when it is shorter than 10 minutes: this one spans 590 s.
                #expect(json["time_window_secs"] as? Int == 590)
                #expect(json["current_mb"] as? Int == 159)
                #expect(json["timestamp"] as? Int == Int(fixedNowMs / 1000))
                let candidates = json["leak_candidates"] as? [[String: Any]] ?? []
                #expect(candidates.map { $0["component"] as? String } == ["session_cache"])
                #expect((json["recommendations"] as? [String])?.contains { $0.contains("session_cache") } == true)
            }
        }
    }

    @Test func baselineMBIsANumberOnceABaselineIsSet() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory() + [IngestEvent(source: "api", tsMs: fixedNowMs - 600_000, kind: .baseline(usageBytes: 64 * MiB))])
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/leaks?source=api", method: .get) { response in
                #expect(response.json["baseline_mb"] as? Int == 64)
                #expect(response.json["baseline_bytes"] as? Int == Int(64 * MiB))
            }
        }
    }

    @Test func windowParametersSelectTheHistory() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            // A window before any sample: no samples, no leak, and it says so.
            try await client.execute(uri: "/api/v1/memory/leaks?source=api&from=2025-11-24T10:00:00Z&to=2025-11-24T11:00:00Z", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["has_leaks"] as? Bool == false)
                #expect(response.json["sample_count"] as? Int == 0)
                #expect(response.json["time_window_secs"] as? Int == 3600)
            }
            try await client.execute(uri: "/api/v1/memory/leaks?source=api&since=1h", method: .get) { response in
                #expect(response.json["time_window_secs"] as? Int == 3600)
                #expect(response.json["sample_count"] as? Int == 60)
            }
            let from = fixedNowMs - 300_000
            try await client.execute(uri: "/api/v1/memory/leaks?source=api&from=\(from)&to=\(fixedNowMs)", method: .get) { response in
                #expect(response.json["window_from_ms"] as? Int == Int(from))
                #expect(response.json["sample_count"] as? Int == 30)
            }
        }
    }

    @Test func theServersDefaultSourceIsUsedWithoutASourceParameter() async throws {
        let fixture = try ServerFixture { $0.defaultSource = "api" }
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/leaks", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["source"] as? String == "api")
            }
        }
    }

    @Test(arguments: [
        ("/api/v1/memory/leaks?source=api&from=1764000000000&to=1763000000000", "from"),
        ("/api/v1/memory/leaks?source=api&since=10x", "since"),
        ("/api/v1/memory/leaks?source=api&since=-5m", "since"),
        ("/api/v1/memory/leaks?source=api&from=yesterday", "from"),
        ("/api/v1/memory/leaks?source=api&since=1h&from=1763000000000&to=1764000000000", "at most one of from and to"),
        ("/api/v1/memory/leaks?source=%ff%fe", "not valid percent-encoded UTF-8"),
        ("/api/v1/memory/leaks?source=api&sinse=1h", "sinse"),
        ("/api/v1/memory/leaks?source=api&source=api", "more than once"),
        ("/api/v1/memory/leaks?source=", "source"),
        ("/api/v1/memory/leaks?source=a%01b", "control character"),
    ])
    func badWindowsAndParametersAre400WithTheProblemNamed(uri: String, named: String) async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage.contains(named), "\(uri): \(response.errorMessage)")
            }
        }
    }

    @Test func anUnknownSourceIs404ListingTheKnownOnes() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/leaks?source=nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.errorMessage.contains("nope"))
                #expect(response.errorMessage.contains("api"))
            }
        }
    }

    @Test func sourcesListsEachSourceWithItsComponents() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory(source: "api") + leakingHistory(source: "worker"))
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/sources", method: .get) { response in
                #expect(response.status == .ok)
                let sources = response.json["sources"] as? [[String: Any]] ?? []
                #expect(sources.map { $0["name"] as? String } == ["api", "worker"])
                let components = (sources.first?["components"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(Set(components) == ["session_cache", "request_buffers"])
                #expect(response.json["default_source"] as? String == "default")
            }
        }
    }
}
