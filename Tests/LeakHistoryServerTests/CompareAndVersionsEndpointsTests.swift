import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// `GET /api/v1/memory/compare` and `/versions`, and the per-version growth
/// in `/metrics`, over a real socket, on the versioned history of
/// `scripts/version-history.py` posted to the events endpoint.
@Suite struct CompareAndVersionsEndpointsTests {
    static let history = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/version-history.ndjson")
    /// After the history's last sample.
    static let nowMs: Int64 = 1_795_600_000_000

    @Test func compareVersionsMetricsAndTheirErrors() async throws {
        let fixture = try ServerFixture { $0.detection.warmupSecs = 300 }
        let body = try String(contentsOf: Self.history, encoding: .utf8)
        let check = SchemaCheck(document: try OpenAPIDocumentMatchesTheServerTests.document)
        try await fixture.application(nowMs: Self.nowMs).test(.live) { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.json["stored"] as? Int == 9735)
            }
            let expected: [(String, String, String, String)] = [
                ("1.4.0,1.4.1", "no_change", "no_change", "no change: 1.4.1 is flat, usage "),
                ("1.4.1,1.4.2", "regression", "leak_introduced", "leak introduced in 1.4.2: usage +3"),
                ("1.4.2,1.4.3", "no_change", "same_leak", "no change: 1.4.3 leaks as 1.4.2 did, usage +3"),
                ("1.4.3,1.4.4", "improvement", "looks_fixed", "looks fixed in 1.4.4: usage flat, "),
            ]
            for (versions, verdict, change, words) in expected {
                try await client.execute(uri: "/api/v1/memory/compare?source=api&versions=\(versions)", method: .get) { response in
                    #expect(response.status == .ok, "\(versions): \(response.text)")
                    #expect(response.json["verdict"] as? String == verdict, "\(versions): \(response.json["reason"] ?? "")")
                    #expect(response.json["change"] as? String == change, "\(versions)")
                    let summary = response.json["summary"] as? String ?? ""
                    #expect(summary.hasPrefix(words), "\(versions): \(summary)")
                    let schema = try #require(check.responseSchema(path: "/api/v1/memory/compare", method: .get, status: 200))
                    let problems = check.validate(try response.value, against: schema, at: "compare \(versions)")
                    #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
                }
            }
            // The first run id names its source; the newest two runs by default.
            try await client.execute(uri: "/api/v1/memory/compare?runs=1,6", method: .get) { response in
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.json["basis"] as? String == "runs")
                #expect(response.json["verdict"] as? String == "regression", "one noisy run on its own")
            }
            try await client.execute(uri: "/api/v1/memory/compare", method: .get) { response in
                #expect(response.status == .ok, "\(response.text)")
                #expect((response.json["target"] as? [String: Any])?["label"] as? String == "run 15 (1.4.4)")
            }
            try await client.execute(uri: "/api/v1/memory/versions?source=api", method: .get) { response in
                #expect(response.status == .ok, "\(response.text)")
                let versions = try #require(response.json["versions"] as? [[String: Any]])
                #expect(versions.map { $0["version"] as? String } == ["1.4.0", "1.4.1", "1.4.2", "1.4.3", "1.4.4"])
                #expect(versions.map { $0["change"] as? String } == [nil, "no_change", "leak_introduced", "same_leak", "looks_fixed"])
                let schema = try #require(check.responseSchema(path: "/api/v1/memory/versions", method: .get, status: 200))
                #expect(check.validate(try response.value, against: schema, at: "versions").isEmpty)
            }
            try await client.execute(uri: "/api/v1/memory/runs?source=api", method: .get) { response in
                let runs = try #require(response.json["runs"] as? [[String: Any]])
                #expect(runs.count == 15)
                #expect(runs[6]["version"] as? String == "1.4.2")
                #expect(runs[6]["labels"] as? [String: String] == ["host": "web-1", "commit": "c07e5d2"])
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let lines = response.text.split(separator: "\n").filter { $0.hasPrefix("leak_history_run_growth_bytes_per_second{") }
                #expect(lines.count == 5, "\(lines)")
                let leak = try #require(lines.first { $0.contains(#"version="1.4.2""#) })
                let value = try #require(Double(leak.split(separator: " ").last.map(String.init) ?? ""))
                #expect(abs(value - 36 * Double(MiB) / 3600) < 0.05 * 36 * Double(MiB) / 3600, "\(leak)")
                #expect(leak.hasPrefix(#"leak_history_run_growth_bytes_per_second{source="api",version="1.4.2"}"#), "\(leak)")
                let fixed = try #require(lines.first { $0.contains(#"version="1.4.4""#) })
                #expect(abs(Double(fixed.split(separator: " ").last.map(String.init) ?? "") ?? 1e9) < 100, "flat: under 0.35 MiB/h, \(fixed)")
            }
            let refused: [(String, Int, String)] = [
                ("/api/v1/memory/compare?runs=1", 400, "runs: '1' is not two run ids, older first (runs=3,7)"),
                ("/api/v1/memory/compare?runs=1,99&source=api", 400, "runs: 'api' has no run 99 (its runs: 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, … the newest 12)"),
                ("/api/v1/memory/compare?versions=1.4.0,9.9&source=api", 400, "versions: no run of 'api' with samples has version '9.9' (its versions: 1.4.0, 1.4.1, 1.4.2, 1.4.3, 1.4.4)"),
                ("/api/v1/memory/compare?versions=1.4.0,1.4.0", 400, "versions: both sides are version 1.4.0; name two different versions"),
                ("/api/v1/memory/compare?versions=1.4.0", 400, "versions: '1.4.0' is not two versions, older first (versions=1.4.1,1.4.2)"),
                ("/api/v1/memory/compare?versions=1.4.0,a%20b", 400, "versions: the version holds U+20; a version is letters, digits and . _ - + : ~ / (e.g. 1.4.2, v2.0.0-rc.1)"),
                ("/api/v1/memory/compare?runs=1,2&versions=1.4.0,1.4.1", 400, "runs, versions: give one of them (two runs or two versions), not both"),
                ("/api/v1/memory/compare?source=ghost", 404, "source: no source 'ghost' (known: api)"),
                ("/api/v1/memory/versions?source=ghost", 404, "source: no source 'ghost' (known: api)"),
                ("/api/v1/memory/compare?version=1.4.0,1.4.1", 400, "version: unknown query parameter (allowed: runs, source, versions)"),
            ]
            for (uri, status, message) in refused {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status.code == status, "\(uri): \(response.text)")
                    #expect(response.json["error"] as? String == message, "\(uri)")
                }
            }
        }
        await fixture.close()
    }

    @Test("a source with one run has nothing to compare it with; one without versions has an empty version list")
    func tooLittleToCompare() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/compare", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.json["error"] as? String == "runs: 'api' has 1 run with samples; a comparison needs two (record another run, or name two with runs)")
            }
            try await client.execute(uri: "/api/v1/memory/versions", method: .get) { response in
                #expect(response.status == .ok)
                #expect((response.json["versions"] as? [Any])?.isEmpty == true)
            }
        }
    }
}
