import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

/// A real process that allocates and frees in a steady sawtooth is not
/// flagged, although its RSS swings by tens of MB and its last sample may sit
/// far above its first.
@Suite struct WatchSawtoothIsNotFlaggedTests {
    @Test func steadySawtoothIsNotFlagged() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("watch.sqlite")
        let (reason, report, swingBytes) = try await offThePool {
            let child = try Workload.spawn(["sawtooth", "--amplitude-mb", "24", "--period-secs", "0.5", "--seconds", "60"])
            defer { _ = child.terminate(graceSecs: 2) }
            let config = LeakDetectionConfig.forWatch(intervalSecs: 0.1, durationSecs: 6)
            let sampler = try MemorySampler(pid: child.pid, databasePath: path, source: "sawtooth", config: config)
            let reason = try watchUntilDone([sampler], intervalSecs: 0.1, durationSecs: 6)
            let usage = sampler.recorder.detector.history.map(\.usageBytes)
            return (reason, sampler.report(), usage.max()! - usage.min()!)
        }
        #expect(reason == .durationElapsed)
        #expect(!report.hasLeaks, "\(report.recommendations)")
        let trend = try #require(report.trend)
        #expect(trend.status == .notLeaking, "\(trend.explanation)")
        #expect(report.leakCandidates.isEmpty)
        // The swings were really there: the check is not passing on a flat line.
        #expect(swingBytes > 16 * MiB)
    }
}
