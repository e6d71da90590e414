import ArgumentParser
import Foundation
import Logging

/// `--db PATH`, shared by every subcommand.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The SQLite history file (default: $LEAK_HISTORY_DB, else ./leak-history.sqlite).",
        valueName: "path"))
    var db: String?

    /// The path in force: the option, the environment, then the default.
    var path: String {
        if let db, !db.isEmpty { return db }
        if let env = ProcessInfo.processInfo.environment["LEAK_HISTORY_DB"], !env.isEmpty { return env }
        return "leak-history.sqlite"
    }
}

/// Notes the store logs while opening a file (a mode it tightened), on standard error.
let cliLogger: Logger = {
    var logger = Logger(label: "leak-history", factory: { StreamLogHandler.standardError(label: $0) })
    logger.logLevel = .warning
    return logger
}()
