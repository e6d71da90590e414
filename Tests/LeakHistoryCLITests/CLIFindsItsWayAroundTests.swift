import Foundation
import TestSupport
import SQLiteStore
import Testing
@testable import LeakHistory

/// The commands a new user runs to find their way around a history: the
/// listing of sources and runs, the overview, the default window, the
/// no-data hint, deleting and renaming, and no file or source made by a typo.
@Suite("CLI: sources, runs, overview, defaults", .serialized)
struct CLIFindsItsWayAroundTests {
    static let t0: Int64 = 1_764_000_000_000

    /// `api` leaks 1 MiB per 10 s for 5 minutes; `web` stays flat and restarts halfway.
    static func history(_ db: String) throws {
        var lines: [String] = []
        for i in 0..<30 {
            let ts = t0 + Int64(i) * 10_000
            lines.append(#"{"ts_ms": \#(ts), "source": "api", "usage_bytes": \#((100 + i) * 1_048_576)}"#)
            if i == 15 { lines.append(#"{"ts_ms": \#(ts), "source": "web", "event": "restart"}"#) }
            lines.append(#"{"ts_ms": \#(ts), "source": "web", "usage_bytes": \#(50 * 1_048_576 + (i % 2) * 4096)}"#)
        }
        let result = try CLI.run(["ingest", "--db", db, "-"], stdin: lines.joined(separator: "\n"))
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("sources lists every source with runs, first and last sample, samples and verdict; --json too")
    func sourcesListing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        try Self.history(db)
        let text = try CLI.run(["sources", "--db", db])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("SOURCE"))
        #expect(lines[1].hasPrefix("api") && lines[1].contains("leaking") && lines[1].contains(" 30 "))
        #expect(lines[1].contains("2025-11-24T16:00:00Z") && lines[1].contains("2025-11-24T16:04:50Z"))
        #expect(lines[2].hasPrefix("web") && lines[2].contains("no leak") && lines[2].hasPrefix("web     2"))

        let json = try CLI.run(["sources", "--db", db, "--json"])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(listed.map { $0["name"] as? String } == ["api", "web"])
        #expect(listed[0]["samples"] as? Int == 30)
        #expect(listed[0]["has_leaks"] as? Bool == true)
        #expect(listed[0]["first_sample_ms"] as? Int64 == Self.t0)
        #expect(listed[1]["runs"] as? Int == 2)
        #expect(listed[1]["verdict"] as? String == "no leak")
    }

    @Test("runs lists start, end or running, samples per run; an unknown --source names the known ones")
    func runsListing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        try Self.history(db)
        let json = try CLI.run(["runs", "--db", db, "--source", "web", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(runs.count == 2)
        #expect(runs[0]["ended_ms"] as? Int64 == Self.t0 + 150_000)
        #expect(runs[0]["samples"] as? Int == 15)
        #expect(runs[1]["running"] as? Bool == true)
        #expect(runs[1]["samples"] as? Int == 15)
        let text = try CLI.run(["runs", "--db", db])
        #expect(text.stdout.split(separator: "\n").count == 4)
        #expect(text.stdout.contains("running"))
        let unknown = try CLI.run(["runs", "--db", db, "--source", "wbe"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: source: no source 'wbe' in '\(db)' (known: api, web)\n")
    }

    @Test("report without --source: an overview worst first (JSON: an array); with one source, that source")
    func overviewAndOnlySource() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        try Self.history(db)
        let text = try CLI.run(["report", "--db", db])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines[0].hasPrefix("2 sources, 1 leaking"))
        #expect(lines[2].hasPrefix("api") && lines[2].contains("LEAKING"))
        #expect(lines[3].hasPrefix("web"))
        let json = try CLI.run(["report", "--db", db, "--json"])
        let reports = try JSONDecoder().decode([LeakReport].self, from: Data(json.stdout.utf8))
        #expect(reports.map(\.source) == ["api", "web"])
        #expect(reports[0].hasLeaks && !reports[1].hasLeaks)

        let deleted = try CLI.run(["sources", "delete", "--db", db, "web", "--yes"])
        #expect(deleted.status == 0)
        let only = try CLI.run(["report", "--db", db])
        #expect(only.stdout.hasPrefix("Source 'api', 2025-11-24T16:00:00.000Z → 2025-11-24T16:04:50.000Z (UTC)"))
        #expect(only.stdout.contains("LEAKING"))
    }

    @Test("the overview's RATE is the single-source report's rate for every source: usage, component-only leak, flat")
    func overviewRateIsTheReportsRate() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        try Self.history(db)
        // `jobs`: flat usage, while its `queue` component keeps 1 MiB every 10 s: a leak in a component only.
        var lines: [String] = []
        for i in 0..<30 {
            let ts = Self.t0 + Int64(i) * 10_000
            lines.append(#"{"ts_ms": \#(ts), "source": "jobs", "component": "queue", "alloc_bytes": 1048576}"#)
            lines.append(#"{"ts_ms": \#(ts), "source": "jobs", "usage_bytes": \#(400 * 1_048_576 + (i % 3) * 65536)}"#)
        }
        #expect(try CLI.run(["ingest", "--db", db, "-"], stdin: lines.joined(separator: "\n")).status == 0)

        let overview = try CLI.run(["report", "--db", db])
        #expect(overview.status == 0, "\(overview.stderr)")
        let rows = overview.stdout.split(separator: "\n").dropFirst().map {
            $0.trimmingCharacters(in: .whitespaces).components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        #expect(rows.first?.prefix(3) == ["SOURCE", "VERDICT", "RATE"])
        #expect(!overview.stdout.contains("SLOPE"))
        var rates: [String: String] = [:]
        for row in rows.dropFirst() where row.count >= 3 { rates[row[0]] = row[2] }
        #expect(Set(rates.keys) == ["api", "jobs", "web"])

        for source in ["api", "jobs", "web"] {
            let text = try CLI.run(["report", "--db", db, "--source", source])
            let json = try CLI.run(["report", "--db", db, "--source", source, "--json"])
            let report = try JSONDecoder().decode(LeakReport.self, from: Data(json.stdout.utf8))
            let trend = try #require(report.trend)
            let verdict = try #require(text.stdout.split(separator: "\n").first { $0.contains("verdict:") })
            let overviewRate = try #require(rates[source])
            switch source {
            case "api":
                // Usage leaks: the verdict line ends with the trend's rate, and the overview shows it.
                #expect(trend.isLeaking)
                #expect(verdict.hasSuffix(", " + trend.rateText))
                #expect(overviewRate == trend.rateText)
            case "jobs":
                // Only the component leaks: its rate, as the verdict line gives it.
                #expect(report.hasLeaks && !trend.isLeaking)
                let top = try #require(report.leakCandidates.first)
                let own = try #require(top.trend)
                #expect(top.component == "queue")
                #expect(verdict.hasSuffix("LEAKING in 'queue', " + own.rateText))
                #expect(overviewRate == own.rateText + " in queue")
            default:
                // No leak: the trend's rate, what the JSON report's rate_text says.
                #expect(!report.hasLeaks)
                #expect(overviewRate == trend.rateText)
            }
            // The rate is a figure of the verdict (bytes per hour), not the seed's first-vs-last.
            #expect(trend.rateText == AnalysisText.rate(bytesPerHour: trend.rateBytesPerHour))
        }
    }

    @Test("the default window is the newest run when shorter than 10 minutes, however long ago it was")
    func defaultWindowIsTheNewestRun() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        try Self.history(db)
        let json = try CLI.run(["report", "--db", db, "--source", "api", "--json"])
        let report = try JSONDecoder().decode(LeakReport.self, from: Data(json.stdout.utf8))
        #expect(report.windowFromMs == Self.t0)
        #expect(report.windowToMs == Self.t0 + 290_000)
        #expect(report.sampleCount == 30)
        #expect(report.hasLeaks)
    }

    @Test("a window without samples says where the newest sample is and which window holds the run; exit 0")
    func noData() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        try Self.history(db)
        let result = try CLI.run(["report", "--db", db, "--source", "api", "--since", "1h"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("No data — newest sample at 2025-11-24T16:04:50.000Z ("))
        #expect(result.stdout.contains("--from 2025-11-24T16:00:00.000Z --to 2025-11-24T16:04:50.000Z"))
        let json = try CLI.run(["report", "--db", db, "--source", "api", "--since", "1h", "--json"])
        let report = try JSONDecoder().decode(LeakReport.self, from: Data(json.stdout.utf8))
        #expect(!report.hasLeaks)
        #expect(report.sampleCount == 0)
        // The suggested window really holds the run.
        let suggested = try CLI.run(["report", "--db", db, "--source", "api", "--json",
                                     "--from", "2025-11-24T16:00:00.000Z", "--to", "2025-11-24T16:04:50.000Z"])
        #expect(try JSONDecoder().decode(LeakReport.self, from: Data(suggested.stdout.utf8)).sampleCount == 30)

        let trend = try CLI.run(["trend", "--db", db, "--source", "api", "--since", "1h"])
        #expect(trend.status == 0)
        #expect(trend.stdout.contains("no data — newest sample at 2025-11-24T16:04:50.000Z"))
    }

    @Test("a time without a zone is local time (TZ), every report prints its window in UTC, a bad time names the forms")
    func localTime() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        try Self.history(db)
        for (zone, local) in [("Europe/Paris", "2025-11-24 17:00"), ("America/New_York", "2025-11-24T11:00:00"), ("UTC", "2025-11-24 16:00:00")] {
            let result = try CLI.run(["report", "--db", db, "--source", "api", "--from", local, "--to", "2025-11-24T16:02:00Z"],
                                     environment: ["TZ": zone])
            #expect(result.status == 0, "\(zone): \(result.stderr)")
            #expect(result.stdout.hasPrefix("Source 'api', 2025-11-24T16:00:00.000Z → 2025-11-24T16:02:00.000Z (UTC)"), "\(zone): \(result.stdout)")
        }
        let bad = try CLI.run(["report", "--db", db, "--source", "api", "--from", "2025-11-24T17:00:00x"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("'2025-11-24T17:00:00x' is not a time"))
        #expect(bad.stderr.contains("2026-12-01 09:00[:00] or 2026-12-01 (local time)"))
    }

    @Test("no command creates a file or source by accident; baseline set takes the newest sample and says so")
    func noAccidentalCreation() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        try Self.history(db)
        let missing = dir.path("nonexist.sqlite")
        for command in [["prune"], ["report"], ["sources"], ["runs"], ["trend"], ["export"], ["baseline", "show"],
                        ["baseline", "set"], ["baseline", "clear"], ["sources", "rename", "a", "b"]] {
            let result = try CLI.run(command + ["--db", missing])
            #expect(result.status == 1, "\(command)")
            #expect(result.stderr.hasPrefix("error: db: no database at '\(missing)' (databases beside it: h.sqlite)"), "\(command): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: missing), "\(command) created the file")
        }
        let before = try tableRows(of: db)
        for command in [["baseline", "set", "--source", "newsrc"], ["baseline", "clear", "--source", "newsrc"],
                        ["baseline", "show", "--source", "newsrc"], ["report", "--source", "newsrc"], ["trend", "--source", "newsrc"],
                        ["sources", "delete", "newsrc", "--yes"], ["sources", "rename", "newsrc", "x"]] {
            let result = try CLI.run(command + ["--db", db])
            #expect(result.status == 1, "\(command)")
            #expect(result.stderr.contains("no source 'newsrc'") && result.stderr.contains("(known: api, web)"), "\(command): \(result.stderr)")
        }
        #expect(try tableRows(of: db) == before)

        // As after a watch: the newest run was closed cleanly.
        do {
            let database = try Database(path: db)
            defer { try? database.close() }
            try database.execute(sql: "UPDATE run SET ended_ms = \(Self.t0 + 300_000) WHERE id = (SELECT max(id) FROM run)")
        }
        let set = try CLI.run(["baseline", "set", "--db", db, "--source", "web"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.hasPrefix("baseline of 'web' set: 50.0 MB (the newest sample, at 2025-11-24T16:04:50.000Z, "))
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        // The baseline opened no run: the source still has its two, both ended.
        #expect(try reader.runs(source: "web").count == 2)
        #expect(try reader.runs(source: "web").allSatisfy { $0.endedMs != nil })
        #expect(try reader.baseline(source: "web")?.usageBytes == 50 * 1_048_576 + 4096)
    }

    @Test("sources delete needs --yes and removes every row of the source; rename keeps the history under the new name")
    func deleteAndRename() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        try Self.history(db)
        _ = try CLI.run(["ingest", "--db", db, "-"], stdin: #"{"ts_ms": \#(Self.t0), "source": "web", "component": "cache", "alloc_bytes": 5}"#)
        _ = try CLI.run(["baseline", "set", "--db", db, "--source", "web", "--usage-mb", "10"])
        let refused = try CLI.run(["sources", "delete", "--db", db, "web"])
        #expect(refused.status != 0)
        #expect(refused.stderr.hasPrefix("error: --yes is required: deleting 'web' and everything recorded for it cannot be undone"))

        let renamed = try CLI.run(["sources", "rename", "--db", db, "web", "frontend"])
        #expect(renamed.status == 0, "\(renamed.stderr)")
        let taken = try CLI.run(["sources", "rename", "--db", db, "frontend", "api"])
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("'api' already exists"))
        do {
            let reader = try HistoryReader(path: db)
            defer { try? reader.close() }
            #expect(try reader.sources() == ["api", "frontend"])
            #expect(try reader.snapshots(source: "frontend").count == 30)
            #expect(try reader.baseline(source: "frontend")?.usageBytes == 10 * 1_048_576)
        }

        let deleted = try CLI.run(["sources", "delete", "--db", db, "frontend", "--yes"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(deleted.stdout == "deleted source 'frontend': 2 runs, 31 samples\n")
        let database = try Database(path: db)
        defer { try? database.close() }
        for (table, expected) in [("source", 1), ("run", 1), ("component", 0), ("component_sample", 0), ("baseline", 0),
                                  ("baseline_component", 0), ("snapshot", 30)] {
            let count = try database.makeStatement(sql: "SELECT count(*) FROM \(table)").fetchOne { $0.int(0) }
            #expect(count == expected, "\(table)")
        }
        let rollupsOfDeleted = try database.makeStatement(sql: "SELECT count(*) FROM snapshot_rollup WHERE source_id NOT IN (SELECT id FROM source)")
            .fetchOne { $0.int(0) }
        #expect(rollupsOfDeleted == 0)
        // One run is "1 run", not "1 runs".
        let single = try CLI.run(["sources", "delete", "--db", db, "api", "--yes"])
        #expect(single.stdout == "deleted source 'api': 1 run, 30 samples\n")
    }

    @Test("--version, export without --csv, trend gaps and seconds for sub-minute buckets, one error style")
    func polish() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        let version = try CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("leak-history ") && version.stdout.contains("schema \(HistorySchema.version)"))

        // Samples at 0–40 s and 100–140 s: the 10 s buckets between are empty.
        let lines = (Array(0..<5) + Array(10..<15)).map { i in #"{"ts_ms": \#(Self.t0 + Int64(i) * 10_000), "usage_bytes": \#(1_048_576 * (10 + i))}"# }
        _ = try CLI.run(["ingest", "--db", db, "-"], stdin: lines.joined(separator: "\n"))
        let export = try CLI.run(["export", "--db", db])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.split(separator: "\r\n").count == 11)

        let trend = try CLI.run(["trend", "--db", db, "--bucket", "10s"])
        #expect(trend.status == 0, "\(trend.stderr)")
        #expect(trend.stdout.contains("2025-11-24T16:00:10Z"))
        #expect(trend.stdout.contains("2025-11-24T16:00:20Z"))
        #expect(trend.stdout.contains("… 5 empty buckets (no samples) …"))
        let shortGap = try CLI.run(["trend", "--db", db, "--bucket", "30s"])
        #expect(shortGap.stdout.contains("2025-11-24T16:01:00Z  —"))

        let usage = try CLI.run(["report", "--db", db, "--since", "banana"])
        #expect(usage.status != 0)
        #expect(usage.stderr.hasPrefix("error: "))
        let parse = try CLI.run(["report", "--nonsense"])
        #expect(parse.stderr.hasPrefix("error: "))
        #expect(!parse.stderr.contains("Error:"))
    }
}
