import Foundation
import TestSupport
import Testing
@testable import LeakHistory
import SQLiteStore

/// The recorder keeps its history in a real SQLite file on disk: a baseline
/// survives a close and reopen, a new run starts its counters at zero, and the
/// old run stays queryable.
@Suite("Recorder persistence")
struct RecorderPersistenceTests {
    static func options(_ source: String = "default") -> RecorderOptions {
        RecorderOptions(source: source, flushIntervalSecs: 0)
    }

    @Test("the seed's integration scenario through the recorder")
    func seedIntegration() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let recorder = try LeakRecorder(path: dir.path("leaks.sqlite"), options: Self.options(), now: ManualClock().now)
        recorder.setLeakBaseline()
        recorder.trackAllocation("cache", sizeMB: 100)
        recorder.trackAllocation("buffer", sizeMB: 50)
        recorder.trackDeallocation("buffer", sizeMB: 50)
        let report = recorder.detectLeaks()
        #expect(!report.leakCandidates.isEmpty)
        #expect(report.leakCandidates.contains { $0.component == "cache" })
        #expect(!report.leakCandidates.contains { $0.component == "buffer" })
        #expect(report.currentMB == 100)
        #expect(report.baselineMB == 0)
        try recorder.close()
    }

    @Test("current usage: the components' sum until a snapshot, then the snapshot")
    func currentUsage() throws {
        let recorder = try LeakRecorder(path: ":memory:", options: Self.options(), now: ManualClock().now)
        recorder.trackAllocation("a", sizeMB: 3)
        recorder.trackAllocation("b", sizeMB: 4)
        recorder.trackDeallocation("b", sizeMB: 1)
        #expect(recorder.currentUsageBytes == 6 * MiB)
        recorder.recordSnapshot(usageMB: 42)
        #expect(recorder.currentUsageBytes == 42 * MiB)
        try recorder.close()
    }

    @Test("baseline restored after close and reopen; new run counters start at zero; old run stays queryable")
    func baselineSurvivesRestart() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("leaks.sqlite")
        let clock = ManualClock()

        let first = try LeakRecorder(path: path, options: Self.options(), now: clock.now)
        first.recordSnapshot(usageMB: 100)
        first.trackAllocation("cache", sizeMB: 80)
        first.setLeakBaseline()
        clock.advance(seconds: 1)
        for _ in 0..<12 { first.trackAllocation("cache", sizeMB: 10) }
        first.recordSnapshot(usageMB: 220)
        try first.close()
        let firstRun = first.runID

        clock.advance(seconds: 60)
        let second = try LeakRecorder(path: path, options: Self.options(), now: clock.now)
        #expect(second.runID != firstRun)
        let restored = try #require(second.detector.baseline)
        #expect(restored.restored)
        #expect(restored.usageBytes == 100 * MiB)
        // A new run: the cache counters start again at zero.
        #expect(second.detector.components.isEmpty)
        for _ in 0..<12 { second.trackAllocation("cache", sizeMB: 1) }
        #expect(second.detector.components.first?.totals.allocations == 12)
        second.recordSnapshot(usageMB: 112)
        let report = second.detectLeaks()
        #expect(report.baselineMB == 100)
        // The previous run's 200 MB of cache never reads as negative growth.
        let cache = try #require(report.leakCandidates.first { $0.component == "cache" })
        #expect(cache.growthBytes == 12 * MiB)
        try second.close()

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let runs = try reader.runs(source: "default")
        #expect(runs.map(\.id) == [firstRun, second.runID])
        #expect(runs.allSatisfy { $0.endedMs != nil })
        let snapshots = try reader.snapshots(source: "default")
        #expect(snapshots.map(\.usageBytes) == [100 * MiB, 220 * MiB, 112 * MiB])
        #expect(snapshots.map(\.runID) == [firstRun, firstRun, second.runID])
        let cacheSamples = try reader.componentSamples(source: "default", component: "cache")
        #expect(cacheSamples.filter { $0.runID == firstRun }.last?.allocatedBytes == 200 * MiB)
        #expect(cacheSamples.filter { $0.runID == second.runID }.last?.allocatedBytes == 12 * MiB)
        let baseline = try #require(try reader.baseline(source: "default"))
        #expect(baseline.usageBytes == 100 * MiB)
        #expect(baseline.componentBytes == ["cache": 80 * MiB])
    }

    @Test("with a warm-up, a restarted run takes its component references at the warm-up's end")
    func warmupReferences() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("leaks.sqlite")
        let clock = ManualClock()
        var config = LeakDetectionConfig()
        config.warmupSecs = 30
        let first = try LeakRecorder(path: path, config: config, options: Self.options(), now: clock.now)
        first.recordSnapshot(usageMB: 100)
        first.setLeakBaseline()
        try first.close()

        let second = try LeakRecorder(path: path, config: config, options: Self.options(), now: clock.now)
        for _ in 0..<20 { second.trackAllocation("pool", sizeMB: 10) }   // warm-up fill
        clock.advance(seconds: 31)
        try second.flush()                                                 // takes the references
        second.trackAllocation("pool", sizeMB: 10)
        let pool = try #require(second.detectLeaks().leakCandidates.first { $0.component == "pool" })
        #expect(pool.growthBytes == 10 * MiB)
        #expect(pool.allocatedBytes == 210 * MiB)
        try second.close()
    }

    @Test("cleared baseline stays cleared after reopen")
    func clearedBaseline() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("leaks.sqlite")
        let first = try LeakRecorder(path: path, options: Self.options(), now: ManualClock().now)
        first.recordSnapshot(usageMB: 10)
        first.setLeakBaseline()
        try first.flush()
        first.clearLeakBaseline()
        try first.close()
        let second = try LeakRecorder(path: path, options: Self.options(), now: ManualClock().now)
        #expect(second.detector.baseline == nil)
        try second.close()
    }

    @Test("flush makes data durable: a second connection sees it before close")
    func flushIsVisible() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("leaks.sqlite")
        let recorder = try LeakRecorder(path: path, options: Self.options("svc"), now: ManualClock().now)
        recorder.recordSnapshot(usageMB: 7)
        recorder.trackAllocation("x", bytes: 123)
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "svc").isEmpty)
        try recorder.flush()
        #expect(try reader.snapshots(source: "svc").map(\.usageBytes) == [7 * MiB])
        #expect(try reader.componentSamples(source: "svc", component: "x").map(\.allocatedBytes) == [123])
        // Nothing changed: a second flush writes no new sample.
        try recorder.flush()
        #expect(try reader.componentSamples(source: "svc", component: "x").count == 1)
        try recorder.close()
    }

    @Test("the background flush writes without an explicit call")
    func backgroundFlush() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("leaks.sqlite")
        let recorder = try LeakRecorder(path: path, options: RecorderOptions(source: "bg", flushIntervalSecs: 0.05))
        recorder.recordSnapshot(usageMB: 1)
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        var seen = false
        for _ in 0..<200 where !seen {
            try await Task.sleep(for: .milliseconds(10))
            seen = try !reader.snapshots(source: "bg").isEmpty
        }
        #expect(seen)
        try recorder.close()
    }

    @Test("a file from a newer schema is refused and left unchanged")
    func newerSchemaRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("leaks.sqlite")
        try LeakRecorder(path: path, options: Self.options()).close()
        let db = try Database(path: path)
        try db.setUserVersion(99)
        try db.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            _ = try LeakRecorder(path: path, options: Self.options())
        } throws: { error in
            "\(error)".contains("schema version 99")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("the database file is created with mode 0600")
    func fileMode() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("leaks.sqlite")
        try LeakRecorder(path: path, options: Self.options()).close()
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("names full of quotes and SQL are stored verbatim as bound values")
    func hostileNames() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("leaks.sqlite")
        let name = "x'); DROP TABLE component_sample; --\"`"
        let recorder = try LeakRecorder(path: path, options: Self.options("s'; DELETE FROM source; --"))
        recorder.trackAllocation(name, bytes: 10)
        try recorder.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        #expect(try reader.sources() == ["s'; DELETE FROM source; --"])
        #expect(try reader.components(source: "s'; DELETE FROM source; --").map(\.name) == [name])
    }
}

