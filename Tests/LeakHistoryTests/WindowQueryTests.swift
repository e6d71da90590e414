import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// Reports over arbitrary windows of a real database file: empty and tiny
/// windows, bad windows, windows that cut runs or span restarts, and windows
/// older than the raw retention answered from rollups.
@Suite("Window queries")
struct WindowQueryTests {
    static let t0: Int64 = 1_764_000_000_000
    static let minute: Int64 = 60_000

    /// A database with `events`, and a reader on it.
    static func database(_ events: [IngestEvent], in dir: TemporaryDirectory) throws -> HistoryReader {
        let path = dir.path("w.sqlite")
        let writer = try HistoryWriter(path: path)
        let result = try writer.ingest(events, atomic: true)
        #expect(result.stored == events.count)
        try writer.close()
        return try HistoryReader(path: path)
    }

    static func linear(source: String = "default", from: Int64 = t0, count: Int, stepMs: Int64 = 10_000,
                       startMB: Double, mbPerStep: Double) -> [IngestEvent] {
        (0..<count).map { i in
            IngestEvent(source: source, tsMs: from + Int64(i) * stepMs,
                        kind: .snapshot(usageBytes: Int64((startMB + mbPerStep * Double(i)) * 1_048_576)))
        }
    }

    @Test("an empty window reports no samples and no leak")
    func emptyWindow() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let reader = try Self.database(Self.linear(count: 10, startMB: 100, mbPerStep: 1), in: dir)
        defer { try? reader.close() }
        let report = try reader.report(window: TimeWindow(fromMs: Self.t0 - 10 * Self.minute, toMs: Self.t0 - Self.minute), nowMs: Self.t0)
        #expect(report.sampleCount == 0)
        #expect(!report.hasLeaks)
        #expect(report.trend?.status == .noData)
        #expect(report.trend?.isLeaking == false)
        #expect(report.recommendations.first == "No data: no sample of 'default' in this window")
    }

    @Test("one sample: no growth, no verdict beyond insufficient data")
    func oneSample() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let reader = try Self.database(Self.linear(count: 10, startMB: 100, mbPerStep: 1), in: dir)
        defer { try? reader.close() }
        let report = try reader.report(window: TimeWindow(fromMs: Self.t0, toMs: Self.t0), nowMs: Self.t0)
        #expect(report.sampleCount == 1)
        #expect(report.overallGrowthRate == 0)
        #expect(report.trend?.status == .insufficientData)
        #expect(!report.hasLeaks)
        #expect(report.currentMB == 100)
    }

    @Test("from after to is a clear error")
    func inverted() {
        #expect(throws: InputError(field: "window", message: "from (2) is after to (1)")) {
            try TimeWindow(fromMs: 2, toMs: 1)
        }
        #expect(throws: InputError.self) { try TimeWindow(since: "-5m", nowMs: Self.t0) }
        #expect(throws: InputError.self) { try TimeWindow(since: "10 parsecs", nowMs: Self.t0) }
        #expect(throws: InputError.self) { try TimeWindow(from: "yesterday", to: nil, nowMs: Self.t0) }
        #expect(throws: InputError.self) { try TimeWindow.resolve(since: "1h", from: "0", to: nil, defaultSpanMs: 1, nowMs: Self.t0) }
    }

    @Test("durations and timestamps parse in their documented forms")
    func parsing() throws {
        #expect(try DurationText.milliseconds("250ms") == 250)
        #expect(try DurationText.milliseconds("90s") == 90_000)
        #expect(try DurationText.milliseconds("10m") == 600_000)
        #expect(try DurationText.milliseconds("6h") == 21_600_000)
        #expect(try DurationText.milliseconds("30d") == 2_592_000_000)
        #expect(try TimestampText.milliseconds("2025-11-24T16:00:00Z", field: "from") == 1_764_000_000_000)
        #expect(try TimestampText.milliseconds("2025-11-24T16:00:00.250Z", field: "from") == 1_764_000_000_250)
        #expect(try TimestampText.milliseconds("2025-11-24T17:00:00+01:00", field: "from") == 1_764_000_000_000)
        #expect(try TimestampText.milliseconds("1764000000000", field: "from") == 1_764_000_000_000)
        #expect(throws: InputError.self) { try TimestampText.milliseconds("99", field: "from") }
    }

    @Test("a window that cuts a run measures only its own part")
    func windowCutsRun() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // 30 min flat, then 30 min growing 1 MB/10 s.
        let flat = Self.linear(count: 180, startMB: 200, mbPerStep: 0)
        let growing = Self.linear(from: Self.t0 + 180 * 10_000, count: 180, startMB: 200, mbPerStep: 1)
        let reader = try Self.database(flat + growing, in: dir)
        defer { try? reader.close() }
        let first = try reader.report(window: TimeWindow(fromMs: Self.t0, toMs: Self.t0 + 29 * Self.minute), nowMs: Self.t0 + 60 * Self.minute)
        #expect(!first.hasLeaks)
        #expect(first.overallGrowthRate == 0)
        let second = try reader.report(window: TimeWindow(fromMs: Self.t0 + 30 * Self.minute, toMs: Self.t0 + 60 * Self.minute), nowMs: Self.t0 + 60 * Self.minute)
        #expect(second.hasLeaks)
        #expect(second.trend?.isLeaking == true)
        #expect(abs((second.trend?.slopeMBPerHour ?? 0) - 360) < 1)
    }

    @Test("restarts are not deallocations: a leak across restarts is joined; a fixed leak is not one")
    func restarts() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var events: [IngestEvent] = []
        for run in 0..<3 {
            let start = Self.t0 + Int64(run) * 20 * Self.minute
            if run > 0 { events.append(IngestEvent(source: "leaky", tsMs: start, kind: .restart())) }
            events += Self.linear(source: "leaky", from: start, count: 120, startMB: 100, mbPerStep: 0.5)
        }
        events += Self.linear(source: "fixed", count: 180, startMB: 100, mbPerStep: 0.5)
        events.append(IngestEvent(source: "fixed", tsMs: Self.t0 + 30 * Self.minute, kind: .restart()))
        events += Self.linear(source: "fixed", from: Self.t0 + 30 * Self.minute, count: 180, startMB: 100, mbPerStep: 0)
        let reader = try Self.database(events, in: dir)
        defer { try? reader.close() }
        let window = try TimeWindow(fromMs: Self.t0, toMs: Self.t0 + 60 * Self.minute)
        let leaky = try reader.report(source: "leaky", window: window, nowMs: window.toMs)
        #expect(leaky.hasLeaks)
        #expect(leaky.trend?.analysis == .joinedRuns)
        #expect(leaky.trend?.runCount == 3)
        // Three runs of 59.5 MB each: 178.5 MB of growth, never negative at the drops.
        #expect(abs(leaky.overallGrowthRate - 178.5) < 0.01)
        #expect(leaky.recommendations.contains { $0.hasPrefix("2 restarts in the window") })
        #expect(try reader.runs(source: "leaky").count == 3)
        let fixed = try reader.report(source: "fixed", window: window, nowMs: window.toMs)
        #expect(!fixed.hasLeaks)
        #expect(fixed.trend?.isLeaking == false)
        #expect(fixed.trend?.rejectedBy != nil)
    }

    @Test("components: a counted leak is a candidate by its own verdict; a filled cache is not")
    func componentVerdicts() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var events: [IngestEvent] = []
        for i in 0..<360 {
            let ts = Self.t0 + Int64(i) * 10_000
            events.append(IngestEvent(tsMs: ts, kind: .allocation(component: "sessions", bytes: 256 * 1024)))
            if i < 90 { events.append(IngestEvent(tsMs: ts, kind: .allocation(component: "cache", bytes: 1 << 20))) }
            events.append(IngestEvent(tsMs: ts, kind: .allocation(component: "buffers", bytes: 1 << 20)))
            events.append(IngestEvent(tsMs: ts, kind: .deallocation(component: "buffers", bytes: 1 << 20)))
            events.append(IngestEvent(tsMs: ts, kind: .gauge(component: "rss_file", bytes: 50 << 20)))
        }
        let reader = try Self.database(events, in: dir)
        defer { try? reader.close() }
        let window = try TimeWindow(fromMs: Self.t0, toMs: Self.t0 + 60 * Self.minute)
        let report = try reader.report(window: window, nowMs: window.toMs)
        #expect(report.leakCandidates.map(\.component) == ["sessions"])
        let sessions = try #require(report.leakCandidates.first)
        #expect(sessions.trend?.isLeaking == true)
        #expect(sessions.reasons.contains("trend"))
        #expect(sessions.netAllocations == 360)
        #expect(sessions.allocatedBytes == 90 << 20)
        #expect(report.hasLeaks)
        // Usage is derived from the components when no snapshot was recorded.
        #expect(report.currentBytes == (90 << 20) + (90 << 20) + (50 << 20))
    }

    @Test("windows older than the raw retention are answered from rollups")
    func rollupWindows() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("r.sqlite")
        let writer = try HistoryWriter(path: path)
        // Two days at one sample a minute, leaking 1 MB per hour.
        let events = Self.linear(count: 2 * 1440, stepMs: Self.minute, startMB: 500, mbPerStep: 1.0 / 60)
        try writer.ingest(events, atomic: true)
        var policy = RetentionPolicy()
        policy.rawMs = RetentionPolicy.day
        try writer.setRetentionPolicy(policy)
        let now = Self.t0 + 2 * RetentionPolicy.day
        let pruned = try writer.prune(nowMs: now)
        #expect(pruned.snapshotsDeleted == 1440)
        try writer.close()

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "default").count == 1440)
        let oldWindow = try TimeWindow(fromMs: Self.t0, toMs: Self.t0 + RetentionPolicy.day - 1)
        let report = try reader.report(window: oldWindow, nowMs: now)
        #expect(report.sampleCount == 1440)     // minute rollups: the raw rows are gone
        #expect(report.trend?.isLeaking == true)
        #expect(abs((report.trend?.slopeMBPerHour ?? 0) - 1) < 0.01)
        #expect(report.recommendations.contains("Read from minute rollups (bucket means) for this window"))
        let wide = try reader.report(window: TimeWindow(fromMs: Self.t0 - 30 * RetentionPolicy.day, toMs: now), nowMs: now)
        // A month is read by cost: 5-minute bucket means, of minute rollups
        // before the raw cutoff and of the raw samples after it.
        #expect(wide.sampleCount == 576)
        #expect(wide.recommendations.contains("Read from minute rollups (bucket means) for this window"))
        #expect(wide.trend?.isLeaking == true)

        let trend = try reader.trend(window: TimeWindow(fromMs: Self.t0, toMs: now), bucketMs: RetentionPolicy.hour, nowMs: now)
        #expect(trend.resolution == .hour)
        #expect(trend.buckets.count == 48)
        #expect(trend.buckets.allSatisfy { $0.count == 60 })
        #expect(trend.buckets.first?.minBytes == 500 << 20)
        #expect(trend.verdict?.isLeaking == true)
        // Day buckets are aligned to UTC midnight; the series starts at 16:00.
        let daily = try reader.trend(window: TimeWindow(fromMs: Self.t0, toMs: now), bucketMs: RetentionPolicy.day, nowMs: now)
        #expect(daily.buckets.map(\.count) == [480, 1440, 960])
    }

    @Test("trend buckets agree with the raw samples, minute ones folded from them, hour ones from the open hour's rows")
    func rollupsAgreeWithRaw() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("r.sqlite")
        let writer = try HistoryWriter(path: path)
        try writer.ingest(Self.linear(count: 30, stepMs: 4_000, startMB: 10, mbPerStep: 1), atomic: true)
        try writer.ingest(Self.linear(from: Self.t0 + 120_000, count: 30, stepMs: 4_000, startMB: 40, mbPerStep: -1), atomic: true)
        try writer.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let window = try TimeWindow(fromMs: Self.t0, toMs: Self.t0 + 240_000)
        let fromRollups = try reader.trend(window: window, bucketMs: Self.minute, nowMs: Self.t0 + 240_000)
        // Within the raw retention, minute buckets are folded from the raw samples.
        #expect(fromRollups.resolution == .raw)
        let raw = try reader.snapshots(source: "default")
        let hourly = try reader.trend(window: window, bucketMs: RetentionPolicy.hour, nowMs: Self.t0 + 240_000)
        #expect(hourly.resolution == .hour)
        #expect(hourly.buckets.map(\.count).reduce(0, +) == Int64(raw.count))
        for bucket in fromRollups.buckets {
            let inBucket = raw.filter { $0.tsMs >= bucket.startMs && $0.tsMs < bucket.startMs + Self.minute }.map(\.usageBytes)
            #expect(bucket.count == Int64(inBucket.count))
            #expect(bucket.minBytes == inBucket.min())
            #expect(bucket.maxBytes == inBucket.max())
            #expect(bucket.lastBytes == inBucket.last)
        }
    }

    @Test("an unknown source is a clear error naming the known ones")
    func unknownSource() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let reader = try Self.database(Self.linear(source: "api", count: 3, startMB: 1, mbPerStep: 0), in: dir)
        defer { try? reader.close() }
        #expect {
            try reader.report(source: "nope", window: TimeWindow(fromMs: 0, toMs: 1), nowMs: Self.t0)
        } throws: { error in
            "\(error)".contains("no source 'nope'") && "\(error)".contains("known: api")
        }
    }
}

@Suite("Database counts")
struct DatabaseCountsTests {
    @Test("counts report the rows of each kind")
    func counts() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("n.sqlite")
        let writer = try HistoryWriter(path: path)
        try writer.ingest([
            IngestEvent(source: "a", tsMs: 1_790_000_000_000, kind: .snapshot(usageBytes: 1)),
            IngestEvent(source: "a", tsMs: 1_790_000_000_001, kind: .snapshot(usageBytes: 2)),
            IngestEvent(source: "b", tsMs: 1_790_000_000_000, kind: .allocation(component: "c", bytes: 1)),
        ], atomic: true)
        try writer.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let counts = try reader.counts()
        #expect(counts.sources == 2)
        #expect(counts.runs == 2)
        #expect(counts.components == 1)
        #expect(counts.snapshots == 2)
        #expect(counts.componentSamples == 1)
        // No hour is sealed yet (its rows are read as they are), no raw sample pruned into minutes.
        #expect(counts.rollupRows == 0)
    }
}
