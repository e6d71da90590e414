import ArgumentParser

@main
struct LeakHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leak-history",
        abstract: "Records a process's memory history in SQLite and tells whether, where and how fast it leaks.",
        subcommands: [DemoCommand.self, ReportCommand.self, TrendCommand.self, ExportCommand.self, BaselineCommand.self, IngestCommand.self, PruneCommand.self, WatchCommand.self, WorkloadCommand.self, ServeCommand.self, FleetCommand.self, ImportCommand.self, RulesCommand.self]
    )
}
