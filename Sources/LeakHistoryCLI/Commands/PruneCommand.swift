import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history prune`: apply the retention policy now.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Apply the retention policy now (rollups are brought up to date first).",
        discussion: "Options given here are stored in the file and apply to every writer from then on. Defaults: raw samples 7d, minute rollups 90d, hour rollups 5y."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("Keep raw samples this long (e.g. 2d).", valueName: "duration"))
    var raw: DurationOption?

    @Option(help: ArgumentHelp("Keep minute rollups this long (e.g. 90d).", valueName: "duration"))
    var minute: DurationOption?

    @Option(help: ArgumentHelp("Keep hour rollups this long (e.g. 5y).", valueName: "duration"))
    var hour: DurationOption?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let (result, policy) = try failing {
            let writer = try HistoryWriter(path: database.path, create: false)
            defer { try? writer.close() }
            var policy = try writer.retentionPolicy()
            if let raw { policy.rawMs = raw.milliseconds }
            if let minute { policy.minuteMs = minute.milliseconds }
            if let hour { policy.hourMs = hour.milliseconds }
            if raw != nil || minute != nil || hour != nil { try writer.setRetentionPolicy(policy) }
            return (try writer.prune(nowMs: nowMs()), policy)
        }
        if json {
            print(try jsonText(result))
        } else {
            let days = { (ms: Int64) in String(format: "%.1fd", Double(ms) / 86_400_000) }
            print("retention: raw \(days(policy.rawMs)), minute rollups \(days(policy.minuteMs)), hour rollups \(days(policy.hourMs))")
            print("deleted \(result.snapshotsDeleted) snapshots, \(result.componentSamplesDeleted) component samples, \(result.rollupsDeleted) rollup rows")
        }
    }
}
