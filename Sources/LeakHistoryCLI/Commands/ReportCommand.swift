import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history report`: the leak report for any window of the stored history.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report leaks over a window of the stored history.",
        discussion: """
            The verdict comes from the trend of the window: a warm-up, a sawtooth or a cache that filled and stopped is not a leak, whatever the first and last samples say.

            Without --source: the only source, or with several an overview of every source, worst first. \
            Without a window: the last 10 minutes, or the source's newest run when that is shorter.
            """
    )

    /// The default window: the detector's 10 minutes.
    static let defaultSpanMs: Int64 = 600_000

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var window: WindowOptions
    @OptionGroup var detection: DetectionOptions

    @Option(help: "The source to report on (default: the only one, or an overview of all).")
    var source: String?

    @Flag(help: "Print the report as JSON (the seed's shape plus LeakHistory's fields; an array for the overview).")
    var json = false

    @Flag(help: "Exit with status 3 when the window's verdict is leaking (for CI).")
    var failOnLeak = false

    func run() throws {
        let now = nowMs()
        let reports = try failing { () throws -> [LeakReport] in
            let reader = try HistoryReader(path: database.path)
            defer { try? reader.close() }
            let requested = try window.requested(nowMs: now)
            let config = try detection.config()
            let names = try source.map { [$0] } ?? reader.sources()
            guard !names.isEmpty else {
                throw InputError(field: "db", message: "'\(database.path)' holds no sources yet: record some with watch, ingest or demo")
            }
            if names.count == 1 {
                return [try reader.report(source: names[0], window: requested, defaultSpanMs: Self.defaultSpanMs, config: config, nowMs: now)]
            }
            return try reader.overview(window: requested, defaultSpanMs: Self.defaultSpanMs, config: config, nowMs: now)
        }
        let overview = source == nil && reports.count > 1
        if json {
            print(overview ? try jsonText(reports) : try jsonText(reports[0]))
        } else if overview {
            print(Self.overviewText(reports), terminator: "")
        } else {
            let report = reports[0]
            let title = "Source '\(report.source ?? "")', \(Self.windowText(report))"
            print(ReportText.forStandardOutput.render(report, title: title), terminator: "")
        }
        if failOnLeak && reports.contains(where: \.hasLeaks) { throw ExitCode(3) }
    }

    static func windowText(_ report: LeakReport) -> String {
        guard let from = report.windowFromMs, let to = report.windowToMs, let window = try? TimeWindow(fromMs: from, toMs: to) else { return "" }
        return window.utcText
    }

    /// One line per source, worst first.
    static func overviewText(_ reports: [LeakReport]) -> String {
        var rows = [["SOURCE", "VERDICT", "RATE", "USAGE", "FIRST-VS-LAST", "SAMPLES", "WINDOW (UTC)"]]
        for r in reports {
            let window = r.windowFromMs.map { "\(timeCell($0)) → \(timeCell(r.windowToMs))" } ?? "—"
            rows.append([r.source ?? "", r.verdictWord.uppercased() == "LEAKING" ? "LEAKING" : r.verdictWord, ReportText.rate(r),
                         r.sampleCount == 0 ? "—" : String(format: "%.1f MB", ByteSize.mb(r.currentBytes)),
                         r.sampleCount == 0 ? "—" : String(format: "%+.1f%%", r.overallGrowthRate), "\(r.sampleCount)", window])
        }
        let leaking = reports.filter(\.hasLeaks).count
        return "\(reports.count) sources, \(leaking) leaking (each over its default window; --source NAME for one report)\n"
            + textTable(rows).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
    }
}
