import Foundation
import TestSupport
import SQLiteStore
import Testing
@testable import LeakHistory

/// Hour rollups are written from the chunks an hour is sealed into and
/// minute rollups from the samples retention drops, never by re-reading the
/// raw samples of the buckets a write touched: yet every bucket equals the
/// fold of the raw samples it covers, whatever order and batches they came in.
@Suite("Rollups kept from what writes add")
struct RollupsKeptFromWhatWritesAddTests {
    static let t0: Int64 = 1_790_000_000_000 + 123
    static let hour = RetentionPolicy.hour

    /// Five hours of a gauge and usage every 7 s, shuffled into batches of
    /// random sizes, some samples sent again late with the same value, some
    /// first sent hours after their time.
    static func scrambledHistory(seed: UInt64) -> [[IngestEvent]] {
        var rng = SeededRandom(state: seed)
        var events: [IngestEvent] = []
        for step in 0..<(5 * 3600 / 7) {
            let ts = t0 + Int64(step) * 7000 + Int64(rng.below(5))
            events.append(IngestEvent(source: "s", tsMs: ts, kind: .snapshot(usageBytes: 100 << 20 + Int64(rng.below(1000)) * 4096)))
            events.append(IngestEvent(source: "s", tsMs: ts, kind: .gauge(component: "g", bytes: 10 << 20 + Int64(step) * 512)))
        }
        // A tenth of the samples arrive an hour or two late.
        var late: [IngestEvent] = []
        var onTime: [IngestEvent] = []
        for event in events { if rng.below(10) == 0 { late.append(event) } else { onTime.append(event) } }
        var batches: [[IngestEvent]] = []
        var index = 0
        while index < onTime.count {
            let size = 1 + rng.below(400)
            var batch = Array(onTime[index..<min(onTime.count, index + size)])
            // Each batch may also carry some of the late ones, and replays.
            for _ in 0..<rng.below(30) where !late.isEmpty { batch.append(late.removeFirst()) }
            if rng.below(4) == 0, let replay = batch.first { batch.append(replay) }
            batches.append(batch)
            index += size
        }
        if !late.isEmpty { batches.append(late) }
        return batches
    }

    struct Bucket: Equatable, Comparable {
        var series: String
        var start, run, low, high, last: Int64
        var sum: Double
        var count, first, newest: Int64
        static func < (a: Bucket, b: Bucket) -> Bool { (a.series, a.start) < (b.series, b.start) }
    }

    static func rollups(_ path: String, size: Int64) throws -> [Bucket] {
        let db = try Database(path: path)
        defer { try? db.close() }
        return try db.makeStatement(sql: """
            SELECT 'usage', bucket_start_ms, run_id, min_bytes, max_bytes, last_bytes, sum_bytes, sample_count, first_ts_ms, last_ts_ms
            FROM snapshot_rollup WHERE bucket_ms = ?1
            UNION ALL
            SELECT 'g', bucket_start_ms, run_id, min_bytes, max_bytes, last_bytes, sum_bytes, sample_count, first_ts_ms, last_ts_ms
            FROM component_rollup WHERE bucket_ms = ?1
            """).fetchAll([size]) { r in
            Bucket(series: r.string(0), start: r.int64(1), run: r.int64(2), low: r.int64(3), high: r.int64(4), last: r.int64(5),
                   sum: r.double(6), count: r.int64(7), first: r.int64(8), newest: r.int64(9))
        }.sorted()
    }

    /// The buckets of `size` folded from raw samples.
    static func folded(_ samples: [(String, [RawSample])], size: Int64) -> [Bucket] {
        samples.flatMap { name, raw in
            RollupBucket.fold(raw, bucketMs: size).map { b in
                Bucket(series: name, start: b.startMs, run: b.runID, low: b.minBytes, high: b.maxBytes, last: b.lastBytes,
                       sum: b.sumBytes, count: b.count, first: b.firstTsMs, newest: b.lastTsMs)
            }
        }.sorted()
    }

