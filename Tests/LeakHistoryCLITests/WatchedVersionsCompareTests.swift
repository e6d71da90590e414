import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// Two real `watch` runs of one program under two versions, a steady one and
/// a leaking one, then `compare`: the leak is the newer version's.
@Suite struct WatchedVersionsCompareTests {
    @Test("watch --version 1.0 (steady), watch --version 1.1 (leaking), compare --versions 1.0 1.1: leak introduced in 1.1")
    func twoWatchedVersions() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("watched.sqlite")
        let executable = try CLI.executable.path
        let (steady, leaking, compare, runs) = try await offThePool {
            let steady = try CLI.run(["watch", "--db", db, "--source", "app", "--version", "1.0", "--label", "host=ci", "--label", "commit=aaa111",
                                      "--interval", "100ms", "--duration", "6s", "--no-pss",
                                      "--", executable, "workload", "sawtooth", "--amplitude-mb", "8", "--period-secs", "0.5", "--seconds", "30"])
            let leaking = try CLI.run(["watch", "--db", db, "--source", "app", "--version", "1.1", "--label", "host=ci",
                                       "--interval", "100ms", "--duration", "6s", "--no-pss",
                                       "--", executable, "workload", "leak", "--rate-mb-per-sec", "4", "--seconds", "30"])
            let compare = try CLI.run(["compare", "--db", db, "--source", "app", "--versions", "1.0", "1.1", "--json"])
            let runs = try CLI.run(["runs", "--db", db, "--source", "app"])
            return (steady, leaking, compare, runs)
        }
        #expect(steady.status == 124, "--duration ends a watch with 124: \(steady.stderr)")
        #expect(leaking.status == 124, "\(leaking.stderr)")
        #expect(steady.stdout.contains("run 1 of version 1.0"), "\(steady.stdout)")
        #expect(compare.status == 0, "\(compare.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(compare.stdout.utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? String)
        print(summary)
        #expect(object["verdict"] as? String == "regression", "\(object["reason"] ?? "")")
        #expect(object["change"] as? String == "leak_introduced")
        #expect(summary.hasPrefix("leak introduced in 1.1: usage +"), "\(summary)")
        #expect(summary.contains("(1.0: flat)") || summary.contains("(1.0: no leak, "), "\(summary)")
        let target = try #require(object["target"] as? [String: Any])
        let rate = try #require(target["rate_bytes_per_hour"] as? Double) / Double(MiB) / 3600
        #expect(rate > 2.5 && rate < 5.5, "the leaker writes 4 MiB/s; measured \(rate) MiB/s")
        let targetRuns = try #require(target["runs"] as? [[String: Any]])
        #expect(targetRuns.first?["labels"] as? [String: String] == ["host": "ci"])
        let lines = runs.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(runs.stdout)")
        #expect(lines[0].hasPrefix("SOURCE  RUN  VERSION  STARTED (UTC)"), "\(lines[0])")
        #expect(lines[1].contains(" 1.0 ") && lines[1].contains("commit=aaa111,host=ci"), "\(lines[1])")
        #expect(lines[2].contains(" 1.1 ") && lines[2].contains("host=ci"), "\(lines[2])")
    }

    @Test("watch refuses a bad --version or --label before it starts anything")
    func badDeploymentOptions() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("none.sqlite")
        let (version, label, twice, rootVersion) = try await offThePool {
            (try CLI.run(["watch", "--db", db, "--version", "1.0 beta", "--", "true"]),
             try CLI.run(["watch", "--db", db, "--label", "host", "--", "true"]),
             try CLI.run(["watch", "--db", db, "--label", "a=1", "--label", "a=2", "--", "true"]),
             try CLI.run(["--version"]))
        }
        #expect(version.status != 0)
        #expect(version.stderr.contains("--version: the version holds U+20"), "\(version.stderr)")
        #expect(label.stderr.contains("--label: 'host' is not key=value (e.g. host=web-1)"), "\(label.stderr)")
        #expect(twice.stderr.contains("--label: 'a' is given twice"), "\(twice.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db))
        #expect(rootVersion.stdout.hasPrefix("leak-history "), "the root --version still prints the version")
    }
}
