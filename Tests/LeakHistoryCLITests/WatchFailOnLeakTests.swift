import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// `--fail-on-leak` makes a leak fail a CI job (exit status 3), on `watch`
/// and on `report` over the stored window; the watch's detection options
/// (--warmup, --memory-limit-mb) reach its verdict and its report.
@Suite struct WatchFailOnLeakTests {
    @Test func aLeakerExitsWith3AndASteadyProgramWith0() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        let leaking = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "4s", "--fail-on-leak", "--source", "leaker", "--"]
                        + programs.shellTree([programs.leaky(mbPerSec: 8, seconds: 30)]))
        }
        #expect(leaking.status == 3, "\(leaking.stdout)\n\(leaking.stderr)")
        #expect(leaking.stderr.contains("--fail-on-leak"))
        #expect(leaking.stdout.contains("LEAKING"))

        let steady = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "4s", "--fail-on-leak", "--source", "steady", "--"]
                        + programs.shellTree([programs.steady(mb: 20, seconds: 30)]))
        }
        #expect(steady.status == 0, "\(steady.stdout)\n\(steady.stderr)")
        #expect(programs.survivors().isEmpty)

        // The same verdicts from the stored history.
        for (source, expected) in [("leaker", Int32(3)), ("steady", 0)] {
            let report = try await offThePool {
                try CLI.run(["report", "--db", db, "--source", source, "--since", "1h", "--fail-on-leak"])
            }
            #expect(report.status == expected, "\(source): \(report.stdout)\n\(report.stderr)")
            let plain = try await offThePool { try CLI.run(["report", "--db", db, "--source", source, "--since", "1h"]) }
            #expect(plain.status == 0, "without the flag a leak is not a failure")
        }
    }

    @Test func memoryLimitGivesTheTimeToReachItInProgressAndReport() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        let result = try await offThePool {
            // Progress lines come every 5 s when standard error is not a terminal: the second one has a trend.
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "6s", "--memory-limit-mb", "500", "--"]
                        + programs.shellTree([programs.leaky(mbPerSec: 8, seconds: 30)]))
        }
        #expect(result.status == 124, "\(result.stderr)")
        #expect(result.stdout.contains("memory limit 500.0 MB: reached in about"), "\(result.stdout)")
        #expect(result.stderr.contains("500.0 MB limit in"), "progress: \(result.stderr)")
        let json = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "3s", "--memory-limit-mb", "500", "--json", "--"]
                        + programs.shellTree([programs.leaky(mbPerSec: 8, seconds: 30)]))
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let trend = try #require(object["trend"] as? [String: Any], "\(json.stdout)")
        let secs = try #require(trend["time_to_limit_secs"] as? Double)
        // About (500 MB − usage) / 8 MB/s: well under a minute and a half, more than a few seconds.
        #expect(secs > 10 && secs < 90, "\(secs)")
    }

    @Test func aWarmupLongerThanTheWatchLeavesNothingToJudge() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        let result = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "3s", "--warmup", "1h", "--fail-on-leak", "--json", "--"]
                        + programs.shellTree([programs.leaky(mbPerSec: 8, seconds: 30)]))
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let trend = try #require(object["trend"] as? [String: Any], "\(result.stdout)")
        #expect(trend["status"] as? String != "leaking", "every sample is inside the warm-up: \(trend)")
        // Progress counts the samples the trend will judge, not those of the warm-up.
        #expect(result.stderr.contains("collecting samples (0 of 10 for a trend after the warm-up)"), "\(result.stderr)")
    }

    @Test func badDetectionOptionsAreClearErrors() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("watch.sqlite")
        let cases: [([String], String)] = [
            (["watch", "--db", db, "--memory-limit-mb", "9223372036854775807", "--", "true"], "--memory-limit-mb must be a positive number"),
            (["watch", "--db", db, "--memory-limit-mb", "0", "--", "true"], "--memory-limit-mb must be a positive number"),
            (["watch", "--db", db, "--growth-threshold=-1", "--", "true"], "growth_threshold"),
            (["watch", "--db", db, "--warmup", "soon", "--", "true"], "The value 'soon' is invalid for '--warmup <duration>'"),
            (["watch", "--db", db, "--pss-rss-change", "nan", "--", "true"], "--pss-rss-change"),
            (["watch", "--db", db, "--grace", "2h", "--", "true"], "--grace"),
            (["watch", "--db", db, "--no-children", "--cgroup", "/sys/fs/cgroup", "--", "true"], "--no-children"),
            (["watch", "--db", db, "--growth-floor-mb", "1e300", "--", "true"], "--growth-floor-mb"),
        ]
        for (arguments, message) in cases {
            let result = try await offThePool { try CLI.run(arguments) }
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
