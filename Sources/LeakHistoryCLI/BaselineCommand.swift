import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history baseline set|show|clear`.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Set, show or clear a source's stored baseline.",
        subcommands: [Set.self, Show.self, Clear.self]
    )

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the baseline now, to a given usage or to the latest stored usage.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The source.")
        var source = "default"

        @Option(help: ArgumentHelp("Baseline usage in MiB (default: the latest stored usage).", valueName: "mb"))
        var usageMb: Int64?

        func validate() throws {
            if let usageMb, usageMb < 0 { throw ValidationError("--usage-mb must not be negative.") }
        }

        func run() throws {
            let baseline = try failing {
                let writer = try HistoryWriter(path: database.path)
                defer { try? writer.close() }
                return try writer.setBaseline(source: source, usageBytes: usageMb.map { $0 * ByteSize.bytesPerMB }, tsMs: nowMs())
            }
            print("baseline of '\(source)' set: \(String(format: "%.1f", ByteSize.mb(baseline.usageBytes))) MB at \(TimestampText.iso(baseline.tsMs)), \(baseline.componentBytes.count) components")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the baseline in force.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The source.")
        var source = "default"

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let baseline = try failing {
                let reader = try HistoryReader(path: database.path)
                defer { try? reader.close() }
                return try reader.baseline(source: source)
            }
            guard let baseline else {
                if json { print("null") } else { print("'\(source)' has no baseline") }
                return
            }
            if json {
                print(try jsonText(baseline))
                return
            }
            print("baseline of '\(source)': \(String(format: "%.1f", ByteSize.mb(baseline.usageBytes))) MB (\(baseline.usageBytes) bytes) set \(TimestampText.iso(baseline.tsMs))")
            for (name, bytes) in baseline.componentBytes.sorted(by: { $0.key < $1.key }) {
                print("  \(name): \(bytes) bytes")
            }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear the baseline; reports then measure from the oldest sample of their window.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The source.")
        var source = "default"

        func run() throws {
            let cleared = try failing {
                let writer = try HistoryWriter(path: database.path)
                defer { try? writer.close() }
                return try writer.clearBaseline(source: source, tsMs: nowMs())
            }
            print(cleared ? "baseline of '\(source)' cleared" : "'\(source)' had no baseline")
        }
    }
}
