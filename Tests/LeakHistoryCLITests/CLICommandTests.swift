import Foundation
import TestSupport
import SwiftCSV
import Testing
@testable import LeakHistory

/// Each subcommand parsed and run as a real process against a temporary
/// database file: outputs, exit codes and errors.
@Suite("CLI commands", .serialized)
struct CLICommandTests {
    static let t0: Int64 = 1_764_000_000_000

    /// Ten minutes of a source leaking 1 MB per 10 s, as NDJSON.
    static var leakingNDJSON: String {
        (0..<60).map { i in
            #"{"ts_ms": \#(t0 + Int64(i) * 10_000), "source": "api", "usage_bytes": \#((100 + i) * 1_048_576)}"#
        }.joined(separator: "\n")
    }

    @Test("--help exists for the root and every subcommand")
    func help() throws {
        for command in [[], ["report"], ["trend"], ["export"], ["baseline"], ["baseline", "set"], ["ingest"], ["prune"], ["demo"]] {
            let result = try CLI.run(command + ["--help"])
            #expect(result.status == 0)
            #expect(result.stdout.contains("USAGE:"))
            #expect(result.stdout.contains("--db") || command.isEmpty || command == ["baseline"])
        }
    }

    @Test("ingest → report → trend → export → baseline → prune on one file")
    func pipeline() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("cli.sqlite")
        let ingest = try CLI.run(["ingest", "--db", db, "-"], stdin: Self.leakingNDJSON)
        #expect(ingest.status == 0)
        #expect(ingest.stdout == "stored 60 events\n")

        let window = ["--from", "\(Self.t0)", "--to", "\(Self.t0 + 600_000)"]
        let human = try CLI.run(["report", "--db", db, "--source", "api"] + window)
        #expect(human.status == 0)
        #expect(human.stdout.contains("verdict:  LEAKING"))
        let json = try CLI.run(["report", "--db", db, "--source", "api", "--json"] + window)
        let report = try JSONDecoder().decode(LeakReport.self, from: Data(json.stdout.utf8))
        #expect(report.hasLeaks)
        #expect(report.currentMB == 159)
        #expect(report.trend?.isLeaking == true)

        let trend = try CLI.run(["trend", "--db", db, "--source", "api", "--bucket", "1m", "--csv"] + window)
        #expect(trend.status == 0)
        let buckets = try CSV<Named>(string: trend.stdout).rows
        #expect(buckets.count == 10)
        #expect(buckets.first?["min_bytes"] == "\(100 * 1_048_576)")

        let csvPath = dir.path("out.csv")
        let export = try CLI.run(["export", "--csv", "--db", db, "--what", "snapshots", "--output", csvPath])
        #expect(export.status == 0)
        #expect(try CSV<Named>(url: URL(fileURLWithPath: csvPath)).rows.count == 60)

        #expect(try CLI.run(["baseline", "show", "--db", db, "--source", "api"]).stdout.contains("has no baseline"))
        let set = try CLI.run(["baseline", "set", "--db", db, "--source", "api", "--usage-mb", "120"])
        #expect(set.status == 0)
        let shown = try CLI.run(["baseline", "show", "--db", db, "--source", "api", "--json"])
        #expect(try JSONDecoder().decode(StoredBaseline.self, from: Data(shown.stdout.utf8)).usageBytes == 120 * 1_048_576)
        #expect(try CLI.run(["baseline", "clear", "--db", db, "--source", "api"]).stdout.contains("cleared"))

        let prune = try CLI.run(["prune", "--db", db, "--raw", "2d", "--json"])
        #expect(prune.status == 0)
        #expect(try JSONDecoder().decode(PruneResult.self, from: Data(prune.stdout.utf8)).snapshotsDeleted == 60)
    }

    @Test("bad input: clear messages, non-zero exits, nothing recorded is lost")
    func badInput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("cli.sqlite")
        #expect(try CLI.run(["ingest", "--db", db, "-"], stdin: Self.leakingNDJSON).status == 0)

        let mixed = #"{"ts_ms": 1764000600000, "source": "api", "usage_bytes": 1}"# + "\n{oops\n" + #"{"ts_ms": 1764000601000, "source": "api", "usage_bytes": -3}"#
        let strict = try CLI.run(["ingest", "--db", db, "--strict", "-"], stdin: mixed)
        #expect(strict.status != 0)
        #expect(strict.stderr.contains("line 2: json: malformed JSON"))
        #expect(strict.stderr.contains("line 3: usage_bytes: size -3 is negative"))
        #expect(strict.stdout.contains("stored 0 events"))
        let lenient = try CLI.run(["ingest", "--db", db, "-"], stdin: mixed)
        #expect(lenient.status != 0)
        #expect(lenient.stdout.contains("stored 1 events; 2 bad lines skipped"))

        let reader = try HistoryReader(path: db)
        #expect(try reader.snapshots(source: "api").count == 61)
        try reader.close()

        let inverted = try CLI.run(["report", "--db", db, "--source", "api", "--from", "1764000600000", "--to", "1764000000000"])
        #expect(inverted.status != 0)
        #expect(inverted.stderr.contains("window: from (1764000600000) is after to (1764000000000)"))
        let all = try CLI.run(["report", "--db", db, "--since", "1h", "--from", "1763000000000", "--to", "1764000000000"])
        #expect(all.status != 0)
        #expect(all.stderr.contains("at most one of --from and --to"))
        let missing = try CLI.run(["report", "--db", dir.path("missing.sqlite")])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no database at"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("missing.sqlite")))
        let notSQLite = dir.path("text.sqlite")
        try "hello".write(toFile: notSQLite, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["report", "--db", notSQLite])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains(notSQLite))
        #expect(try String(contentsOfFile: notSQLite, encoding: .utf8) == "hello")
        let badWhat = try CLI.run(["export", "--csv", "--db", db, "--what", "everything"])
        #expect(badWhat.status != 0)
        #expect(badWhat.stderr.contains("--what is snapshots or components"))
    }

    @Test("--db falls back to $LEAK_HISTORY_DB")
    func environmentDatabase() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("env.sqlite")
        let result = try CLI.run(["ingest", "-"], stdin: Self.leakingNDJSON, environment: ["LEAK_HISTORY_DB": db])
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: db))
    }
}
