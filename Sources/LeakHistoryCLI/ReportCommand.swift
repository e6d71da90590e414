import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history report`: the leak report for any window of the stored history.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report leaks over a window of the stored history.",
        discussion: "The verdict comes from the trend of the window: a warm-up, a sawtooth or a cache that filled and stopped is not a leak, whatever the first and last samples say."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var window: WindowOptions
    @OptionGroup var detection: DetectionOptions

    @Option(help: "The source to report on.")
    var source = "default"

    @Flag(help: "Print the report as JSON (the seed's shape plus LeakHistory's fields).")
    var json = false

    @Flag(help: "Exit with status 3 when the window's verdict is leaking (for CI).")
    var failOnLeak = false

    func run() throws {
        let now = nowMs()
        let (report, window) = try failing {
            let reader = try HistoryReader(path: database.path)
            defer { try? reader.close() }
            let window = try self.window.window(defaultSpanMs: 600_000, nowMs: now)
            return (try reader.report(source: source, window: window, config: try detection.config(), nowMs: now), window)
        }
        if json {
            print(try jsonText(report))
        } else {
            let title = "Source '\(source)', \(TimestampText.iso(window.fromMs)) → \(TimestampText.iso(window.toMs))"
            print(ReportText.forStandardOutput.render(report, title: title), terminator: "")
        }
        if failOnLeak && report.hasLeaks { throw ExitCode(3) }
    }
}
