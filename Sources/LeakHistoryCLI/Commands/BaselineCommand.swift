import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history baseline set|show|clear`.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Set, show or clear a source's stored baseline.",
        subcommands: [SetBaseline.self, ShowBaseline.self, ClearBaseline.self]
    )

    // Not `Set`: that would shadow Swift.Set inside the command.
    struct SetBaseline: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set the baseline now, to a given usage or to the source's newest sample.")

        @OptionGroup var database: DatabaseOptions

        @OptionGroup var source: SourceOptions

        @Option(help: ArgumentHelp("Baseline usage in MiB (default: the source's newest stored usage).", valueName: "mb"))
        var usageMb: Int64?

        func validate() throws {
            if let usageMb, usageMb < 0 { throw ValidationError("--usage-mb must not be negative.") }
        }

        func run() throws {
            let now = nowMs()
            let (source, baseline, sampleMs) = try failing { () throws -> (String, StoredBaseline, Int64?) in
                let source = try existingSource(self.source, database: database)
                let writer = try HistoryWriter(path: database.path, create: false)
                defer { try? writer.close() }
                let baseline = try writer.setBaseline(source: source, usageBytes: usageMb.map { $0 * ByteSize.bytesPerMB }, tsMs: now)
                return (source, baseline, writer.lastBaselineSampleMs)
            }
            let origin = sampleMs.map { " (the newest sample, at \(TimestampText.iso($0)), \(DurationText.spoken(now - $0)) ago)" } ?? " (as given)"
            print("baseline of '\(source)' set: \(String(format: "%.1f", ByteSize.mb(baseline.usageBytes))) MB\(origin) at \(TimestampText.iso(baseline.tsMs)), \(baseline.componentBytes.count) components")
        }
    }

    struct ShowBaseline: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the baseline in force.")

        @OptionGroup var database: DatabaseOptions

        @OptionGroup var source: SourceOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let (source, baseline) = try failing { () throws -> (String, StoredBaseline?) in
                let source = try existingSource(self.source, database: database)
                let reader = try HistoryReader(path: database.path)
                defer { try? reader.close() }
                return (source, try reader.baseline(source: source))
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

    struct ClearBaseline: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "clear", abstract: "Clear the baseline; reports then measure from the oldest sample of their window.")

        @OptionGroup var database: DatabaseOptions

        @OptionGroup var source: SourceOptions

        func run() throws {
            let (source, cleared) = try failing { () throws -> (String, Bool) in
                let source = try existingSource(self.source, database: database)
                let writer = try HistoryWriter(path: database.path, create: false)
                defer { try? writer.close() }
                return (source, try writer.clearBaseline(source: source, tsMs: nowMs()))
            }
            print(cleared ? "baseline of '\(source)' cleared" : "'\(source)' had no baseline")
        }
    }
}

/// The source `options` mean, read from a connection of its own.
func existingSource(_ options: SourceOptions, database: DatabaseOptions) throws -> String {
    let reader = try HistoryReader(path: database.path)
    defer { try? reader.close() }
    return try options.resolved(in: reader)
}
