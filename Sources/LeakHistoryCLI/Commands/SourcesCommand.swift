import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history sources [list|delete|rename]`: what the history holds.
struct SourcesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sources",
        abstract: "List the sources of the history (or delete or rename one).",
        subcommands: [List.self, Delete.self, Rename.self],
        defaultSubcommand: List.self
    )

    /// The default window of `report` (10 minutes), which the listed verdict uses.
    static let defaultSpanMs: Int64 = 600_000

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every source: runs, first and last sample, samples, and the verdict over report's default window.")

        @OptionGroup var database: DatabaseOptions

        @Flag(help: "Print JSON (an array, one object per source).")
        var json = false

        func run() throws {
            let now = nowMs()
            let listed = try failing { () throws -> [SourceListing] in
                let reader = try HistoryReader(path: database.path)
                defer { try? reader.close() }
                return try reader.sourceListings(defaultSpanMs: SourcesCommand.defaultSpanMs, nowMs: now)
            }
            if json {
                print(try jsonText(listed))
                return
            }
            guard !listed.isEmpty else {
                print("no sources in '\(database.path)' yet: record some with watch, ingest or demo")
                return
            }
            var rows = [["SOURCE", "RUNS", "FIRST SAMPLE (UTC)", "LAST SAMPLE (UTC)", "SAMPLES", "VERDICT"]]
            for listing in listed {
                let summary = listing.summary
                rows.append([summary.name, "\(summary.runs.count)" + (summary.runs.last?.running == true ? " (1 running)" : ""),
                             timeCell(summary.firstSampleMs), timeCell(summary.lastSampleMs), "\(summary.samples)", listing.report.verdictWord])
            }
            print(textTable(rows), terminator: "")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a source and everything recorded for it.")

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The source to delete.")
        var name: String

        @Flag(help: "Really delete (required: there is no undo).")
        var yes = false

        func validate() throws {
            if !yes { throw ValidationError("--yes is required: deleting '\(name)' and everything recorded for it cannot be undone") }
        }

        func run() throws {
            let summary = try failing { () throws -> SourceSummary in
                let writer = try HistoryWriter(path: database.path, create: false)
                defer { try? writer.close() }
                let reader = try HistoryReader(path: database.path)
                defer { try? reader.close() }
                let summary = try reader.sourceSummary(name)
                try writer.deleteSource(name)
                return summary
            }
            let runs = summary.runs.count, samples = summary.samples
            print("deleted source '\(name)': \(runs) \(runs == 1 ? "run" : "runs"), \(samples) \(samples == 1 ? "sample" : "samples")")
        }
    }

    struct Rename: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename a source.")

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The source's name now.")
        var old: String

        @Argument(help: "Its new name.")
        var new: String

        func run() throws {
            try failing {
                let writer = try HistoryWriter(path: database.path, create: false)
                defer { try? writer.close() }
                try writer.renameSource(old, to: new)
            }
            print("renamed source '\(old)' to '\(new)'")
        }
    }
}

/// `leak-history runs [--source S]`: the lifetimes of one source, or of every source.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List runs (one per process start): version, start, end or running, pid, samples, labels, command."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Only this source (default: every source).")
    var source: String?

    @Flag(help: "Print JSON (an array of runs, each with its source).")
    var json = false

    func run() throws {
        let summaries = try failing { () throws -> [SourceSummary] in
            let reader = try HistoryReader(path: database.path)
            defer { try? reader.close() }
            if let source { return [try reader.sourceSummary(source)] }
            return try reader.sourceSummaries()
        }
        if json {
            print(try jsonText(summaries.flatMap { s in s.runs.map { SourcedRun(source: s.name, run: $0) } }))
            return
        }
        let labelled = summaries.contains { $0.runs.contains { !$0.deployment.labels.isEmpty } }
        var rows = [["SOURCE", "RUN", "VERSION", "STARTED (UTC)", "ENDED (UTC)", "PID", "SAMPLES"] + (labelled ? ["LABELS"] : []) + ["COMMAND"]]
        for summary in summaries {
            for run in summary.runs {
                var row: [String] = [summary.name, "\(run.id)", run.version ?? "—", timeCell(run.startedMs)]
                row.append(run.endedMs.map { timeCell($0) } ?? "running")
                row += [run.pid.map(String.init) ?? "—", "\(run.samples)"]
                if labelled { row.append(run.deployment.labelText ?? "—") }
                row.append(run.command ?? "—")
                rows.append(row)
            }
        }
        if rows.count == 1 {
            print(source.map { "'\($0)' has no runs" } ?? "no runs in '\(database.path)' yet")
            return
        }
        print(textTable(rows), terminator: "")
    }
}
