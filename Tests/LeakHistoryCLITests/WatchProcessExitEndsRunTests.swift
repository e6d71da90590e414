import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

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

    /// A process that is gone before the first sample leaves nothing: no run,
    /// and no source when the watch created it; a source that already had a
    /// run keeps it and gets no empty one.
    @Test func aProcessGoneBeforeItsFirstSampleLeavesNoSourceOrRun() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("watch.sqlite")
        try await offThePool {
            let config = LeakDetectionConfig.forWatch(intervalSecs: 0.05, durationSecs: 0.3)
            // A source with one real run first.
            let kept = try MemorySampler(pid: getpid(), databasePath: path, source: "kept", config: config)
            _ = try watchUntilDone([kept], intervalSecs: 0.05, durationSecs: 0.3)
            #expect(!kept.recordedNothing)
            for source in ["kept", "brief"] {
                // The sampler opens its run while the child lives; the child is gone before the first sample.
                let child = try ChildProcess.spawn(["sleep", "30"])
                let sampler = try MemorySampler(processTree: child.pid, databasePath: path, source: source, config: config)
                _ = child.terminate(graceSecs: 2)
                #expect(try watchUntilDone([sampler], intervalSecs: 0.05, durationSecs: 0.3) == .targetsEnded)
                #expect(sampler.sampleCount == 0)
                #expect(sampler.recordedNothing)
            }
        }
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        #expect(try reader.sources() == ["kept"])
        let runs = try reader.runs(source: "kept")
        #expect(runs.count == 1)
        #expect(try reader.snapshots(source: "kept").allSatisfy { $0.runID == runs[0].id })
    }

    /// `watch -- true` says nothing was
    /// recorded, exits with the command's status and stores no source or run.
    @Test func watchingACommandThatExitsAtOnceStoresNothing() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("watch.sqlite")
        // A real sample first, so the file exists and the listing below can be read.
        let first = try await offThePool { try CLI.run(["watch", "--db", db, "--source", "real", "--", "sleep", "0.3"]) }
        #expect(first.status == 0, "\(first.stderr)")
        // Each exits within a millisecond or two, before the watch's first sample (which
        // follows opening the database); the library test above covers a process gone
        // between the watch's start and its first sample.
        for command in [["true"], ["false"], ["sh", "-c", "exit 0"]] {
            let result = try await offThePool { try CLI.run(["watch", "--db", db, "--interval", "100ms", "--"] + command) }
            #expect(result.status == (command == ["false"] ? 1 : 0), "\(command): \(result.stderr)")
            let said = result.stderr + result.stdout
            #expect(said.contains("before it could be sampled; nothing was recorded")
                    || said.contains("before its first sample; nothing was recorded"), "\(command): \(said)")
        }
        let sources = try await offThePool { try CLI.run(["sources", "--db", db, "--json"]) }
        let names = try #require(try JSONSerialization.jsonObject(with: Data(sources.stdout.utf8)) as? [[String: Any]])
            .compactMap { $0["name"] as? String }
        #expect(names == ["real"], "\(sources.stdout)")
        let runs = try await offThePool { try CLI.run(["runs", "--db", db]) }
        #expect(runs.stdout.split(separator: "\n").count == 2, "\(runs.stdout)")
    }
}

/// With `flushIntervalSecs` set, the session writes the samples itself, from
/// a thread of its own, as the watch goes: the recorder has no flush timer,
/// and when `run` returns every sample is in the file, before the run ends.
@Suite struct WatchSessionFlushesTests {
    @Test func theSessionWritesEverySampleBeforeTheRunEnds() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("watch.sqlite")
        let child = try Workload.spawn(["sawtooth", "--amplitude-mb", "4", "--period-secs", "0.5"])
        defer { _ = child.terminate(graceSecs: 2) }
        let (stored, sampled, endedBeforeClose) = try await offThePool {
            let config = LeakDetectionConfig.forWatch(intervalSecs: 0.1, durationSecs: 1)
            let sampler = try MemorySampler(pid: child.pid, databasePath: path, source: "flushed", config: config,
                                            flushIntervalSecs: 0)
            let session = WatchSession(samplers: [sampler], intervalSecs: 0.1, durationSecs: 1, wakeup: try WatchWakeup())
            session.flushIntervalSecs = 0.1
            _ = session.run()
            let reader = try HistoryReader(path: path)
            defer { try? reader.close() }
            let stored = try reader.snapshots(source: "flushed").count
            let ended = try reader.runs(source: "flushed").first?.endedMs != nil
            try session.endAll()
            return (stored, sampler.sampleCount, ended)
        }
        #expect(sampled >= 5)
        #expect(stored == sampled, "every sample is written when run returns: \(stored) of \(sampled)")
        #expect(!endedBeforeClose, "the rows came from the session's flushes, not from ending the run")
    }
}
