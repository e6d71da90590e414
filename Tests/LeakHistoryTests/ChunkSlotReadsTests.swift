import Foundation
import TestSupport
import SQLiteStore
import Testing
@testable import LeakHistory

/// Windows read in buckets of whole five-minute slots take the chunks' slot
/// summaries and say what folding the raw samples says; a chunk without one
/// (an older file's, a sparse one's, one whose hour holds an unsealed row) is
/// decoded instead; a damaged summary is named like a damaged chunk; and a
/// file of schema 6 gains its summaries in place.
@Suite("Slot summaries in reads")
struct ChunkSlotReadsTests {
    let hour = RetentionPolicy.hour

    /// Every series of `path`: the usage of each source and each component.
    static func allSeries(_ store: HistoryStore) throws -> [SeriesID] {
        var series: [SeriesID] = []
        for source in try store.sources() {
            series.append(.usage(sourceID: source.id))
            series += try store.components(sourceID: source.id).map { .component($0.id) }
        }
        return series
    }

    /// Whether `buckets` over `window` agree with the fold of the raw samples there, figure by figure (sums to their rounding).
    static func expectFolds(_ store: HistoryStore, _ series: SeriesID, window: TimeWindow, bucketMs: Int64,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let read = try store.buckets(series, window: window, bucketMs: bucketMs)
        let folded = RollupBucket.fold(try store.rawSamples(series, fromMs: window.fromMs, toMs: window.toMs), bucketMs: bucketMs)
        #expect(read.count == folded.count, "\(series) \(bucketMs / 60_000) min over \(window.fromMs)…\(window.toMs)", sourceLocation: sourceLocation)
        for (a, b) in zip(read, folded) where !ChunkSlotsCodecTests.same(a, b) {
            Issue.record("\(series) \(bucketMs / 60_000) min: read \(a), folded \(b)", sourceLocation: sourceLocation)
            return
        }
    }

