import Foundation
import TestSupport
import LeakHistory
import LeakHistoryPrometheus
import Testing

/// A day of memory history for 40 instances, every 30 s, with the truth about each.
struct FleetScenario {
    enum Shape {
        /// Grows `mbPerHour` from `baseMB`.
        case leak(baseMB: Double, mbPerHour: Double)
        /// Grows `mbPerHour` from `baseMB`, restarting (back to `baseMB`) every `everyHours`, the first an hour in.
        case leakWithRestarts(baseMB: Double, mbPerHour: Double, everyHours: Double)
        /// Flat at `baseMB`, then grows `mbPerHour` for the last `lastHours`.
        case lateLeak(baseMB: Double, mbPerHour: Double, lastHours: Double)
        /// Rises `riseMB` over the first `hours`, then stays (a cache filling up).
        case warmup(baseMB: Double, riseMB: Double, hours: Double)
        case flat(baseMB: Double)
        /// Rises `amplitudeMB` over `periodMins`, then drops back (a GC sawtooth).
        case sawtooth(baseMB: Double, amplitudeMB: Double, periodMins: Double)
    }

    struct Instance {
        var name: String
        var shape: Shape
        var noiseMB: Double

        /// The true growth rate of a leaker, bytes per hour; nil for the rest.
        var leakRateBytesPerHour: Double? {
            switch shape {
            case .leak(_, let r), .leakWithRestarts(_, let r, _), .lateLeak(_, let r, _): return r * Double(MiB)
            default: return nil
            }
        }
    }

    static let stepS: Int64 = 30
    let endS: Int64
    let startS: Int64
    let instances: [Instance]

    init(endS: Int64, hours: Int64 = 24) {
        self.endS = endS
        startS = endS - hours * 3600
        var list: [Instance] = [
            Instance(name: "host-00:9100", shape: .leak(baseMB: 300, mbPerHour: 20), noiseMB: 0.3),
            Instance(name: "host-01:9100", shape: .leak(baseMB: 120, mbPerHour: 6), noiseMB: 0.2),
            Instance(name: "host-02:9100", shape: .leakWithRestarts(baseMB: 150, mbPerHour: 30, everyHours: 6), noiseMB: 0.3),
            Instance(name: "host-03:9100", shape: .lateLeak(baseMB: 250, mbPerHour: 40, lastHours: 4), noiseMB: 0.5),
            Instance(name: "host-04:9100", shape: .warmup(baseMB: 100, riseMB: 100, hours: 2), noiseMB: 0.5),
        ]
        for i in 5..<22 { list.append(Instance(name: String(format: "host-%02d:9100", i), shape: .flat(baseMB: 100 + Double(i) * 20), noiseMB: 1)) }
        for i in 22..<40 {
            list.append(Instance(name: String(format: "host-%02d:9100", i),
                                 shape: .sawtooth(baseMB: 200, amplitudeMB: 40 + Double(i), periodMins: 20 + Double(i % 5) * 10), noiseMB: 0.5))
        }
        instances = list
    }

    var times: StrideThrough<Int64> { stride(from: startS, through: endS, by: Int(Self.stepS)) }

    /// Hours since the scenario started.
    private func hours(_ t: Int64) -> Double { Double(t - startS) / 3600 }

    func bytes(_ instance: Instance, at t: Int64, noise: Double) -> Int64 {
        let h = hours(t)
        let mb: Double
        switch instance.shape {
        case .leak(let base, let rate): mb = base + rate * h
        case .leakWithRestarts(let base, let rate, let every): mb = base + rate * (h + every - 1).truncatingRemainder(dividingBy: every)
        case .lateLeak(let base, let rate, let last): mb = base + rate * max(0, h - (hours(endS) - last))
        case .warmup(let base, let rise, let over): mb = base + rise * min(1, h / over)
        case .flat(let base): mb = base
        case .sawtooth(let base, let amplitude, let period):
            mb = base + amplitude * (h * 60).truncatingRemainder(dividingBy: period) / period
        }
        return Int64(((mb + noise * instance.noiseMB) * Double(MiB)).rounded())
    }

    /// The process start time in force at `t`, Unix seconds.
    func startTime(_ instance: Instance, at t: Int64) -> Int64 {
        guard case .leakWithRestarts(_, _, let every) = instance.shape else { return startS - 3600 }
        let everyS = Int64(every * 3600)
        let phase = everyS - 3600
        return startS - phase + (t - startS + phase) / everyS * everyS
    }

