import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history trend`: a long-term series in buckets, with its verdict.
struct TrendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trend",
        abstract: "Show usage (or one component) over time in buckets, with the trend verdict.",
        discussion: "Without a window: the last 30 days, or the source's newest run when that is shorter. Without --bucket: about 30 buckets of a round size. Empty buckets show as gaps."
    )

    static let defaultSpanMs: Int64 = 30 * 86_400_000

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var window: WindowOptions
    @OptionGroup var detection: DetectionOptions

    @OptionGroup var source: SourceOptions

    @Option(help: ArgumentHelp("Bucket size: 10s, 1m, 1h, 1d … (default: about 30 buckets over the window).", valueName: "duration"))
    var bucket: DurationOption?

    @Option(help: "Show this component instead of total usage.")
    var component: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print the buckets as CSV (RFC 4180, header row).")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("Give --json or --csv, not both.") }
    }

    func run() throws {
        let now = nowMs()
        let (series, hint) = try failing { () throws -> (TrendSeries, NoDataHint?) in
            let reader = try HistoryReader(path: database.path)
            defer { try? reader.close() }
            let source = try self.source.resolved(in: reader)
            let window = try self.window.requested(nowMs: now)
                ?? reader.sourceSummary(source).defaultWindow(spanMs: Self.defaultSpanMs, nowMs: now)
            let bucketMs = bucket?.milliseconds
                ?? TrendBuckets.automaticMs(spanMs: window.spanMs, target: 30)
            let series = try reader.trend(source: source, component: component, window: window, bucketMs: bucketMs,
                                          config: try detection.config(), nowMs: now)
            return (series, series.buckets.isEmpty ? try reader.sourceSummary(source).noDataHint(window: window, nowMs: now) : nil)
        }
        if json {
            print(try jsonText(series))
        } else if csv {
            print("start_ms,start,min_bytes,mean_bytes,max_bytes,last_bytes,samples,run_id", terminator: "\r\n")
            for b in series.buckets {
                print("\(b.startMs),\(TimestampText.iso(b.startMs)),\(b.minBytes),\(b.meanBytes),\(b.maxBytes),\(b.lastBytes),\(b.count),\(b.runID)", terminator: "\r\n")
            }
        } else {
            print(render(series, hint: hint), terminator: "")
        }
    }

    /// Runs of empty buckets longer than this print as one line.
    static let longestGapShown = 3

    func render(_ series: TrendSeries, hint: NoDataHint? = nil) -> String {
        let what = series.component.map { "component '\($0)' of '\(series.source)'" } ?? "usage of '\(series.source)'"
        var out = "Trend of \(what), \(series.buckets.count) buckets of \(DurationText.spoken(series.bucketMs)) "
            + "(from \(series.resolution.rawValue) data), \(series.window.utcText)\n"
        // Bars span the window's own range, so a slope shows even on a high level.
        let low = series.buckets.map(\.meanBytes).min() ?? 0
        let high = series.buckets.map(\.meanBytes).max() ?? 0
        let mb = { (b: Int64) in String(format: "%.1f", Double(b) / Double(ByteSize.bytesPerMB)) }
        // Whole minutes need no seconds; shorter buckets would repeat the same minute.
        let timeLength = series.bucketMs % 60_000 == 0 ? 16 : series.bucketMs % 1000 == 0 ? 19 : 23
        let startWidth = timeLength + 1
        func cell(_ text: String) -> String { text.padding(toLength: 8, withPad: " ", startingAt: 0) }
        out += "  " + "START (UTC)".padding(toLength: startWidth + 2, withPad: " ", startingAt: 0)
            + ["MIN MB", "MEAN MB", "MAX MB", "SAMPLES"].map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined() + "\n"
        func start(_ ms: Int64) -> String { String(TimestampText.iso(ms).prefix(timeLength)) + "Z" }
        var previous: Int64?
        for b in series.buckets {
            if let previous {
                let missing = (b.startMs - previous) / series.bucketMs - 1
                if missing > Int64(Self.longestGapShown) {
                    out += "  \(start(previous + series.bucketMs))  … \(missing) empty buckets (no samples) …\n"
                } else if missing > 0 {
                    for i in 1...missing {
                        out += "  \(start(previous + i * series.bucketMs))  \(cell("—"))  \(cell("—"))  \(cell("—"))  \(cell("0"))\n"
                    }
                }
            }
            previous = b.startMs
            let share = high > low ? Double(b.meanBytes - low) / Double(high - low) : 0
            let bar = String(repeating: "█", count: 1 + Int(share * 29))
            out += "  \(start(b.startMs))  \(cell(mb(b.minBytes)))  \(cell(mb(b.meanBytes)))  \(cell(mb(b.maxBytes)))  \(cell(String(b.count)))  \(bar)\n"
        }
        if let hint {
            out += "  \(hint.sentence)\n"
            if let suggestion = hint.suggestionText(cli: true) { out += "  the newest run is in: \(suggestion)\n" }
        }
        out += "  verdict: \(series.verdict?.explanation ?? "no data in this window")\n"
        return out
    }
}