/// The recorder applies the file's retention on its own and keeps rollups current.
@Suite("Recorder maintenance")
struct RecorderMaintenanceTests {
    @Test("raw samples past retention are pruned by the recorder; rollups keep the history")
    func automaticRetention() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("m.sqlite")
        let clock = ManualClock()
        let writer = try HistoryWriter(path: path)
        var policy = RetentionPolicy()
        policy.rawMs = RetentionPolicy.day
        try writer.setRetentionPolicy(policy)
        try writer.close()

        var options = RecorderOptions(source: "svc", flushIntervalSecs: 0)
        options.pruneIntervalSecs = 3600
        let recorder = try LeakRecorder(path: path, options: options, now: clock.now)
        // Two days, one snapshot every 10 minutes, flushed as it goes.
        for i in 0..<288 {
            recorder.recordSnapshot(usageMB: 100 + i)
            try recorder.flush()
            clock.advance(seconds: 600)
        }
        try recorder.close()

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let raw = try reader.snapshots(source: "svc")
        #expect(raw.count < 288)
        #expect(raw.first.map { clock.nowMs - $0.tsMs <= RetentionPolicy.day + RetentionPolicy.hour + 600_000 } == true)
        // The pruned day is still there as rollups.
        let all = try TimeWindow(fromMs: clock.nowMs - 3 * RetentionPolicy.day, toMs: clock.nowMs)
        let trend = try reader.trend(source: "svc", window: all, bucketMs: RetentionPolicy.hour, nowMs: clock.nowMs)
        #expect(trend.buckets.reduce(0) { $0 + $1.count } == 288)
        #expect(trend.verdict?.isLeaking == true)
    }
}
