import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

/// A real process that leaks at a known rate is flagged, and the rate the
/// trend measures from its RSS is the true one.
@Suite struct WatchLeakerIsFlaggedTests {
    @Test func leakerIsFlaggedAndItsMeasuredRateIsWithinTwentyPercent() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let trueRate = 4.0
        let path = dir.path("watch.sqlite")
        let (reason, report) = try await offThePool {
            let child = try Workload.spawn(["leak", "--rate-mb-per-sec", "4", "--seconds", "60"])
            defer { _ = child.terminate(graceSecs: 2) }
            let config = LeakDetectionConfig.forWatch(intervalSecs: 0.1, durationSecs: 6)
            let sampler = try MemorySampler(pid: child.pid, databasePath: path, source: "leaker", config: config)
            let reason = try watchUntilDone([sampler], intervalSecs: 0.1, durationSecs: 6)
            return (reason, sampler.report())
        }
        #expect(reason == .durationElapsed)
        #expect(report.hasLeaks)
        let trend = try #require(report.trend)
        #expect(trend.isLeaking, "\(trend.explanation)")
        let measured = trend.slopeMBPerHour / 3600
        #expect(abs(measured - trueRate) / trueRate < 0.2, "measured \(measured) MB/s, true \(trueRate) MB/s")
        // The growth is anonymous memory, and the report says so.
        #expect(report.leakCandidates.first?.component == "rss_anon")
        #expect(report.leakCandidates.first?.trend?.isLeaking == true)
    }
}