    @Test("Five hours sent in scrambled batches, late samples and replays: every sealed hour's rollup is the fold of its samples", arguments: [1, 2, 3] as [UInt64])
    func hourRollupsMatchTheRawSamples(seed: UInt64) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("r.sqlite")
        let writer = try HistoryWriter(path: path)
        for batch in Self.scrambledHistory(seed: seed) {
            let result = try writer.ingest(batch)
            #expect(result.rejected.isEmpty, "\(result.rejected.prefix(2))")
        }
        let store = writer.store
        let source = try #require(try store.sourceID(named: "s", create: false, nowMs: 0))
        let gauge = try #require(try store.component(sourceID: source, name: "g")).id
        let usage = try store.rawSamples(.usage(sourceID: source), fromMs: .min, toMs: .max)
        let g = try store.rawSamples(.component(gauge), fromMs: .min, toMs: .max)
        #expect(usage.count == 5 * 3600 / 7 && g.count == 5 * 3600 / 7)
        // Hour rollups hold every sealed sample (the open hour's so far); the
        // head, the newest five-minute slot's rows, is read from its rows.
        let usageHead = try store.headSamples(.usage(sourceID: source), fromMs: .min, toMs: .max)
        let gHead = try store.headSamples(.component(gauge), fromMs: .min, toMs: .max)
        #expect(!gHead.isEmpty && gHead.first!.tsMs >= floor(g.last!.tsMs, HistoryStore.sealSlotMs))
        let expected = Self.folded([("usage", Array(usage.dropLast(usageHead.count))), ("g", Array(g.dropLast(gHead.count)))], size: Self.hour)
        #expect(try Self.rollups(path, size: Self.hour) == expected)
        #expect(try Self.rollups(path, size: RetentionPolicy.minute).isEmpty)
        try writer.close()

        // The buckets a report reads: the rollups plus the open hour, the fold of everything.
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let all = try reader.store.buckets(.component(gauge), window: TimeWindow(fromMs: Self.t0, toMs: Self.t0 + 6 * Self.hour),
                                           bucketMs: Self.hour)
        #expect(all.map(\.count).reduce(0, +) == Int64(g.count))
        #expect(all.map(\.startMs) == RollupBucket.fold(g, bucketMs: Self.hour).map(\.startMs))
        // Bucket for bucket the fold of the samples, the open hour's summed up by SQLite included,
        // for windows that start and end inside an hour too.
        for (series, samples) in [(SeriesID.component(gauge), g), (.usage(sourceID: source), usage)] {
            for (from, to) in [(Self.t0, Self.t0 + 6 * Self.hour), (Self.t0 + 5 * Self.hour + 600_000, Self.t0 + 5 * Self.hour + 1_800_000),
                               (Self.t0 + 90 * 60_000, Self.t0 + 6 * Self.hour)] {
                let read = try reader.store.buckets(series, window: TimeWindow(fromMs: from, toMs: to), bucketMs: Self.hour)
                #expect(read == RollupBucket.fold(samples.filter { $0.tsMs >= from && $0.tsMs <= to }, bucketMs: Self.hour) || from % Self.hour != 0,
                        "\(series) \(from)…\(to)")
                let head = try reader.store.headSamples(series, fromMs: from, toMs: to)
                #expect(try reader.store.headBuckets(series, fromMs: from, toMs: to, bucketMs: Self.hour) == RollupBucket.fold(head, bucketMs: Self.hour))
            }
        }
    }

    @Test("A prune folds exactly the samples leaving the raw retention into minute rollups, once, however often it runs")
    func minuteArchive() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("m.sqlite")
        let writer = try HistoryWriter(path: path)
        defer { try? writer.close() }
        for batch in Self.scrambledHistory(seed: 9) { try writer.ingest(batch) }
        let store = writer.store
        let source = try #require(try store.sourceID(named: "s", create: false, nowMs: 0))
        let gauge = try #require(try store.component(sourceID: source, name: "g")).id
        let before = try store.rawSamples(.component(gauge), fromMs: .min, toMs: .max)
        var policy = RetentionPolicy()
        policy.rawMs = RetentionPolicy.hour
        try writer.setRetentionPolicy(policy)
        // Three prunes, each half an hour later: the cutoff moves, nothing is folded twice.
        for k in 0..<3 {
            _ = try writer.prune(nowMs: Self.t0 + 4 * Self.hour + Int64(k) * 30 * 60_000)
        }
        let cutoff = Self.t0 + 4 * Self.hour + 60 * 60_000 - Self.hour
        let expected = Self.folded([("g", before.filter { $0.tsMs < cutoff })], size: RetentionPolicy.minute)
        #expect(try Self.rollups(path, size: RetentionPolicy.minute).filter { $0.series == "g" } == expected)
        // Everything from the cutoff on is still raw.
        #expect(try store.rawSamples(.component(gauge), fromMs: cutoff, toMs: .max) == before.filter { $0.tsMs >= cutoff })
    }
}