    /// The memory limit of an instance's container: 1 GiB, plus 64 MiB per place in the list.
    func limit(_ instance: Instance) -> Int64 {
        Int64(1 << 30) + Int64(instances.firstIndex { $0.name == instance.name }!) * 64 * Int64(MiB)
    }

    /// Process lifetimes seen in the window.
    func runs(of name: String) -> Int {
        let instance = instances.first { $0.name == name }!
        return Set(times.map { startTime(instance, at: $0) }).count
    }

    /// Every sample, by instance: (Unix ms, bytes), generated once (the noise is seeded).
    func samples() -> [String: [(tMs: Int64, bytes: Int64)]] {
        var random = SeededRandom(state: 15)
        var out: [String: [(tMs: Int64, bytes: Int64)]] = [:]
        for instance in instances {
            out[instance.name] = times.map { t in (t * 1000, bytes(instance, at: t, noise: random.gaussian())) }
        }
        return out
    }

    /// The OpenMetrics text `promtool tsdb create-blocks-from openmetrics` loads.
    func openMetrics(_ samples: [String: [(tMs: Int64, bytes: Int64)]]) -> String {
        var out = "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n"
        for instance in instances {
            for sample in samples[instance.name]! {
                out += "process_resident_memory_bytes{instance=\"\(instance.name)\",job=\"api\"} \(sample.bytes) \(sample.tMs / 1000)\n"
            }
        }
        out += "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
        for instance in instances {
            for t in times {
                out += "process_start_time_seconds{instance=\"\(instance.name)\",job=\"api\"} \(startTime(instance, at: t)) \(t)\n"
            }
        }
        // Each container's limit, over the last 10 minutes (what an instant query at the end sees).
        out += "# TYPE container_spec_memory_limit_bytes gauge\n"
        for instance in instances {
            for t in stride(from: endS - 600, through: endS, by: Int(Self.stepS)) {
                out += "container_spec_memory_limit_bytes{instance=\"\(instance.name)\",job=\"api\"} \(limit(instance)) \(t)\n"
            }
        }
        return out + "# EOF\n"
    }
}

/// `fleet` and `import` against a real Prometheus holding a day of history for 40 instances.
@Suite(.serialized) struct FleetOverPrometheusTests {
    @Test(.enabled(if: PrometheusBinaries.available, "prometheus is not installed (apt-get install prometheus)"))
    func fleetRanksExactlyTheLeakersAndImportStoresEveryRow() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The data ends a minute ago; blocks written before the server starts are served up to "now".
        let endS = Int64(Date().timeIntervalSince1970) / 30 * 30 - 60
        let scenario = FleetScenario(endS: endS)
        let samples = scenario.samples()
        let input = directory.path("history.om")
        try scenario.openMetrics(samples).write(toFile: input, atomically: true, encoding: .utf8)
        let dataDir = directory.path("data")
        let created = try await offPool { try promtool(["tsdb", "create-blocks-from", "openmetrics", "--quiet", input, dataDir]) }
        try #require(created.status == 0, "promtool: \(created.output)")

