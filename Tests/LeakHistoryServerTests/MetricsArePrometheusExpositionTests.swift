import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Synchronization
import Testing
@testable import LeakHistoryServer

/// `GET /metrics` is valid Prometheus text exposition: every source's usage,
/// components, slope, verdict and candidates, and the server's own figures.
@Suite struct MetricsArePrometheusExpositionTests {
    /// Fetches /metrics after some traffic, on a database with a leaking source and an awkward name.
    func scrape() async throws -> String {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory(source: "api") + [
            IngestEvent(source: #"we"ird\source"#, tsMs: fixedNowMs - 1000, kind: .gauge(component: "rss \"anon\"", bytes: 42)),
            IngestEvent(source: #"we"ird\source"#, tsMs: fixedNowMs - 1000, kind: .snapshot(usageBytes: 42)),
        ])
        let text = Mutex<String>("")
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: #"{"usage_bytes": 1}"#))
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: #"{"usage_bytes": -1}"#))
            try await client.execute(uri: "/nowhere", method: .get)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                text.withLock { $0 = response.text }
            }
        }
        return text.withLock { $0 }
    }

    @Test func perSourceFiguresAndVerdict() async throws {
        let text = try await scrape()
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains("leak_history_usage_bytes{source=\"api\"} \(159 * MiB)"))
        #expect(lines.contains("leak_history_component_bytes{source=\"api\",component=\"session_cache\",kind=\"counted\"} \(60 * MiB)"))
        #expect(lines.contains("leak_history_leak_detected{source=\"api\"} 1"))
        #expect(lines.contains("leak_history_leak_candidates{source=\"api\",severity=\"Critical\"} 1"))
        #expect(lines.contains("leak_history_leak_candidates{source=\"api\",severity=\"Low\"} 0"))
        #expect(lines.contains("leak_history_window_samples{source=\"api\"} 60"))
        let slope = lines.first { $0.hasPrefix("leak_history_usage_growth_percent_per_hour{source=\"api\"} ") }
        #expect(slope.flatMap { Double($0.split(separator: " ").last!) }.map { $0 > 100 } == true, "\(String(describing: slope))")
        #expect(lines.contains { $0.hasPrefix("leak_history_usage_growth_bytes_per_second{source=\"api\"} ") })
    }

    @Test func labelValuesAreEscaped() async throws {
        let text = try await scrape()
        #expect(text.contains(#"leak_history_component_bytes{source="we\"ird\\source",component="rss \"anon\"",kind="gauge"} 42"#))
    }

    @Test func theServersOwnFigures() async throws {
        let text = try await scrape()
        for family in ["leak_history_database_size_bytes", "leak_history_database_runs", "leak_history_database_components",
                       "leak_history_database_schema_version", "leak_history_ingested_events_total", "leak_history_ingest_rejected_total",
                       "leak_history_server_start_time_seconds", "leak_history_database_snapshot_rows",
                       "leak_history_database_component_sample_rows", "leak_history_database_rollup_rows"] {
            #expect(text.contains("# TYPE \(family) "), "\(family)")
        }
        #expect(text.contains("leak_history_ingest_rejected_total 1"))
        #expect(text.contains("leak_history_ingested_events_total 1"))
        #expect(text.contains("leak_history_ingest_duration_seconds_count 1"))
        #expect(text.contains(#"leak_history_http_requests_total{route="/api/v1/memory/events",method="POST",status="400"} 1"#))
        #expect(text.contains(#"leak_history_http_requests_total{route="unmatched",method="GET",status="404"} 1"#))
        #expect(text.contains(#"leak_history_http_request_duration_seconds_bucket{route="/api/v1/memory/events",le="+Inf"} 2"#))
    }

    @Test func everyFamilyIsDeclaredOnceAndItsSamplesAreTogether() async throws {
        let text = try await scrape()
        var seen: [String] = []
        var current = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                current = String(line.split(separator: " ")[2])
                #expect(!seen.contains(current), "\(current) declared twice")
                seen.append(current)
            } else if !line.hasPrefix("#") {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                let family = ["_bucket", "_sum", "_count"].reduce(name) { name, suffix in
                    name.hasSuffix(suffix) && name.dropLast(suffix.count) == current ? String(name.dropLast(suffix.count)) : name
                }
                #expect(family == current, "\(name) outside its family \(current)")
            }
        }
    }

    /// `promtool check metrics` (Debian package `prometheus`) lints the real output; skipped when it is not installed.
    @Test(.enabled(if: PromTool.path != nil, "promtool is not installed (apt-get install prometheus)"))
    func promtoolAcceptsTheOutput() async throws {
        let text = try await scrape()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PromTool.path!)
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "promtool: \(report)")
        #expect(report.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool lint: \(report)")
    }

    @Test func numbersAndEscapesFollowTheFormat() {
        #expect(PrometheusExposition.number(3) == "3")
        #expect(PrometheusExposition.number(0.25) == "0.25")
        #expect(PrometheusExposition.number(.infinity) == "+Inf")
        #expect(PrometheusExposition.number(.nan) == "NaN")
        #expect(PrometheusExposition.escapeLabelValue("a\"b\\c\nd") == #"a\"b\\c\nd"#)
    }
}

enum PromTool {
    static let path: String? = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
}
