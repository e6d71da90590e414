// LeakHistoryCLI — the `leak-history` executable.
//
// Lives here: this root command, Commands/ (one file per subcommand: demo,
// report, trend, sources, runs, compare, export, baseline, ingest, prune,
// watch, workload, serve, fleet, import, rules), Options/ (argument groups
// shared by commands: the database, windows and detection settings, typed
// durations, the source, Prometheus), Output/ (text reports, the terminal's
// colours and plain-language OS errors).
//
// May import: every LeakHistory target (LeakHistory, LeakHistoryAnalysis,
// LeakHistoryWatch, LeakHistoryServer, LeakHistoryPrometheus),
// ArgumentParser, Logging and the system modules. Nothing imports it.
import ArgumentParser
import Foundation
import LeakHistory

@main
struct LeakHistoryCommand: AsyncParsableCommand {
    /// The release this build is; `leak-history --version` prints it with the schema version.
    static let version = "0.3.0"

    /// What `leak-history --version` prints.
    static var versionText: String { "leak-history \(version) (database schema \(HistorySchema.version))" }

    // `--version` is read by `main` itself, not declared: ArgumentParser's
    // `version:` puts a `--version` flag in every subcommand's help (`watch
    // --help` listed it beside `watch --version V`, the watched run's
    // version), and a flag of this command would be parsed after any
    // subcommand too, taking `watch --version 1.2` from `watch`.
    static let configuration = CommandConfiguration(
        commandName: "leak-history",
        abstract: "Records a process's memory history in SQLite and tells whether, where and how fast it leaks.",
        usage: """
            leak-history <subcommand>
            leak-history --version
            """,
        subcommands: [DemoCommand.self, ReportCommand.self, TrendCommand.self, SourcesCommand.self, RunsCommand.self, CompareCommand.self,
                      ExportCommand.self, BaselineCommand.self, IngestCommand.self, PruneCommand.self, WatchCommand.self,
                      WorkloadCommand.self, ServeCommand.self, FleetCommand.self, ImportCommand.self, RulesCommand.self]
    )

    /// Runs the command; every error leaves as one line `error: …` on standard
    /// error (usage help after it for a mistyped command line). As in
    /// ArgumentParser's own `main`, the command runs on a pool thread after
    /// the async parse, not on the main thread: a parent may have blocked
    /// SIGINT in the mask the main thread inherits, and `watch` must still
    /// catch Ctrl-C (the pool's threads unblock it).
    static func main() async {
        if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
            print(versionText)
            return
        }
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            var message = fullMessage(for: error)
            if message.hasPrefix("Error: ") { message = "error: " + message.dropFirst("Error: ".count) }
            if !message.isEmpty {
                if code == .success {
                    print(message)
                } else {
                    FileHandle.standardError.write(Data((message + "\n").utf8))
                }
            }
            Foundation.exit(code.rawValue)
        }
    }
}
