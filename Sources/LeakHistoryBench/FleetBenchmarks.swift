import ArgumentParser
import Foundation
import LeakHistory
import LeakHistoryPrometheus

/// `leak-history-bench fleet`: verdicts for a fleet read from a local Prometheus,
/// beside one `deriv(…[24h])` query over the same data.
struct FleetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Verdicts for N series over a day from a local Prometheus (needs Debian's prometheus package).",
        discussion: """
            Writes a day of history for --series instances as OpenMetrics, loads it with \
            `promtool tsdb create-blocks-from openmetrics`, starts Prometheus on a free loopback port, then \
            times what `leak-history fleet` does (range queries, parsing, restart splitting, verdicts) and \
            one `deriv(process_resident_memory_bytes[24h])` instant query. Prints the median of --runs.
            """
    )

    @Option(help: "Series (instances).")
    var series = 1000

    @Option(help: "Hours of history.")
    var hours = 24

    @Option(help: "Sample interval and query step, seconds.")
    var stepSecs = 30

    @Option(help: "Runs per figure (the median is reported).")
    var runs = 3

    @Option(help: "The prometheus binary.")
    var prometheus = "/usr/bin/prometheus"

    @Option(help: "The promtool binary.")
    var promtool = "/usr/bin/promtool"

    func validate() throws {
        guard (1...100_000).contains(series), (1...24 * 30).contains(hours), (1...3600).contains(stepSecs), (1...50).contains(runs) else {
            throw ValidationError("--series 1–100000, --hours 1–720, --step-secs 1–3600, --runs 1–50")
        }
    }

    func run() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let endS = Int64(Date().timeIntervalSince1970) / Int64(stepSecs) * Int64(stepSecs) - 60
        let startS = endS - Int64(hours) * 3600
        let note: @Sendable (String) -> Void = { text in FileHandle.standardError.write(Data("… \(text)\n".utf8)) }

        note("writing \(series) series × \((endS - startS) / Int64(stepSecs) + 1) samples as OpenMetrics")
        let input = scratch.path("fleet.om")
        try writeOpenMetrics(to: input, startS: startS, endS: endS)
        note("promtool tsdb create-blocks-from openmetrics")
        let dataDir = scratch.path("data")
        let loadSecs = try LocalPrometheus.load(openMetrics: input, into: dataDir, promtool: promtool)
        try? FileManager.default.removeItem(atPath: input)

        let server = try LocalPrometheus(prometheus: prometheus, dataDir: dataDir, scratch: scratch)
        defer { server.stop() }
        let url = server.url
        let figures = try Self.blocking {
            try await self.measure(url: url, fromMs: startS * 1000, toMs: endS * 1000, note: note)
        }
        print(figures.table(loadSecs: loadSecs))
    }

    struct Figures {
        var series = 0
        var samples = 0
        var leaking = 0
        var correct = 0
        var trueLeakers = 0
        var totalSecs = 0.0
        var readSecs = 0.0
        var parseSecs = 0.0
        var requests = 0
        var bytes = 0
        var analysisSecs = 0.0
        var derivSecs = 0.0
        var derivSeries = 0
        var derivPositive = 0

        func table(loadSecs: Double) -> String {
            let f = { (v: Double) in String(format: "%.2f s", v) }
            return """
                figure | value
                ---|---
                fleet verdicts, \(series) series, \(samples) samples | \(f(totalSecs)) wall (target ≤ 15 s): \(leaking) leaking, \(correct) of them true leakers (\(trueLeakers) in the data)
                — reading from Prometheus (\(requests) range requests, \(bytes / 1_000_000) MB of JSON, in flight 4 at once) | \(f(readSecs)) wall, of which parsing \(f(parseSecs)) CPU summed over requests
                — analysis (restart splitting, onset search, trend verdict, ranking) | \(f(analysisSecs)) wall, \(String(format: "%.2fM", Double(samples) / analysisSecs / 1e6)) samples/s
                one deriv(process_resident_memory_bytes[window]) instant query | \(f(derivSecs)): \(derivSeries) slopes, \(derivPositive) positive against \(trueLeakers) true leakers: a slope, no verdict, no onset, no restarts
                loading the blocks with promtool (once, not part of the figures) | \(f(loadSecs))
                """
        }
    }

    private func measure(url: String, fromMs: Int64, toMs: Int64, note: @Sendable (String) -> Void) async throws -> Figures {
        var server = try PrometheusServer(baseURL: url)
        server.timeoutSecs = 300
        let client = try PrometheusClient(server: server)
        defer { Task { try? await client.shutdown() } }
        // Wait (bounded) until the server answers.
        let deadline = Date().addingTimeInterval(120)
        while (try? await client.query("vector(1)", atMs: toMs)) == nil {
            guard Date() < deadline else { throw ValidationError("Prometheus at \(url) did not start") }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        let stepMs = Int64(stepSecs) * 1000
        let query = "process_resident_memory_bytes{job=\"bench\"}"
        let startQuery = StartTimeQuery.derived(from: query)!
        var all: [Figures] = []
        for run in 1...runs {
            note("run \(run)/\(runs)")
            var figures = Figures()
            let started = ContinuousClock.now
            let memory = try await client.queryRange(query, fromMs: fromMs, toMs: toMs, stepMs: stepMs)
            let starts = try await client.queryRange(startQuery, fromMs: fromMs, toMs: toMs,
                                                     stepMs: FleetSeriesBuilder.startTimeStepMs(spanMs: toMs - fromMs, stepMs: stepMs))
            figures.readSecs = Self.seconds(since: started)
            figures.parseSecs = memory.timing.parsingSecs + starts.timing.parsingSecs
            figures.requests = memory.timing.requests + starts.timing.requests
            figures.bytes = memory.timing.bytes + starts.timing.bytes
            let analysis = ContinuousClock.now
            let fleet = try FleetSeriesBuilder(by: ["instance"]).build(memory: memory.series, startTimes: starts.series)
            let verdicts = await FleetAnalysis.verdicts(for: fleet, config: LeakDetectionConfig())
            figures.analysisSecs = Self.seconds(since: analysis)
            figures.totalSecs = Self.seconds(since: started)
            figures.series = fleet.count
            figures.samples = fleet.reduce(0) { $0 + $1.points.count }
            figures.leaking = verdicts.filter { $0.status == .leaking }.count
            // Instances iN with N divisible by 20 leak (writeOpenMetrics).
            let isLeaker = { (name: String) in Int(name.dropFirst()).map { $0 % 20 == 0 } ?? false }
            figures.correct = verdicts.filter { $0.status == .leaking && isLeaker($0.name) }.count
            figures.trueLeakers = fleet.filter { isLeaker($0.name) }.count

            let derivStart = ContinuousClock.now
            let spanS = (toMs - fromMs) / 1000
            let deriv = try await client.query("deriv(\(query)[\(spanS)s])", atMs: toMs)
            figures.derivSecs = Self.seconds(since: derivStart)
            figures.derivSeries = deriv.count
            figures.derivPositive = deriv.filter { ($0.values.last ?? 0) > 0 }.count
            all.append(figures)
        }
        all.sort { $0.totalSecs < $1.totalSecs }
        var median = all[all.count / 2]
        median.derivSecs = Measure.median(all.map(\.derivSecs))
        return median
    }

    /// 5% steady leakers (5–50 MB/h, one in ten restarting every 6 h), the rest flat or sawtooth, with noise.
    private func writeOpenMetrics(to path: String, startS: Int64, endS: Int64) throws {
        let out = try BufferedTextFile(path: path)
        defer { out.close() }
        var state: UInt64 = 42
        func noise() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) - 0.5
        }
        let mb = 1_048_576.0
        let restartEveryS: Int64 = 6 * 3600
        out.append("# TYPE process_resident_memory_bytes gauge\n")
        for i in 0..<series {
            let labels = "{instance=\"i\(i)\",job=\"bench\"}"
            let base = 100 + Double(i % 400)
            for t in stride(from: startS, through: endS, by: stepSecs) {
                let h = Double(t - startS) / 3600
                var value: Double
                if i % 20 == 0 {
                    let rate = 5 + Double(i % 10) * 5
                    value = base + rate * (i % 200 == 0 ? Double((t - startS) % restartEveryS) / 3600 : h)
                } else if i % 2 == 0 {
                    value = base + 30 * (h * 60).truncatingRemainder(dividingBy: 20 + Double(i % 7) * 5) / (20 + Double(i % 7) * 5)
                } else {
                    value = base
                }
                value += noise()
                out.append("process_resident_memory_bytes\(labels) \(Int64(value * mb)) \(t)\n")
            }
        }
        out.append("# TYPE process_start_time_seconds gauge\n")
        for i in 0..<series {
            let labels = "{instance=\"i\(i)\",job=\"bench\"}"
            for t in stride(from: startS, through: endS, by: stepSecs) {
                let start = i % 200 == 0 ? startS + (t - startS) / restartEveryS * restartEveryS : startS - 3600
                out.append("process_start_time_seconds\(labels) \(start) \(t)\n")
            }
        }
        out.append("# EOF\n")
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = start.duration(to: .now)
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Runs async work from this synchronous command.
    private static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

/// The result of async work handed to a waiting thread.
private final class ResultBox<T>: @unchecked Sendable {
    // @unchecked: written once before the semaphore is signalled, read after the wait.
    var result: Result<T, any Error>?
}
