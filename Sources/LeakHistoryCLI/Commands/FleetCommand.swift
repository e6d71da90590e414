import ArgumentParser
import Foundation
import LeakHistory
import LeakHistoryPrometheus

/// `leak-history fleet`: a verdict for every series a Prometheus query selects, worst first.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Rank every memory series of a Prometheus query by its leak verdict, worst first.",
        discussion: """
            Reads each series through /api/v1/query_range (in chunks under the server's points-per-series \
            limit, several at once), splits it into runs at restarts (a drop to under half the level, or a \
            change of process_start_time_seconds), and judges it with the same trend analysis as `report`. \
            Prints labels, verdict, rate since onset, growing since and time to the limit. \
            Exit status: 0, or 2 with --fail-on-leak when any series leaks.
            """
    )

    @OptionGroup var source: PrometheusOptions

    @Option(help: ArgumentHelp("A memory limit for every series, in bytes, for the time to limit.", valueName: "bytes"))
    var memoryLimitBytes: Int64?

    @Option(help: ArgumentHelp("PromQL giving each series' limit in bytes (e.g. container_spec_memory_limit_bytes), matched by the --by labels.", valueName: "promql"))
    var limitQuery: String?

    @Option(help: ArgumentHelp("Ignore this long after each run starts (e.g. 5m).", valueName: "duration"))
    var warmup: DurationOption?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "Exit with status 2 when any series leaks (for CI).")
    var failOnLeak = false

    func validate() throws {
        if let memoryLimitBytes, !(1...InputRules.maxBytes).contains(memoryLimitBytes) {
            throw ValidationError("--memory-limit-bytes must be between 1 and 1 PiB.")
        }
        if memoryLimitBytes != nil && limitQuery != nil { throw ValidationError("Give either --memory-limit-bytes or --limit-query, not both.") }
    }

    func run() async throws {
        var config = LeakDetectionConfig()
        if let warmup { config.warmupSecs = warmup.wholeSeconds }
        config.memoryLimitBytes = memoryLimitBytes
        let now = nowMs()
        let (read, limits) = try await withPrometheus(source) { client in
            let read = try await source.readFleet(client: client, nowMs: now, progressLabel: "reading \(client.server.baseURL)")
            var limits: [String: Int64] = [:]
            if let limitQuery {
                let builder = FleetSeriesBuilder(by: source.byLabels)
                for series in try await client.query(limitQuery, atMs: read.window.toMs) {
                    guard let value = series.values.last, value.isFinite, value > 0, value <= Double(InputRules.maxBytes) else { continue }
                    limits[builder.name(of: series.labels)] = Int64(value.rounded())
                }
            }
            return (read, limits)
        }
        if standardErrorIsTerminal { printError("  analysing \(read.series.count) series …") }
        let started = ContinuousClock.now
        let verdicts = await FleetAnalysis.verdicts(for: read.series, config: config, limits: limits)
        let analysisSecs = PrometheusOptions.seconds(since: started)
        let report = FleetReport(prometheus: source.prometheus, query: source.query, fromMs: read.window.fromMs,
                                 toMs: read.window.toMs, stepSecs: Double(read.stepMs) / 1000, series: verdicts)
        if json {
            print(try jsonText(report))
        } else {
            print(FleetText.table(report), terminator: "")
            printError(String(format: "read %d series (%d samples) in %d requests, %.2f s; analysis %.2f s",
                              read.series.count, read.series.reduce(0) { $0 + $1.points.count }, read.timing.requests,
                              read.readSecs, analysisSecs))
        }
        if failOnLeak && verdicts.contains(where: { $0.status == .leaking }) { throw ExitCode(2) }
    }
}

/// What `fleet --json` prints.
struct FleetReport: Encodable {
    var prometheus: String
    var query: String
    var fromMs: Int64
    var toMs: Int64
    var stepSecs: Double
    var series: [FleetVerdict]

    var leaking: Int { series.filter { $0.status == .leaking }.count }

    enum CodingKeys: String, CodingKey {
        case prometheus, query, series, leaking
        case fromMs = "from_ms"
        case toMs = "to_ms"
        case stepSecs = "step_secs"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(prometheus, forKey: .prometheus)
        try c.encode(query, forKey: .query)
        try c.encode(fromMs, forKey: .fromMs)
        try c.encode(toMs, forKey: .toMs)
        try c.encode(stepSecs, forKey: .stepSecs)
        try c.encode(leaking, forKey: .leaking)
        try c.encode(series, forKey: .series)
    }
}

/// The table `fleet` prints.
enum FleetText {
    static func table(_ report: FleetReport) -> String {
        let counts = Dictionary(grouping: report.series, by: \.status).mapValues(\.count)
        var out = "Fleet: \(report.series.count) series from \(report.prometheus), \(time(report.fromMs)) → \(time(report.toMs)) UTC\n"
        out += "query: \(report.query)\n"
        out += "\(counts[.leaking] ?? 0) leaking, \(counts[.notLeaking] ?? 0) not leaking, \(counts[.insufficientData] ?? 0) without enough data\n\n"
        // RATE is the current regime's: since GROWING SINCE for a leak, the
        // rate the verdict judged for the others (no onset to speak of).
        let header = ["#", "SERIES", "VERDICT", "RATE", "GROWING SINCE", "TIME TO LIMIT", "RUNS"]
        var rows: [[String]] = []
        for (index, v) in report.series.enumerated() {
            let verdict: String
            switch v.status {
            case .leaking: verdict = "LEAKING"
            case .notLeaking: verdict = "ok (\(v.rejectedBy ?? "-"))"
            case .insufficientData: verdict = "too few samples"
            case .noData: verdict = "no data"
            }
            rows.append([
                "\(index + 1)", v.name, verdict,
                v.status == .insufficientData ? "-" : rate(v.rateBytesPerHour),
                v.growingSinceMs.map(time) ?? "-",
                v.timeToLimitSecs.map(duration) ?? "-",
                "\(v.runs)",
            ])
        }
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
        for row in [header] + rows {
            out += row.indices.map { i in
                i == row.count - 1 ? row[i] : row[i].padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }
        return out
    }

    static func rate(_ bytesPerHour: Double) -> String {
        var mb = bytesPerHour / Double(ByteSize.bytesPerMB)
        if abs(mb) < 0.005 { mb = 0 }  // no "-0.00"
        return (mb >= 0 ? "+" : "") + String(format: abs(mb) >= 100 ? "%.0f" : "%.2f", mb) + " MB/h"
    }

    static func time(_ ms: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: UnixTime.date(milliseconds: ms))
    }

    static func duration(_ secs: Double) -> String {
        guard secs.isFinite else { return "-" }
        let s = Int(secs.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h \(s % 3600 / 60)m" }
        return "\(s / 86_400)d \(s % 86_400 / 3600)h"
    }
}
