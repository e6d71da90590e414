import Foundation
import TestSupport
import LeakHistory
import LeakHistoryPrometheus
import Testing

/// Prometheus scrapes two running `leak-history serve` recorders, loads the
/// rules of `leak-history rules`, and the scraped series are read back.
@Suite(.serialized) struct PrometheusScrapesServeTests {
    /// Snapshots over the last 10 minutes: growing 2 MiB a minute, or flat.
    private func history(leaking: Bool, nowMs: Int64) -> String {
        (0..<60).map { i -> String in
            let ts = nowMs - Int64(59 - i) * 10_000
            let usage = Int64(100 * MiB) + (leaking ? Int64(i) * Int64(MiB) / 3 : Int64(i % 2) * 4096)
            return #"{"ts_ms":\#(ts),"usage_bytes":\#(usage)}"#
        }.joined(separator: "\n") + "\n"
    }

    @Test func theRulesFilePassesPromtool() throws {
        try #require(PrometheusBinaries.promtool != nil, "promtool is not installed (apt-get install prometheus)")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let rules = try CLI.run(["rules", "--matchers", #"job="leak-history""#, "--for", "10m", "--time-to-limit", "30m"])
        try #require(rules.status == 0, "\(rules.stderr)")
        #expect(rules.stdout.contains(#"expr: leak_history_leak_detected{job="leak-history"} == 1"#))
        #expect(rules.stdout.contains("leak_history_time_to_limit_seconds{job=\"leak-history\"} < 1800"))
        try rules.stdout.write(toFile: directory.path("rules.yml"), atomically: true, encoding: .utf8)
        let checked = try promtool(["check", "rules", directory.path("rules.yml")])
        #expect(checked.status == 0, "promtool: \(checked.output)")
        #expect(checked.output.contains("SUCCESS: 2 rules found"), "\(checked.output)")

        let bad = try CLI.run(["rules", "--for", "soon"])
        #expect(bad.status == 1 && bad.stderr.contains("not a Prometheus duration"), "\(bad.stderr)")
    }

    @Test(.enabled(if: PrometheusBinaries.available, "prometheus is not installed (apt-get install prometheus)"))
    func scrapedRecorderSeriesAndTheirAlertComeBack() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let now = UnixTime.milliseconds(Date())
        var servers: [BackgroundProcess] = []
        defer { servers.forEach { $0.stop() } }
        var targets: [String] = []
        for (source, leaking) in [("api", true), ("worker", false)] {
            let db = directory.path("\(source).sqlite")
            let lines = history(leaking: leaking, nowMs: now)
            let ingested = try await offPool { try CLI.run(["ingest", "--db", db, "--source", source, "-"], stdin: lines) }
            try #require(ingested.status == 0, "\(ingested.stderr)")
            let server = try BackgroundProcess(try CLI.executable.path, ["serve", "--db", db, "--port", "0", "--metrics-window", "15m"])
            servers.append(server)
            let port = try await offPool { try server.waitFor("listening on http://127.0.0.1:").prefix { $0.isNumber } }
            targets.append("127.0.0.1:\(port)")
        }
        let rules = try await offPool { try CLI.run(["rules"]) }
        try rules.stdout.write(toFile: directory.path("rules.yml"), atomically: true, encoding: .utf8)
        let config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: ["\(directory.path("rules.yml"))"]
            scrape_configs:
              - job_name: leak-history
                static_configs:
                  - targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))]
            """
        let prometheus = try await LocalPrometheus(config: config, directory: directory, dataDir: directory.path("data"))
        defer { prometheus.stop() }
        let client = try prometheus.client()

        // Bounded wait: both targets scraped for a few seconds, and the pending alert evaluated.
        var detected: [PrometheusSeries] = []
        var alerts: [PrometheusSeries] = []
        var usage: [PrometheusSeries] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let at = UnixTime.milliseconds(Date())
            detected = try await client.query("leak_history_leak_detected", atMs: at)
            alerts = try await client.query(#"ALERTS{alertname="LeakHistoryMemoryLeak"}"#, atMs: at)
            usage = try await client.queryRange("leak_history_usage_bytes", fromMs: at - 10_000, toMs: at, stepMs: 1000).series
            if detected.count == 2 && !alerts.isEmpty && usage.count == 2 && usage.allSatisfy({ $0.count >= 3 }) { break }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        let bySource = Dictionary(detected.map { ($0.labels["source"] ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(bySource["api"]?.values.last == 1, "api is leaking: \(detected)")
        #expect(bySource["worker"]?.values.last == 0, "worker is not: \(detected)")
        #expect(Set(detected.compactMap { $0.labels["instance"] }) == Set(targets))
        #expect(alerts.map { $0.labels["source"] } == ["api"], "\(alerts)")
        #expect(alerts.first?.labels["alertstate"] == "pending", "the alert waits out its 15 m")

        // The usage series read back over a range: a few seconds of 1 s scrapes, the ingested level.
        #expect(usage.count == 2)
        for series in usage {
            #expect(series.count >= 3, "\(series.labels): \(series.count) points")
            let expected = series.labels["source"] == "api" ? Double(100 * MiB + 59 * MiB / 3) : Double(100 * MiB + 4096)
            #expect(series.values.allSatisfy { $0 == expected }, "\(series.labels): \(series.values)")
        }
        try await client.shutdown()
    }
}
