import ArgumentParser
import Foundation
import LeakHistory
import LeakHistoryPrometheus

/// `leak-history import`: a fleet's series from Prometheus into the SQLite history.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Store the memory series of a Prometheus query in the history, one source per series.",
        discussion: """
            Each series (named from --by, else from its label set) becomes a source; each restart (a drop to \
            under half the level, a change of process_start_time_seconds, or the next label set of a --by \
            group) starts a new run. Then `report`, `trend`, `export` and the dashboard read it like any history. \
            Import a window once: importing it again rewrites the same rows but adds runs.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var source: PrometheusOptions

    func run() async throws {
        let now = nowMs()
        let read = try await withPrometheus(source) { client in
            try await source.readFleet(client: client, nowMs: now, progressLabel: "reading \(client.server.baseURL)")
        }
        let outcome = try failing { () throws -> FleetImport.Outcome in
            let writer = try HistoryWriter(path: database.path)
            defer { try? writer.close() }
            let showProgress = standardErrorIsTerminal
            let outcome = try FleetImport.store(read.series, into: writer) { done, total in
                if showProgress { FileHandle.standardError.write(Data("\r  stored \(done)/\(total) series".utf8)) }
            }
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            return outcome
        }
        print("imported \(outcome.sources) source\(outcome.sources == 1 ? "" : "s"), \(outcome.snapshots) snapshots, "
              + "\(outcome.runs) run\(outcome.runs == 1 ? "" : "s") into \(database.path)")
    }
}
