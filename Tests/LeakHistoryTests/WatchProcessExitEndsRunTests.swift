import Foundation
import Testing
@testable import LeakHistory

/// A watched process that exits mid-watch ends the watch and its run: the
/// store has the run's end, its pid and its command line, and every sample.
@Suite struct WatchProcessExitEndsRunTests {
    @Test func processExitingMidWatchEndsItsRunInTheStore() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("watch.sqlite")
        let (reason, endReason, exit, pid, sampleCount) = try await offThePool {
            let child = try Workload.spawn(["leak", "--rate-mb-per-sec", "2", "--seconds", "1.5"])
            defer { _ = child.terminate(graceSecs: 2) }
            let config = LeakDetectionConfig.forWatch(intervalSecs: 0.1, durationSecs: 60)
            let sampler = try MemorySampler(pid: child.pid, databasePath: path, source: "exiting", config: config)
            let reason = try watchUntilDone([sampler], intervalSecs: 0.1, durationSecs: 60)
            return (reason, sampler.endReason, child.waitForExit(timeoutSecs: 10), child.pid, sampler.sampleCount)
        }
        #expect(reason == .targetsEnded)
        #expect(endReason == "the process exited")
        #expect(exit == .exited(0))

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let runs = try reader.runs(source: "exiting")
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run.endedMs != nil)
        #expect(run.pid == Int64(pid))
        #expect(run.command?.contains("workload leak") == true)
        let snapshots = try reader.snapshots(source: "exiting")
        #expect(snapshots.count == sampleCount)
        #expect(snapshots.allSatisfy { $0.runID == run.id })
    }

    @Test func eachWatchOfASourceIsANewRun() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("watch.sqlite")
        try await offThePool {
            let config = LeakDetectionConfig.forWatch(intervalSecs: 0.05, durationSecs: 0.3)
            for _ in 0..<2 {
                let sampler = try MemorySampler(pid: getpid(), databasePath: path, source: "self", config: config)
                _ = try watchUntilDone([sampler], intervalSecs: 0.05, durationSecs: 0.3)
            }
        }
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let runs = try reader.runs(source: "self")
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.endedMs != nil && $0.pid == Int64(getpid()) })
    }
}
