import ArgumentParser
import CSQLite
import Foundation
import LeakHistory

/// `leak-history-bench storage`: the time-series figures — bytes per sample,
/// ingest with upkeep on, window reports from an hour to 30 days, a day of
/// 1,000 components, raw export — beside Prometheus on the same samples.
struct StorageBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Storage figures on a week of N gauges every 10 s, side by side with Prometheus (Debian's package) where installed.",
        discussion: """
            Writes the history through HistoryWriter.ingest (rollups on, as a user's writes), measures the file, \
            ingest rates against a raw prepared insert loop, window reports (the planted leaks must be found), \
            a day of --big-components components (report time, and the RSS of `leak-history report` when that \
            executable sits beside this one), and the CSV export against `sqlite3 -csv` over a plain row table. \
            The same samples go to Prometheus through `promtool tsdb create-blocks-from openmetrics`.
            """
    )

    @Option(help: "Gauge components of the week-long history.")
    var components = 100

    @Option(help: "Days of history.")
    var days = 7

    @Option(help: "Components of the day-long history.")
    var bigComponents = 1000

    @Option(help: "Events per ingest rate measurement.")
    var ingestEvents = 300_000

    @Option(help: "Runs per figure (the median is reported).")
    var runs = 3

    @Flag(help: "Small sizes, one run: a smoke test of the benchmark itself, not figures to quote.")
    var quick = false

    @Flag(help: "Skip the Prometheus rows.")
    var noPrometheus = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "The prometheus binary.")
    var prometheus = "/usr/bin/prometheus"

    @Option(help: "The promtool binary.")
    var promtool = "/usr/bin/promtool"

    @Option(help: "Only these groups, comma-separated: ingest, bytes, reports, http, export, big (default: all).")
    var only: String?

    @Option(help: "Keep the written histories (and Prometheus's blocks) in this directory and reuse them when run again with the same sizes: for profiling the reads; the bytes row then measures the kept files.")
    var dataDir: String?

    @Option(help: "End the written histories this many minutes into a clock hour (0–59; default: now). A series' newest five-minute slot is read from rows, so reports are measured where that matters.")
    var endMinute: Int?

    func validate() throws {
        let known: Set<String> = ["ingest", "bytes", "reports", "http", "export", "big"]
        if let only, let bad = only.split(separator: ",").map(String.init).first(where: { !known.contains($0) }) {
            throw ValidationError("--only: no group '\(bad)' (groups: \(known.sorted().joined(separator: ", ")))")
        }
        guard (1...10_000).contains(components), (1...60).contains(days), (1...10_000).contains(bigComponents),
              (1_000...10_000_000).contains(ingestEvents), (1...50).contains(runs), (0...59).contains(endMinute ?? 0) else {
            throw ValidationError("--components 1–10000, --days 1–60, --big-components 1–10000, --ingest-events 1000–10000000, --runs 1–50, --end-minute 0–59")
        }
    }

    func run() throws {
        let runs = quick ? 1 : self.runs
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        func note(_ text: String) { FileHandle.standardError.write(Data("… \(text)\n".utf8)) }
        var figures: [Figure] = []
        let withPrometheus = !noPrometheus && LocalPrometheus.isInstalled(prometheus: prometheus, promtool: promtool)
        if !noPrometheus && !withPrometheus {
            note("Prometheus rows skipped: \(prometheus) or \(promtool) is not installed (Debian: apt-get install prometheus)")
        }

        let groups = Set((only ?? "ingest,bytes,reports,http,export,big").split(separator: ",").map(String.init))
        // Kept histories are found again by their sizes; their start time is in a file beside them.
        let keep = dataDir.map { dir -> (String) -> String in
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return { dir + "/" + $0 }
        }
        func dataPath(_ name: String) -> String { keep?(name) ?? scratch.path(name) }
        /// The start of a kept history of `steps` steps, or a new one (and whether it must be written).
        func start(_ name: String, steps: Int) -> (startMs: Int64, write: Bool) {
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000) / 10_000 * 10_000
            var endMs = nowMs - 10_000
            if let endMinute {
                // The latest time at or before now that many minutes into its clock hour.
                endMs = nowMs / 3_600_000 * 3_600_000 + Int64(endMinute) * 60_000
                if endMs > nowMs { endMs -= 3_600_000 }
            }
            let wanted = endMs - Int64(steps - 1) * 10_000
            guard let keep else { return (wanted, true) }
            if let text = try? String(contentsOfFile: keep(name + ".start"), encoding: .utf8),
               let kept = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)),
               FileManager.default.fileExists(atPath: keep(name)),
               endMinute == nil || (kept &- wanted) % 3_600_000 == 0 {
                note("reusing \(keep(name)) (written earlier; delete it to write it again)")
                return (kept, false)
            }
            let startMs = wanted
            try? "\(startMs)\n".write(toFile: keep(name + ".start"), atomically: true, encoding: .utf8)
            try? FileManager.default.removeItem(atPath: keep(name))
            return (startMs, true)
        }

        // Ingest rates: fresh files, N = 10 / 100 / 1000, beside the raw loop.
        let events = quick ? 20_000 : ingestEvents
        if groups.contains("ingest") {
            for n in [10, 100, 1000] {
                note("ingest rate, N = \(n)")
                figures.append(try ingestRate(components: n, events: events, scratch: scratch, runs: runs))
            }
        }

        // The week: written once, then measured.
        let steps = quick ? 720 : days * 8640
        let weekComponents = quick ? 20 : components
        let weekName = "week-\(weekComponents)x\(steps).sqlite"
        let weekStart = start(weekName, steps: steps)
        let week = HistoryDataSet(components: weekComponents, steps: steps, startMs: weekStart.startMs)
        let weekPath = dataPath(weekName)
        let needsWeek = !groups.isDisjoint(with: ["bytes", "reports", "http", "export"])
        var weekIngestSecs: Double?
        if needsWeek && weekStart.write {
            note("writing \(week.samples) samples (\(week.components) components + usage, \(steps) steps) through ingest")
            weekIngestSecs = try week.ingest(into: weekPath) { note("  step \($0) of \(steps)") }
        }
        let fileBytes = Self.fileSize(weekPath)
        var promBytes: Int64?
        var server: LocalPrometheus?
        defer { server?.stop() }
        if withPrometheus && !groups.isDisjoint(with: ["bytes", "http", "export"]) {
            let dataDir = dataPath(weekName + ".prometheus")
            if !FileManager.default.fileExists(atPath: dataDir) || weekStart.write {
                try? FileManager.default.removeItem(atPath: dataDir)
                note("OpenMetrics → promtool tsdb create-blocks-from openmetrics")
                let input = scratch.path("week.om")
                try week.writeOpenMetrics(to: input)
                let loadSecs = try LocalPrometheus.load(openMetrics: input, into: dataDir, promtool: promtool)
                try? FileManager.default.removeItem(atPath: input)
                note("  promtool took \(String(format: "%.1f", loadSecs)) s")
            }
            promBytes = Self.directorySize(dataDir)
            server = try LocalPrometheus(prometheus: prometheus, dataDir: dataDir, scratch: scratch)
            try server!.waitUntilReady()
        }
        if groups.contains("bytes") {
            let perSample = Double(fileBytes) / Double(week.samples)
            figures.append(Figure(
                name: "bytes per stored sample (N=\(week.components), \(steps / 8640 > 0 ? "\(steps / 8640) days" : "\(steps) steps"), \(week.samples) samples)",
                value: perSample, unit: "B", baseline: promBytes.map { _ in "Prometheus TSDB, same samples (promtool blocks)" },
                baselineValue: promBytes.map { Double($0) / Double(week.samples) },
                ratio: promBytes.map { perSample / (Double($0) / Double(week.samples)) },
                target: "≤ 3.5 B and ≤ Prometheus", met: perSample <= 3.5 && promBytes.map { Double(fileBytes) <= Double($0) } ?? true,
                note: "file \(fileBytes) bytes\(promBytes.map { ", Prometheus \($0) bytes" } ?? "")"
                    + (weekIngestSecs.map { "; ingest of the week \(String(format: "%.0f", Double(week.samples) / $0)) events/s" } ?? "; a kept file")))
        }

        // Window reports over the week, every window ending at its last sample.
        if needsWeek {
            let reader = try HistoryReader(path: weekPath)
            defer { try? reader.close() }
            let hour: Int64 = 3_600_000, day: Int64 = 86_400_000
            if groups.contains("reports") {
                for (label, span) in [("1 hour", hour), ("6 hours", 6 * hour), ("1 day", day), ("3 days", 3 * day), ("7 days", 7 * day),
                                      ("13 days", 13 * day), ("15 days", 15 * day), ("30 days", 30 * day)] {
                    note("report over \(label)")
                    figures.append(try windowReport(reader, week, label: label, spanMs: span, runs: runs))
                }
            }
            if let server, groups.contains("http") {
                figures.append(try lastHourOverHTTP(weekPath, week, prometheus: server, runs: runs, scratch: scratch))
            }

            // Raw export of the whole history.
            if groups.contains("export") {
                note("CSV export")
                figures.append(try export(reader, weekPath, week, prometheus: server, runs: runs, scratch: scratch))
            }
        }
        server?.stop()
        server = nil

        // A day of 1,000 components.
        if groups.contains("big") {
            let bigSteps = quick ? 360 : 8640
            let bigComponents = quick ? 100 : self.bigComponents
            let bigName = "day-\(bigComponents)x\(bigSteps).sqlite"
            let bigStart = start(bigName, steps: bigSteps)
            let big = HistoryDataSet(components: bigComponents, steps: bigSteps, startMs: bigStart.startMs)
            let bigPath = dataPath(bigName)
            var bigIngestRate: Double?
            if bigStart.write {
                note("writing \(big.samples) samples (\(big.components) components, a day) through ingest")
                bigIngestRate = Double(big.samples) / (try big.ingest(into: bigPath) { note("  step \($0) of \(bigSteps)") })
            }
            figures.append(try bigReport(bigPath, big, ingestRate: bigIngestRate, runs: runs))
        }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
        } else {
            print(LeakHistoryBench.Run.table(figures))
            for f in figures where f.note != nil { print("- \(f.name): \(f.note!)") }
        }
    }

    private func ingestRate(components n: Int, events: Int, scratch: ScratchDirectory, runs: Int) throws -> Figure {
        let steps = max(1, events / (n + 1))
        let data = HistoryDataSet(components: n, steps: steps, startMs: StorageBenchmarks.t0)
        let rows = data.samples
        let rawRate = Measure.median((0..<runs).map { run in
            let raw = RawSQLite(path: scratch.path("raw-\(n)-\(run).sqlite"))
            raw.exec(Queries.benchCreateRawTable)
            let seconds = Measure.seconds {
                raw.insertRows(Queries.benchInsertRaw, rows: rows, perTransaction: 10_000) { i in
                    (Int64(i % (n + 1)), data.startMs + Int64(i / (n + 1)) * 10_000, Int64(i) * 4096)
                }
            }
            return Double(rows) / seconds
        })
        let ourRate = try Measure.median((0..<runs).map { run in
            Double(rows) / (try data.ingest(into: scratch.path("ingest-\(n)-\(run).sqlite")))
        })
        return Figure(name: "ingest events/s, N = \(n)", value: ourRate, unit: "events/s",
                      baseline: "raw prepared insert loop, 10,000 rows/transaction, WAL, WITHOUT ROWID", baselineValue: rawRate,
                      ratio: ourRate / rawRate, target: "≥ 0.5× the raw loop (N = 100, 1000)",
                      met: n < 100 ? nil : ourRate / rawRate >= 0.5,
                      note: "HistoryWriter.ingest of decoded gauge and snapshot events, batches of 10,000, rollups on; \(rows) events")
    }

    /// The report over the last `spanMs` of the week; fails when the planted leaks are not exactly the ones found.
    private func windowReport(_ reader: HistoryReader, _ data: HistoryDataSet, label: String, spanMs: Int64, runs: Int) throws -> Figure {
        let window = try TimeWindow(fromMs: data.endMs - spanMs, toMs: data.endMs)
        var report: LeakReport?
        let seconds = try Measure.medianSeconds(runs: runs) {
            report = try reader.report(source: data.source, window: window, nowMs: data.endMs)
        }
        let found = Set(report!.leakCandidates.map(\.component))
        let planted = data.plantedLeakers
        let hits = found.intersection(planted).count, falseOnes = found.subtracting(planted).count
        return Figure(name: "report over \(label), N=\(data.components)", value: seconds * 1000, unit: "ms",
                      baseline: nil, baselineValue: nil, ratio: nil, target: "≤ 100 ms, found = planted",
                      met: seconds <= 0.100 && hits == planted.count,
                      note: "found \(hits) / \(planted.count) planted leaks, \(falseOnes) other candidates; \(Self.headNote(data)); \(report!.recommendations.last ?? "")")
    }

    /// `GET /api/v1/memory/leaks` over the last hour from `leak-history serve`, beside Prometheus `deriv(…[1h])`.
    private func lastHourOverHTTP(_ path: String, _ data: HistoryDataSet, prometheus: LocalPrometheus, runs: Int,
                                  scratch: ScratchDirectory) throws -> Figure {
        guard let serve = try ServeProcess(databasePath: path, scratch: scratch) else {
            return Figure(name: "report over the last hour over HTTP", value: .nan, unit: "ms", baseline: nil, baselineValue: nil,
                          ratio: nil, target: "≤ 2× Prometheus deriv", met: nil,
                          note: "skipped: no leak-history executable beside this one (swift build -c release builds both)")
        }
        defer { serve.stop() }
        let ours = "\(serve.url)/api/v1/memory/leaks?source=\(data.source)&from=\(data.endMs - 3_600_000)&to=\(data.endMs)"
        let deriv = "\(prometheus.url)/api/v1/query?query=deriv(%7B__name__%3D~%22bench_.%2A%22%7D%5B1h%5D)&time=\(Double(data.endMs) / 1000)"
        var ourStatus = 0, promStatus = 0, promBytes = 0
        _ = HTTPGet.fetch(ours)
        _ = HTTPGet.fetch(deriv)
        // The two alternate, request by request, so a spell of load on this
        // machine falls on both alike; the medians of many are compared.
        let rounds = max(runs, 5) * 5
        var oursTimes: [Double] = [], promTimes: [Double] = []
        var client = "curl (its own timer, one kept-alive connection to each)"
        if let timed = CurlTimer.time(Array(repeating: [ours, deriv], count: rounds).flatMap { $0 }) {
            for (index, answer) in timed.enumerated() {
                if index % 2 == 0 {
                    oursTimes.append(answer.seconds)
                    ourStatus = answer.status
                } else {
                    promTimes.append(answer.seconds)
                    promStatus = answer.status
                    promBytes = answer.bytes
                }
            }
        } else {
            client = "AsyncHTTPClient (no curl here)"
            for _ in 0..<rounds {
                oursTimes.append(Measure.seconds { ourStatus = HTTPGet.fetch(ours)?.status ?? 0 })
                promTimes.append(Measure.seconds {
                    let answer = HTTPGet.fetch(deriv)
                    promStatus = answer?.status ?? 0
                    promBytes = answer?.body.count ?? 0
                })
            }
        }
        let oursSecs = Measure.median(oursTimes), promSecs = Measure.median(promTimes)
        return Figure(name: "report over the last hour over HTTP, \(data.components + 1) series", value: oursSecs * 1000, unit: "ms",
                      baseline: "Prometheus deriv({__name__=~\"bench_.*\"}[1h]) over HTTP, same data", baselineValue: promSecs * 1000,
                      ratio: oursSecs / promSecs, target: "≤ 2× Prometheus", met: ourStatus == 200 && promStatus == 200 && oursSecs <= 2 * promSecs,
                      note: "HTTP \(ourStatus) / \(promStatus) (\(promBytes) bytes of deriv JSON); medians of \(oursTimes.count) requests each, alternating, timed by \(client)")
    }

    private func export(_ reader: HistoryReader, _ path: String, _ data: HistoryDataSet, prometheus: LocalPrometheus?, runs: Int,
                        scratch: ScratchDirectory) throws -> Figure {
        let devNull = FileHandle(forWritingAtPath: "/dev/null")!
        var exported = 0
        let ours = try Measure.medianSeconds(runs: runs) {
            exported = try reader.exportCSV(.components, window: TimeWindow(fromMs: 0, toMs: .max)) { devNull.write($0) }
        }
        // The same CSV rows as a plain table in a file of their own, dumped by the sqlite3 shell.
        let plain = scratch.path("plain.sqlite")
        try PlainSampleTable.write(from: reader, to: plain)
        let shell = try PlainSampleTable.dumpSeconds(plain, runs: runs)
        var note = "\(exported) rows; sqlite3 -csv over a plain table of the same rows: \(String(format: "%.2f", shell)) s"
        var promSecs: Double?
        if let prometheus {
            let span = (data.endMs - data.startMs) / 1000 + 60
            let query = "\(prometheus.url)/api/v1/query?query=bench_component_bytes%5B\(span)s%5D&time=\(Double(data.endMs) / 1000 + 1)"
            var bytes = 0, status = 0
            promSecs = Measure.medianSeconds(runs: runs) {
                let answer = HTTPGet.fetch(query)
                status = answer?.status ?? 0
                bytes = answer?.body.count ?? 0
            }
            note += "; Prometheus raw range query as JSON: \(String(format: "%.2f", promSecs!)) s (HTTP \(status), \(bytes / 1_000_000) MB)"
        }
        let slowest = max(shell, promSecs ?? 0)
        return Figure(name: "CSV export of \(exported) samples", value: Double(exported) / ours, unit: "rows/s",
                      baseline: "sqlite3 -csv over a plain row table of the same samples", baselineValue: Double(exported) / shell,
                      ratio: shell / ours, target: "≥ 1× sqlite3 -csv and ≥ 1× Prometheus raw range query",
                      met: ours <= slowest && ours <= shell && (promSecs.map { ours <= $0 } ?? true),
                      note: note + String(format: "; ours %.2f s", ours))
    }

    private func bigReport(_ path: String, _ data: HistoryDataSet, ingestRate: Double?, runs: Int) throws -> Figure {
        let window = try TimeWindow(fromMs: data.startMs, toMs: data.endMs)
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        var report: LeakReport?
        let seconds = try Measure.medianSeconds(runs: runs) {
            report = try reader.report(source: data.source, window: window, nowMs: data.endMs)
        }
        let found = Set(report!.leakCandidates.map(\.component))
        let planted = data.plantedLeakers
        let hits = found.intersection(planted).count
        var rssNote = "RSS of leak-history report: skipped (no leak-history executable beside this one)"
        var rssOK = true
        if let cli = ServeProcess.executableBeside(), FileManager.default.isExecutableFile(atPath: "/usr/bin/time") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
            process.arguments = ["-f", "%M", cli, "report", "--db", path, "--source", data.source,
                                 "--from", "\(window.fromMs)", "--to", "\(window.toMs)", "--json"]
            let errors = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let kb = text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
            rssNote = "RSS of leak-history report: \(String(format: "%.1f", Double(kb) / 1024)) MB (target ≤ 60 MB)"
            rssOK = kb > 0 && kb <= 60 * 1024
        }
        return Figure(name: "report over a day, N=\(data.components)", value: seconds * 1000, unit: "ms",
                      baseline: nil, baselineValue: nil, ratio: nil, target: "≤ 150 ms, RSS ≤ 60 MB, found = planted",
                      met: seconds <= 0.150 && rssOK && hits == planted.count,
                      note: "found \(hits) / \(planted.count) planted leaks, \(found.count - hits) other candidates; \(Self.headNote(data)); \(rssNote)"
                          + (ingestRate.map { "; ingest of the day \(String(format: "%.0f", $0)) events/s" } ?? "; a kept file"))
    }

    /// Where the data end in their clock hour: each series' newest
    /// five-minute slot is read as rows (the head), dearer than chunks, and
    /// the open hour as a chunk a slot (BENCHMARKS.md); `--end-minute` sets it.
    static func headNote(_ data: HistoryDataSet) -> String {
        let minutes = ((data.endMs % 3_600_000) + 3_600_000) % 3_600_000 / 60_000
        return "the data end \(minutes) min into their clock hour (\(minutes % 5) min of each series is head rows)"
    }

    static func fileSize(_ path: String) -> Int64 {
        ["", "-wal"].reduce(0) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int64) ?? 0)
        }
    }

    static func directorySize(_ path: String) -> Int64 {
        var total: Int64 = 0
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
            if attributes?[.type] as? FileAttributeType == .typeRegular { total += attributes?[.size] as? Int64 ?? 0 }
        }
        return total
    }
}

/// `leak-history serve` from the same build directory, on a free loopback port.
final class ServeProcess {
    let url: String
    private let process: Process

    static func executableBeside() -> String? {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("leak-history").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// nil when there is no `leak-history` beside this executable.
    init?(databasePath: String, scratch: ScratchDirectory) throws {
        guard let executable = Self.executableBeside() else { return nil }
        let port = try LocalPrometheus.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--db", databasePath, "--port", "\(port)", "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        url = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(60)
        while HTTPGet.fetch("\(url)/health") == nil {
            guard Date() < deadline, process.isRunning else { throw ValidationError("leak-history serve did not start") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
