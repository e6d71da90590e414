import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history trend`: a long-term series in buckets, with its verdict.
struct TrendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trend",
        abstract: "Show usage (or one component) over time in buckets, with the trend verdict."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var window: WindowOptions
    @OptionGroup var detection: DetectionOptions

    @Option(help: "The source to show.")
    var source = "default"

    @Option(help: ArgumentHelp("Bucket size: 1m, 1h, 1d …", valueName: "duration"))
    var bucket = "1h"

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
        let series = try failing {
            let reader = try HistoryReader(path: database.path)
            defer { try? reader.close() }
            let window = try self.window.window(defaultSpanMs: 30 * 86_400_000, nowMs: now)
            let bucketMs = try DurationText.milliseconds(bucket, field: "bucket")
            return try reader.trend(source: source, component: component, window: window, bucketMs: bucketMs,
                                    config: try detection.config(), nowMs: now)
        }
        if json {
            print(try jsonText(series))
        } else if csv {
            print("start_ms,start,min_bytes,mean_bytes,max_bytes,last_bytes,samples,run_id", terminator: "\r\n")
            for b in series.buckets {
                print("\(b.startMs),\(TimestampText.iso(b.startMs)),\(b.minBytes),\(b.meanBytes),\(b.maxBytes),\(b.lastBytes),\(b.count),\(b.runID)", terminator: "\r\n")
            }
        } else {
            print(render(series), terminator: "")
        }
    }

    private func render(_ series: TrendSeries) -> String {
        let what = series.component.map { "component '\($0)' of '\(series.source)'" } ?? "usage of '\(series.source)'"
        var out = "Trend of \(what), \(series.buckets.count) buckets of \(bucket) (from \(series.resolution.rawValue) data)\n"
        // Bars span the window's own range, so a slope shows even on a high level.
        let low = series.buckets.map(\.meanBytes).min() ?? 0
        let high = series.buckets.map(\.meanBytes).max() ?? 0
        let mb = { (b: Int64) in String(format: "%.1f", Double(b) / Double(ByteSize.bytesPerMB)) }
        out += "  " + "START (UTC)".padding(toLength: 18, withPad: " ", startingAt: 0)
            + ["MIN MB", "MEAN MB", "MAX MB", "SAMPLES"].map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined() + "\n"
        for b in series.buckets {
            let share = high > low ? Double(b.meanBytes - low) / Double(high - low) : 0
            let bar = String(repeating: "█", count: 1 + Int(share * 29))
            let start = TimestampText.iso(b.startMs).prefix(16)
            out += "  \(start)  \(mb(b.minBytes).padding(toLength: 8, withPad: " ", startingAt: 0))  "
                + "\(mb(b.meanBytes).padding(toLength: 8, withPad: " ", startingAt: 0))  "
                + "\(mb(b.maxBytes).padding(toLength: 8, withPad: " ", startingAt: 0))  "
                + "\(String(b.count).padding(toLength: 8, withPad: " ", startingAt: 0))  \(bar)\n"
        }
        out += "  verdict: \(series.verdict?.explanation ?? "no data in this window")\n"
        return out
    }
}
