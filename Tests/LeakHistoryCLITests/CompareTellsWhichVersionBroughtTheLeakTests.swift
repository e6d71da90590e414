import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// The versioned history of `scripts/version-history.py` (five versions of
/// three runs each: flat, noisy but flat, a leak introduced, the same leak,
/// fixed), ingested by the real `leak-history ingest`, then compared pair by
/// pair through the library and the command line.
@Suite(.serialized) struct CompareTellsWhichVersionBroughtTheLeakTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/version-history.ndjson").path
    static let mibPerHour = Double(MiB)
    /// The start-up ramp of every run is 5 minutes.
    static var config: LeakDetectionConfig {
        var config = LeakDetectionConfig()
        config.warmupSecs = 300
        return config
    }
    /// After the fixture's last sample.
    static let nowMs: Int64 = 1_795_600_000_000

    /// The history in a fresh file, through `leak-history ingest`.
    static func history(_ dir: TemporaryDirectory) throws -> String {
        let db = dir.path("versions.sqlite")
        let ingest = try CLI.run(["ingest", "--db", db, fixture])
        guard ingest.status == 0, ingest.stdout.hasPrefix("stored 9735 events") else {
            throw CLI.CLIError(description: "ingest of the fixture: \(ingest.stdout) \(ingest.stderr)")
        }
        return db
    }

    static func compare(_ db: String, _ selection: ComparisonSelection) throws -> RunComparison {
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        return try reader.compare(source: "api", selection, config: config, nowMs: nowMs)
    }

    @Test("each pair of versions gets the right verdict, words and figures; a noisy run alone is a regression, pooled it is not; the newest runs by default")
    func versionPairs() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try await offThePool { try Self.history(dir) }
        let pairs = try await offThePool {
            try [("1.4.0", "1.4.1"), ("1.4.1", "1.4.2"), ("1.4.2", "1.4.3"), ("1.4.3", "1.4.4")].map {
                try Self.compare(db, .versions(base: $0.0, target: $0.1))
            }
        }
        for pair in pairs { print("compare \(pair.base.label) → \(pair.target.label): \(pair.verdict.rawValue); \(pair.summary)") }

        // Flat, then flat but noisy: not a regression, though one run of it rose.
        let noisy = pairs[0]
        #expect(noisy.verdict == .noChange, "\(noisy.reason)")
        #expect(noisy.change == .noChange)
        #expect(noisy.summary.hasPrefix("no change: 1.4.1 is flat, usage "), "\(noisy.summary)")
        #expect(noisy.base.status == .notLeaking && noisy.target.status == .notLeaking)
        #expect(noisy.base.runs.count == 3 && noisy.target.runs.count == 3)
        #expect(noisy.target.leakingRuns <= 1, "one noisy run at most looks like a leak: \(noisy.target.runs.map(\.status))")
        let noisiest = try #require(noisy.target.runs.max { $0.rateBytesPerHour < $1.rateBytesPerHour })
        #expect(noisiest.rateBytesPerHour - noisy.base.rateBytesPerHour > noisy.floorBytesPerHour,
                "that run alone rises faster than the floor: \(noisiest.rateBytesPerHour / Self.mibPerHour) MiB/h")
        #expect(noisy.target.spreadBytesPerHour > noisy.base.spreadBytesPerHour, "the noisy version's runs disagree more")

        // The leak arrives with 1.4.2: +36 MiB/h in usage and in `sessions`.
        let introduced = pairs[1]
        #expect(introduced.verdict == .regression, "\(introduced.reason)")
        #expect(introduced.change == .leakIntroduced)
        #expect(introduced.summary.hasPrefix("leak introduced in 1.4.2: usage +3"), "\(introduced.summary)")
        #expect(introduced.summary.contains(" MiB/h (1.4.1: flat); grows in `sessions` (+3"), "\(introduced.summary)")
        #expect(introduced.target.leakingRuns == 3 && introduced.target.judgedRuns == 3)
        #expect(abs(introduced.target.rateBytesPerHour / Self.mibPerHour - 36) < 1.5,
                "usage rate \(introduced.target.rateBytesPerHour / Self.mibPerHour) MiB/h")
        let sessions = try #require(introduced.components.first { $0.name == "sessions" })
        #expect(sessions.isRegression && sessions.targetLeaking && !sessions.baseLeaking)
        #expect(abs(sessions.targetRateBytesPerHour / Self.mibPerHour - 36) < 1, "sessions \(sessions.targetRateBytesPerHour / Self.mibPerHour) MiB/h")
        #expect(introduced.target.component("sessions")?.heldBytes ?? 0 > 40 * MiB, "about 51 MiB held after 85 minutes")
        #expect(Set(introduced.target.runs.compactMap { $0.deployment.labels["host"] }) == ["web-1", "web-2", "web-3"])
        #expect(introduced.target.runs.allSatisfy { $0.growingSinceMs != nil })

        // The same leak in 1.4.3.
        let same = pairs[2]
        #expect(same.verdict == .noChange, "\(same.reason)")
        #expect(same.change == .sameLeak)
        #expect(same.summary.hasPrefix("no change: 1.4.3 leaks as 1.4.2 did, usage +3"), "\(same.summary)")
        #expect(same.summary.contains("grows in `sessions`"), "\(same.summary)")
        #expect(abs(same.rateChangeBytesPerHour) < same.thresholdBytesPerHour)

        // Fixed in 1.4.4.
        let fixed = pairs[3]
        #expect(fixed.verdict == .improvement, "\(fixed.reason)")
        #expect(fixed.change == .looksFixed)
        #expect(fixed.summary.hasPrefix("looks fixed in 1.4.4: usage flat, "), "\(fixed.summary)")
        #expect(fixed.summary.contains("(1.4.3: +3"), "\(fixed.summary)")
        // Both stopped growing, at about the same rate: their order is the rates' (biggest change first), not asserted.
        #expect(fixed.summary.contains("`sessions`") && fixed.summary.contains("`rss_anon`") && fixed.summary.hasSuffix(" no longer grow"), "\(fixed.summary)")
        #expect(fixed.components.filter(\.isFixed).map(\.name).sorted() == ["rss_anon", "sessions"])
        #expect(fixed.target.leakingRuns == 0)

        try await Self.checkOneNoisyRun(db)
        try await Self.checkNewestRunsAndVersionHistory(db)
    }

    /// One noisy run compared on its own is a regression; pooled with its version's other runs it is not.
    static func checkOneNoisyRun(_ db: String) async throws {
        // Runs 1–3 are 1.4.0, 4–6 are 1.4.1; run 6 rises 10 MiB in its last 30 minutes.
        let (alone, pooled) = try await offThePool {
            (try Self.compare(db, .runs(base: 1, target: 6)), try Self.compare(db, .versions(base: "1.4.0", target: "1.4.1")))
        }
        #expect(alone.basis == .runs && alone.base.label == "run 1 (1.4.0)" && alone.target.label == "run 6 (1.4.1)")
        #expect(alone.verdict == .regression, "\(alone.reason)")
        #expect(pooled.verdict == .noChange, "\(pooled.reason)")
        #expect(pooled.target.rateBytesPerHour < alone.target.rateBytesPerHour)
    }

    /// Without a selection: the newest run against the one before it; the version history lists each version's change.
    static func checkNewestRunsAndVersionHistory(_ db: String) async throws {
        let (newest, history) = try await offThePool { () -> (RunComparison, VersionHistory) in
            let reader = try HistoryReader(path: db)
            defer { try? reader.close() }
            return (try reader.compare(source: "api", config: Self.config, nowMs: Self.nowMs),
                    try reader.versionHistory(source: "api", config: Self.config, nowMs: Self.nowMs))
        }
        #expect(newest.base.runs.map(\.runID) == [14] && newest.target.runs.map(\.runID) == [15])
        #expect(newest.verdict == .noChange, "\(newest.reason)")
        #expect(history.versions.map(\.figures.label) == ["1.4.0", "1.4.1", "1.4.2", "1.4.3", "1.4.4"])
        #expect(history.versions.map { $0.comparison?.change } == [nil, .noChange, .leakIntroduced, .sameLeak, .looksFixed])
        #expect(history.versions.map(\.figures.status) == [.notLeaking, .notLeaking, .leaking, .leaking, .notLeaking])
        #expect(history.olderVersions == 0)
    }

    @Test("hosts recorded as sources of their own: a version pools its runs over every --source named")
    func versionsPooledOverSources() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // The same history with each host's runs as a source of its own (api@web-1 …).
        var host = ""
        let lines = try String(contentsOfFile: Self.fixture, encoding: .utf8).split(separator: "\n").map { line -> String in
            var event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let labels = event["labels"] as? [String: String] { host = labels["host"] ?? "" }
            event["source"] = "api@" + host
            return String(decoding: try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.path("hosts.ndjson"), atomically: true, encoding: .utf8)
        let db = dir.path("hosts.sqlite")
        let hosts = ["api@web-1", "api@web-2", "api@web-3"]
        let (ingest, pooled, text, several) = try await offThePool { () -> (CLI.Result, RunComparison, CLI.Result, CLI.Result) in
            let ingest = try CLI.run(["ingest", "--db", db, dir.path("hosts.ndjson")])
            let reader = try HistoryReader(path: db)
            defer { try? reader.close() }
            let pooled = try reader.compare(sources: hosts, .versions(base: "1.4.1", target: "1.4.2"), config: Self.config, nowMs: Self.nowMs)
            let text = try CLI.run(["compare", "--db", db, "--source", hosts[0], "--source", hosts[1], "--source", hosts[2],
                                    "--versions", "1.4.3", "1.4.4", "--warmup", "5m"])
            let several = try CLI.run(["compare", "--db", db, "--source", hosts[0], "--source", hosts[1]])
            return (ingest, pooled, text, several)
        }
        #expect(ingest.status == 0, "\(ingest.stderr)")
        #expect(pooled.source == "api@web-1, api@web-2, api@web-3")
        #expect(pooled.verdict == .regression && pooled.change == .leakIntroduced, "\(pooled.summary)")
        #expect(Set(pooled.target.runs.map(\.source)) == Set(hosts) && pooled.target.runs.count == 3)
        #expect(pooled.base.runs.map(\.runID) == pooled.base.runs.map(\.runID).sorted(), "oldest first, across the sources")
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("    SOURCE     RUN  VERSION"), "\(text.stdout)")
        #expect(text.stdout.split(separator: "\n").last?.hasPrefix("looks fixed in 1.4.4: usage flat") == true, "\(text.stdout)")
        #expect(several.status != 0)
        #expect(several.stderr.contains("the newest runs are compared within one source"), "\(several.stderr)")
    }

    @Test("leak-history compare prints the sides, their runs, the components and the words; --json, --fail-on-regression, and clear errors for bad selections")
    func commandLine() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try await offThePool { try Self.history(dir) }
        let (text, json, failing, passing) = try await offThePool {
            (try CLI.run(["compare", "--db", db, "--versions", "1.4.1", "1.4.2", "--warmup", "5m"]),
             try CLI.run(["compare", "--db", db, "--versions", "1.4.3", "1.4.4", "--warmup", "5m", "--json"]),
             try CLI.run(["compare", "--db", db, "--versions", "1.4.1", "1.4.2", "--warmup", "5m", "--fail-on-regression"]),
             try CLI.run(["compare", "--db", db, "--versions", "1.4.2", "1.4.3", "--warmup", "5m", "--fail-on-regression"]))
        }
        #expect(text.status == 0, "\(text.stderr)")
        print(text.stdout)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "Source 'api': 1.4.1 → 1.4.2")
        #expect(lines.contains { $0.hasPrefix("  1.4.2") && $0.contains("LEAKING") && $0.contains("3 of 3") })
        #expect(lines.contains { $0.contains("sessions") && $0.contains("regression") })
        #expect(lines.contains { $0.hasPrefix("  verdict:  REGRESSION — 1.4.2 +3") })
        #expect(lines.last?.hasPrefix("leak introduced in 1.4.2: usage +3") == true, "\(lines.last ?? "")")
        #expect(text.stdout.components(separatedBy: "host=web-").count - 1 == 6, "each run's labels are listed")

        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["verdict"] as? String == "improvement")
        #expect(object["change"] as? String == "looks_fixed")
        #expect((object["target"] as? [String: Any])?["label"] as? String == "1.4.4")
        #expect(((object["base"] as? [String: Any])?["runs"] as? [Any])?.count == 3)

        #expect(failing.status == 3)
        #expect(passing.status == 0, "\(passing.stderr)")

        let (unknown, run, one, both, badVersion) = try await offThePool {
            (try CLI.run(["compare", "--db", db, "--versions", "1.4.1", "2.0"]),
             try CLI.run(["compare", "--db", db, "--runs", "3", "99"]),
             try CLI.run(["compare", "--db", db, "--runs", "3"]),
             try CLI.run(["compare", "--db", db, "--runs", "1", "2", "--versions", "1.4.0", "1.4.1"]),
             try CLI.run(["compare", "--db", db, "--versions", "1.4.0", "1 4"]))
        }
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: versions: no run of 'api' with samples has version '2.0' (its versions: 1.4.0, 1.4.1, 1.4.2, 1.4.3, 1.4.4)\n")
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: runs: 'api' has no run 99 (its runs: 4, 5, "), "\(run.stderr)")
        #expect(one.status != 0)
        #expect(one.stderr.contains("--runs takes two run ids"), "\(one.stderr)")
        #expect(both.stderr.contains("--runs and --versions are exclusive"), "\(both.stderr)")
        #expect(badVersion.stderr.contains("the version holds U+20"), "\(badVersion.stderr)")
    }
}