        let prometheus = try await LocalPrometheus(config: "global:\n  scrape_interval: 15s\n", directory: directory, dataDir: dataDir)
        defer { prometheus.stop() }
        let window = ["--from", "\(scenario.startS * 1000)", "--to", "\(scenario.endS * 1000)"]
        let query = "process_resident_memory_bytes{job=\"api\"}"
        // fleet: exactly the leakers, first, at their true rates, with each container's own limit.
        let fleet = try await offPool { try CLI.run(["fleet", "--prometheus", prometheus.url, "--query", query, "--step", "30s", "--by", "instance",
                                 "--limit-query", "container_spec_memory_limit_bytes{job=\"api\"}", "--json"] + window) }
        try #require(fleet.status == 0, "fleet: \(fleet.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(fleet.stdout.utf8)) as! [String: Any]
        let series = report["series"] as! [[String: Any]]
        #expect(series.count == 40)
        let leakers = Set(scenario.instances.filter { $0.leakRateBytesPerHour != nil }.map(\.name))
        let flagged = series.filter { $0["status"] as? String == "leaking" }.map { $0["name"] as! String }
        #expect(Set(flagged) == leakers, "flagged \(flagged)")
        #expect(Set(series.prefix(leakers.count).map { $0["name"] as! String }) == leakers, "leakers rank first")
        for entry in series {
            let name = entry["name"] as! String
            let instance = scenario.instances.first { $0.name == name }!
            #expect((entry["labels"] as? [String: String])?["instance"] == name)
            #expect(entry["samples"] as? Int == samples[name]!.count)
            guard let truth = instance.leakRateBytesPerHour else { continue }
            let rate = entry["rate_bytes_per_hour"] as! Double
            #expect(abs(rate - truth) <= 0.1 * truth, "\(name): rate \(rate / Double(MiB)) MB/h, truth \(truth / Double(MiB))")
            let last = Double(samples[name]!.last!.bytes)
            let ttl = entry["time_to_limit_secs"] as? Double ?? -1
            #expect(entry["limit_bytes"] as? Int64 == scenario.limit(instance) || entry["limit_bytes"] as? Int == Int(scenario.limit(instance)))
            let trueTTL = (Double(scenario.limit(instance)) - last) / truth * 3600
            #expect(abs(ttl - trueTTL) <= 0.1 * trueTTL, "\(name): time to limit \(ttl) s, truth \(trueTTL) s")
        }
        let restarted = series.first { $0["name"] as? String == "host-02:9100" }!
        let trueRuns = scenario.runs(of: "host-02:9100")
        #expect(trueRuns == 5)
        #expect(restarted["runs"] as? Int == trueRuns, "host-02: \(restarted["runs"] ?? "nil") runs")
        #expect(series.filter { $0["name"] as? String != "host-02:9100" }.allSatisfy { $0["runs"] as? Int == 1 },
                "a sawtooth's drop is not a restart")
        let late = series.first { $0["name"] as? String == "host-03:9100" }!
        let onsetMs = (scenario.endS - 4 * 3600) * 1000
        let since = late["growing_since_ms"] as? Int64 ?? (late["growing_since_ms"] as? Int).map(Int64.init) ?? 0
        #expect(abs(since - onsetMs) <= 30 * 60_000, "late leaker growing since \(since), onset \(onsetMs)")

        // The table names the leakers and --fail-on-leak fails.
        let table = try await offPool { try CLI.run(["fleet", "--prometheus", prometheus.url, "--query", query, "--by", "instance", "--fail-on-leak",
                                 "--memory-limit-bytes", "\(4 << 30)"] + window) }
        #expect(table.status == 2, "stderr: \(table.stderr)")
        let leakingRows = table.stdout.split(separator: "\n").filter { $0.contains("LEAKING") }
        #expect(leakingRows.count == leakers.count, "\(table.stdout)")
        #expect(leakingRows.allSatisfy { row in leakers.contains { row.contains($0) } && row.contains("MB/h")
            && row.range(of: #"  [0-9]+(d [0-9]+h|h [0-9]+m)  "#, options: .regularExpression) != nil },
                "rate and time to limit on every leaking row: \(table.stdout)")

        // import: the same series, row for row, runs at restarts.
        let db = directory.path("fleet.sqlite")
        let imported = try await offPool { try CLI.run(["import", "--db", db, "--prometheus", prometheus.url, "--query", query, "--by", "instance"] + window) }
        try #require(imported.status == 0, "import: \(imported.stderr)")
        #expect(imported.stdout.contains("imported 40 sources, \(40 * samples.first!.value.count) snapshots, \(39 + trueRuns) runs"), "\(imported.stdout)")
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        #expect(try reader.sources().sorted() == scenario.instances.map(\.name).sorted())
        for instance in scenario.instances {
            let stored = try reader.snapshots(source: instance.name)
            let truth = samples[instance.name]!
            #expect(stored.count == truth.count, "\(instance.name)")
            #expect(zip(stored, truth).allSatisfy { $0.tsMs == $1.tMs && $0.usageBytes == $1.bytes }, "\(instance.name) rows differ")
            #expect(try reader.runs(source: instance.name).count == scenario.runs(of: instance.name))
        }

        // The imported history reads like any other.
        let trend = try await offPool { try CLI.run(["report", "--db", db, "--source", "host-00:9100", "--json"] + window) }
        #expect(trend.status == 0, "report: \(trend.stderr)")
        #expect(trend.stdout.contains("\"has_leaks\" : true"), "\(trend.stdout.prefix(600))")

        // A bad query is refused with the server named, and nothing is retried into a hang.
        let bad = try await offPool { try CLI.run(["fleet", "--prometheus", prometheus.url, "--query", "sum(", "--since", "1h"]) }
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("Prometheus at \(prometheus.url) refused the request"), "\(bad.stderr)")
    }
}
