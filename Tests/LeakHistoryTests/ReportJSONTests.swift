import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// The report encodes to the seed's JSON: its keys, its severity strings, and
/// `baseline_mb` present as null without a baseline.
@Suite("Report JSON")
struct ReportJSONTests {
    static let seedReportKeys: Set<String> = [
        "has_leaks", "overall_growth_rate", "growth_mb_per_minute", "time_window_secs", "leak_candidates",
        "recommendations", "baseline_mb", "current_mb", "timestamp",
    ]
    static let seedCandidateKeys: Set<String> = ["component", "allocated_mb", "net_allocations", "age_secs", "severity", "growth_rate"]

    static func object(_ report: LeakReport) throws -> [String: Any] {
        let data = try JSONEncoder().encode(report)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("every seed key is present, with the seed's types")
    func seedKeys() throws {
        let clock = ManualClock()
        let detector = LeakDetector(now: clock.now)
        detector.setBaseline(usageMB: 100)
        clock.advance(seconds: 60)
        detector.trackAllocation("cache", sizeMB: 1250)
        detector.recordSnapshot(usageMB: 1350)
        let json = try Self.object(detector.detectLeaks(currentUsageMB: 1350))
        #expect(Self.seedReportKeys.isSubset(of: Set(json.keys)))
        #expect(json["has_leaks"] as? Bool == true)
        #expect(json["baseline_mb"] as? Int == 100)
        #expect(json["current_mb"] as? Int == 1350)
        #expect(json["time_window_secs"] as? Int == 600)
        #expect(json["timestamp"] as? Int == Int(clock.nowMs / 1000))
        let candidates = try #require(json["leak_candidates"] as? [[String: Any]])
        let cache = try #require(candidates.first)
        #expect(Self.seedCandidateKeys.isSubset(of: Set(cache.keys)))
        #expect(cache["component"] as? String == "cache")
        #expect(cache["allocated_mb"] as? Int == 1250)
        #expect(cache["net_allocations"] as? Int == 1)
        #expect(cache["age_secs"] as? Int == 0)
        #expect(cache["severity"] as? String == "Critical")
        #expect(cache["growth_rate"] as? Double == 100)
    }

    @Test("baseline_mb is null, not missing, without a baseline")
    func nullBaseline() throws {
        let detector = LeakDetector(now: ManualClock().now)
        let data = try JSONEncoder().encode(detector.detectLeaks(currentUsageMB: 5))
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"baseline_mb\":null"))
        #expect(try Self.object(detector.detectLeaks(currentUsageMB: 5))["baseline_mb"] is NSNull)
    }

    @Test("severity strings are the seed's and order Low < Medium < High < Critical")
    func severityStrings() throws {
        let encoded = try LeakSeverity.allCases.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        #expect(encoded == ["\"Low\"", "\"Medium\"", "\"High\"", "\"Critical\""])
        #expect(LeakSeverity.allCases.sorted() == [.low, .medium, .high, .critical])
        #expect(try JSONDecoder().decode(LeakSeverity.self, from: Data("\"High\"".utf8)) == .high)
    }

    @Test("the seed's example response decodes into LeakReport and encodes back with the same values")
    func seedExampleRoundTrip() throws {
        let seed = """
            {"has_leaks": true, "overall_growth_rate": 15.3, "growth_mb_per_minute": 2.5, "time_window_secs": 600,
             "leak_candidates": [{"component": "cache", "allocated_mb": 1250, "net_allocations": 100, "age_secs": 3600,
                                  "severity": "Critical", "growth_rate": 85.2, "allocated_bytes": 1310720000,
                                  "growth_bytes": 1310720000, "reasons": ["pattern"]}],
             "recommendations": ["CRITICAL: Component 'cache' has 1250 MB allocated with 85.2% growth rate",
                                 "Consider triggering garbage collection or cleanup"],
             "baseline_mb": 100, "current_mb": 1350, "timestamp": 1699012345,
             "current_bytes": 1415577600, "sample_count": 2}
            """
        let report = try JSONDecoder().decode(LeakReport.self, from: Data(seed.utf8))
        #expect(report.leakCandidates.first?.severity == .critical)
        #expect(report.baselineMB == 100)
        let back = try Self.object(report)
        #expect(back["overall_growth_rate"] as? Double == 15.3)
        #expect(back["timestamp"] as? Int == 1_699_012_345)
    }

    @Test("the configuration round-trips with snake_case keys and fills defaults")
    func configCoding() throws {
        let decoded = try JSONDecoder().decode(LeakDetectionConfig.self, from: Data(#"{"growth_threshold": 2.5, "warmup_secs": 30}"#.utf8))
        var expected = LeakDetectionConfig(growthThreshold: 2.5)
        expected.warmupSecs = 30
        #expect(decoded == expected)
        let again = try JSONDecoder().decode(LeakDetectionConfig.self, from: JSONEncoder().encode(decoded))
        #expect(again == decoded)
        #expect(throws: ConfigurationError.self) {
            try JSONDecoder().decode(LeakDetectionConfig.self, from: Data(#"{"time_window_secs": 0}"#.utf8))
        }
    }
}