    @Test("Random windows in 5, 10, 15 and 30 minute buckets: read from the slots, the same as the folds of the samples; with the slots removed, decoded to the same")
    func slotsReadAsFolds() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("s.sqlite")
        try ChunkedStorageTests.writeHistory(to: path)
        #expect(try ChunkedStorageTests.count(path, "SELECT count(*) FROM component_chunk WHERE slots IS NOT NULL") >= 6)
        #expect(try ChunkedStorageTests.count(path, "SELECT count(*) FROM snapshot_chunk WHERE slots IS NOT NULL") >= 3)
        var rng = SeededRandom(state: 77)
        let t0 = ChunkedStorageTests.t0, end = t0 + 1260 * 10_000
        var windows = [try TimeWindow(fromMs: t0 - hour, toMs: end + hour)]
        for _ in 0..<12 {
            let from = Int64.random(in: (t0 - 600_000)...(end - 600_000), using: &rng)
            windows.append(try TimeWindow(fromMs: from, toMs: Int64.random(in: (from + 1)...(end + 600_000), using: &rng)))
        }
        for removed in [false, true] {
            if removed {
                let db = try Database(path: path)
                try db.execute(sql: "UPDATE component_chunk SET slots = NULL; UPDATE snapshot_chunk SET slots = NULL;")
                try db.close()
            }
            let reader = try HistoryReader(path: path)
            defer { try? reader.close() }
            for series in try Self.allSeries(reader.store) {
                // No head row among the chunks: the slots are what is read.
                #expect(try reader.store.slotBuckets(series, fromMs: windows[0].fromMs, toMs: windows[0].toMs, bucketMs: 300_000) != nil)
                for window in windows {
                    for bucket: Int64 in [300_000, 600_000, 900_000, 1_800_000] {
                        try Self.expectFolds(reader.store, series, window: window, bucketMs: bucket)
                    }
                }
            }
        }
    }

    @Test("A row written into a sealed hour and not yet sealed (another writer's, mid-way) supersedes the chunk's sample there: read sample by sample")
    func unsealedRowAmongChunks() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("u.sqlite")
        try ChunkedStorageTests.writeHistory(to: path)
        // A head row at a sealed sample's millisecond, an hour before the newest: as a writer leaves it before sealing.
        let sealedMs = ChunkedStorageTests.t0 + 400 * 10_000 + 400 % 7
        let db = try Database(path: path)
        try db.makeStatement(sql: """
            INSERT INTO component_sample (component_id, ts_ms, run_id, allocated_bytes)
            SELECT k.component_id, ?1, k.run_id, 1 << 30 FROM component_chunk k JOIN component c ON c.id = k.component_id
            WHERE c.name = 'rss_anon' AND ?1 BETWEEN k.start_ms AND k.end_ms
            """).execute([sealedMs])
        try db.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let source = try #require(try reader.store.sourceID(named: "api", create: false, nowMs: 0))
        let anon = try #require(try reader.store.components(sourceID: source).first { $0.name == "rss_anon" })
        let window = try TimeWindow(fromMs: ChunkedStorageTests.t0, toMs: ChunkedStorageTests.t0 + 4 * hour)
        #expect(try reader.store.slotBuckets(.component(anon.id), fromMs: window.fromMs, toMs: window.toMs, bucketMs: 300_000) == nil)
        try Self.expectFolds(reader.store, .component(anon.id), window: window, bucketMs: 300_000)
        let buckets = try reader.store.buckets(.component(anon.id), window: window, bucketMs: 300_000)
        #expect(buckets.contains { $0.maxBytes == 1 << 30 })
    }

    @Test("A damaged slot summary is an error naming its series and time; the samples themselves still read")
    func damagedSummary() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("d.sqlite")
        try ChunkedStorageTests.writeHistory(to: path)
        let db = try Database(path: path)
        let start = try #require(try db.makeStatement(sql: """
            SELECT k.start_ms FROM component_chunk k JOIN component c ON c.id = k.component_id
            WHERE c.name = 'rss_anon' AND k.slots IS NOT NULL ORDER BY k.start_ms LIMIT 1 OFFSET 1
            """).fetchOne { $0.int64(0) })
        try db.makeStatement(sql: """
            UPDATE component_chunk SET slots = CAST(substr(slots, 1, 3) || x'FF' || substr(slots, 5) AS BLOB)
            WHERE start_ms = ?1 AND component_id = (SELECT id FROM component WHERE name = 'rss_anon')
            """).execute([start])
        try db.close()

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let source = try #require(try reader.store.sourceID(named: "api", create: false, nowMs: 0))
        let anon = try #require(try reader.store.components(sourceID: source).first { $0.name == "rss_anon" })
        let window = try TimeWindow(fromMs: start - hour, toMs: start + 2 * hour)
        let error = try #require(throws: StoredChunkCorruption.self) {
            try reader.store.buckets(.component(anon.id), window: window, bucketMs: 900_000)
        }
        #expect(error.description.contains("component 'rss_anon' of source 'api'"))
        #expect(error.description.contains("ts_ms \(start)"))
        #expect(error.description.contains("slot summary"))
        #expect(try reader.componentSamples(source: "api", component: "rss_anon").count == 1260)
    }

    /// `Fixtures/schema6.leak-history` was written by `leak-history ingest` of
    /// the release at schema 6 (commit 76f38a5): 4,208 events over three hours
    /// and more, two sources, a gauge and a counted component, a restart with
    /// a version, a baseline; `schema6-components.csv` and
    /// `schema6-snapshots.csv` are that release's `export --csv` of it.
    @Test("A file of schema 6 migrates in place: every chunk dense enough gains its summary once, reads agree with the samples, the CSV export is the old release's byte for byte")
    func schemaSixGainsSummaries() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try SchemaThreeFileMigratesInPlaceTests.copyOfFixture(schema: 6, in: dir)
        #expect(try ChunkedStorageTests.count(path, "PRAGMA user_version") == 6)
        let chunks = try ChunkedStorageTests.count(path, "SELECT (SELECT count(*) FROM component_chunk) + (SELECT count(*) FROM snapshot_chunk)")
        try SchemaThreeFileMigratesInPlaceTests.expectExportsOfRelease(schema: 6, path)
        #expect(try ChunkedStorageTests.count(path, "PRAGMA user_version") == EmbeddedMigrations.all.count)
        #expect(try ChunkedStorageTests.count(path, "SELECT (SELECT count(*) FROM component_chunk) + (SELECT count(*) FROM snapshot_chunk)") == chunks)
        // An hour's chunk of 24 samples or more has at least two a slot, so it has a summary.
        #expect(try ChunkedStorageTests.count(path, "SELECT count(*) FROM component_chunk WHERE slots IS NOT NULL") >= 4)
        #expect(try ChunkedStorageTests.count(path, "SELECT count(*) FROM snapshot_chunk WHERE slots IS NOT NULL") >= 4)
        #expect(try ChunkedStorageTests.count(path, """
            SELECT (SELECT count(*) FROM component_chunk WHERE slots IS NULL AND sample_count >= 24)
                 + (SELECT count(*) FROM snapshot_chunk WHERE slots IS NULL AND sample_count >= 24)
            """) == 0)
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let everything = try TimeWindow(fromMs: 0, toMs: 4_000_000_000_000)
        for series in try Self.allSeries(reader.store) {
            for bucket: Int64 in [300_000, 900_000] {
                try Self.expectFolds(reader.store, series, window: everything, bucketMs: bucket)
            }
        }
        let db = try Database(path: path)
        #expect(try db.makeStatement(sql: "PRAGMA integrity_check").fetchOne { $0.string(0) } == "ok")
        #expect(try db.makeStatement(sql: "SELECT value FROM setting WHERE key = 'storage.slots'").fetchOne { $0.int(0) } == 1)
        try db.close()
    }
}
