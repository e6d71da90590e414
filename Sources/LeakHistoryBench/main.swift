// LeakHistoryBench — the `leak-history-bench` executable: the figures of
// BENCHMARKS.md, each measured beside a baseline run in the same process
// (raw SQLite loops, the sqlite3 shell, Prometheus from Debian's package).
//
// May import: LeakHistory, LeakHistoryAnalysis, LeakHistoryPrometheus,
// SQLiteStore, CSQLite, ArgumentParser, AsyncHTTPClient and the system modules.
import ArgumentParser
import Foundation
import LeakHistory

/// `swift run -c release leak-history-bench [--json] [--quick]`: the figures of BENCHMARKS.md.
struct LeakHistoryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leak-history-bench",
        abstract: "Measure LeakHistory against its targets, each beside a baseline run in the same process.",
        subcommands: [Run.self, Soak.self, FleetBench.self, StorageBench.self],
        defaultSubcommand: Run.self
    )

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the benchmarks and print the figures.")

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        @Flag(help: "Small sizes and one run each: a smoke test of the benchmark itself, not figures to quote.")
        var quick = false

        @Option(help: "Runs per figure (the median is reported).")
        var runs = 5

        @Option(help: "Only the groups named (tracking, detection, persistence, report, export, trend), comma-separated.")
        var only: String?

        func run() throws {
            let runs = quick ? 1 : self.runs
            let groups = Set((only ?? "tracking,detection,persistence,report,export,trend").split(separator: ",").map(String.init))
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            var figures: [Figure] = []
            func progress(_ text: String) { if !json { FileHandle.standardError.write(Data("… \(text)\n".utf8)) } }
            if groups.contains("tracking") {
                progress("tracking")
                figures += try TrackingBenchmarks.run(iterations: quick ? 100_000 : 10_000_000, runs: runs)
            }
            if groups.contains("detection") {
                progress("detection")
                figures += try DetectionBenchmarks.run(runs: runs)
            }
            if groups.contains("persistence") {
                progress("persistence")
                figures.append(try StorageBenchmarks.persistence(scratch: scratch, rounds: quick ? 2 : 20, runs: runs))
            }
            let perComponent = quick ? 2_000 : 20_000
            let samplesPath = scratch.path("samples.sqlite")
            if groups.contains("report") || groups.contains("export") {
                progress("populating \(perComponent * 100) samples")
                _ = try StorageBenchmarks.populate(path: samplesPath, components: 100, perComponent: perComponent)
            }
            if groups.contains("report") {
                progress("report")
                figures.append(try StorageBenchmarks.windowReport(path: samplesPath, perComponent: perComponent, runs: runs))
            }
            if groups.contains("export") {
                progress("export")
                figures.append(try StorageBenchmarks.export(path: samplesPath, rows: perComponent * 100, runs: runs))
            }
            if groups.contains("trend") {
                progress("trend")
                figures += try StorageBenchmarks.yearTrend(path: scratch.path("year.sqlite"), runs: runs, days: quick ? 30 : 365)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            } else {
                print(Self.table(figures))
            }
        }

        static func table(_ figures: [Figure]) -> String {
            func number(_ v: Double) -> String {
                switch abs(v) {
                case 1_000_000...: String(format: "%.2fM", v / 1_000_000)
                case 1_000...: String(format: "%.0f", v)
                case 10...: String(format: "%.1f", v)
                default: String(format: "%.3f", v)
                }
            }
            var lines = ["figure | value | baseline (same run) | ratio | target | met", "---|---|---|---|---|---"]
            for f in figures {
                let baseline = f.baselineValue.map { "\(number($0)) \(f.unit) — \(f.baseline ?? "")" } ?? "—"
                let met = f.met.map { $0 ? "yes" : "NO" } ?? "—"
                lines.append("\(f.name) | \(number(f.value)) \(f.unit) | \(baseline) | \(f.ratio.map { String(format: "%.2f×", $0) } ?? "—") | \(f.target) | \(met)")
            }
            return lines.joined(separator: "\n")
        }
    }

    struct Soak: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a recorder with many components for a while, reporting its own resident memory.",
            discussion: "Watch it with LeakHistory itself: leak-history watch --interval 1s -- leak-history-bench soak --minutes 10"
        )

        @Option(help: "How long to run.")
        var minutes = 10.0

        @Option(help: "Components tracked.")
        var components = 10_000

        @Option(help: "Samples stored in the database before the soak starts.")
        var storedSamples = 10_000_000

        @Option(help: "The database file (default: a temporary one).")
        var db: String?

        @Flag(help: "Only fill the database (run once before watching the soak, so the watch sees the recorder alone).")
        var populateOnly = false

        @Flag(help: "Use the database as it is (filled by an earlier --populate-only run).")
        var noPopulate = false

        func run() throws {
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            let path = db ?? scratch.path("soak.sqlite")
            if !noPopulate {
                let perComponent = max(2, storedSamples / components)
                FileHandle.standardError.write(Data("populating \(perComponent * components) samples…\n".utf8))
                // Recent enough for the default retention (raw samples: 7 days), so
                // the recorder's hourly prune keeps them: the file really holds them all.
                let start = UnixTime.milliseconds(Date()) - Int64(perComponent) * 1000
                _ = try StorageBenchmarks.populate(path: path, components: components, perComponent: perComponent, start: start)
            }
            if populateOnly { return }
            let recorder = try LeakRecorder(path: path, options: RecorderOptions(source: "soak", flushIntervalSecs: 1))
            let handles = try (0..<components).map { try recorder.component("c\($0)") }
            let start = Date()
            let startRSS = Measure.residentBytes()
            var lastPrint = Date.distantPast
            var round = 0
            while Date().timeIntervalSince(start) < minutes * 60 {
                for (i, h) in handles.enumerated() {
                    h.trackAllocation(bytes: 4096)
                    if (i + round) % 2 == 0 { h.trackDeallocation(bytes: 4096) }
                }
                recorder.recordSnapshot(usageBytes: Measure.residentBytes())
                round += 1
                if Date().timeIntervalSince(lastPrint) >= 10 {
                    lastPrint = Date()
                    let line = String(format: "t=%4.0fs rss=%.1f MB rounds=%d\n", Date().timeIntervalSince(start),
                                      Double(Measure.residentBytes()) / 1_048_576, round)
                    FileHandle.standardOutput.write(Data(line.utf8))
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
            let beforeReport = Measure.residentBytes()
            let report = recorder.detectLeaks()
            let withReport = Measure.residentBytes()
            try recorder.close()
            let mb = { (bytes: Int64) in String(format: "%.1f MB", Double(bytes) / 1_048_576) }
            print("start rss \(mb(startRSS)), before the closing report \(mb(beforeReport)), holding the report "
                + "(\(report.leakCandidates.count) candidates) \(mb(withReport)), after close \(mb(Measure.residentBytes())); "
                + "recorder self-report has_leaks=\(report.hasLeaks)")
        }
    }
}

LeakHistoryBench.main()
