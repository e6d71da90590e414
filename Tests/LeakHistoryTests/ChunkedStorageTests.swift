import Foundation
import TestSupport
import SQLiteStore
import Testing
@testable import LeakHistory

/// Raw samples live in per-series chunks, each series' newest five-minute
/// slot as head rows: what is read back is what was written, historic writes re-encode
/// their hour, replays are still recognised, a damaged chunk is named, and
/// retention drops whole chunks.
@Suite("Chunked raw storage")
struct ChunkedStorageTests {
    static let t0: Int64 = 1_790_000_000_000 + 7_777
    static let hour: Int64 = 3_600_000

    /// Three and a half hours, 10 s apart: usage, a gauge moving by pages, a
    /// counted component with two events in some milliseconds, a restart at 2 h.
    static func history(source: String = "api") -> [IngestEvent] {
        var events: [IngestEvent] = []
        for step in 0..<1260 {
            let ts = t0 + Int64(step) * 10_000 + Int64(step % 7)
            if step == 720 { events.append(IngestEvent(source: source, tsMs: ts - 3, kind: .restart())) }
            events.append(IngestEvent(source: source, tsMs: ts, kind: .snapshot(usageBytes: 100 << 20 + Int64(step) * 40_960)))
            events.append(IngestEvent(source: source, tsMs: ts, kind: .gauge(component: "rss_anon", bytes: 60 << 20 + Int64(step % 50) * 4096)))
            events.append(IngestEvent(source: source, tsMs: ts, kind: .allocation(component: "cache", bytes: 65_536)))
            if step % 2 == 0 { events.append(IngestEvent(source: source, tsMs: ts, kind: .allocation(component: "cache", bytes: 4096))) }
            if step % 5 == 0 { events.append(IngestEvent(source: source, tsMs: ts, kind: .deallocation(component: "cache", bytes: 65_536))) }
        }
        return events
    }

    /// A file at `path` holding `history()`, written in one batch.
    static func writeHistory(to path: String) throws {
        let writer = try HistoryWriter(path: path)
        defer { try? writer.close() }
        try writer.ingest(history(), atomic: true)
    }

    static func count(_ path: String, _ sql: String) throws -> Int {
        let db = try Database(path: path)
        defer { try? db.close() }
        return try db.makeStatement(sql: sql).fetchOne { $0.int(0) } ?? -1
    }

    /// Every stored sample of the file, series by series, as text.
    static func contents(_ path: String) throws -> [String] {
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        var lines: [String] = []
        for source in try reader.sources() {
            lines += try reader.snapshots(source: source).map { "\(source) \($0.tsMs) \($0.runID) \($0.usageBytes)" }
            for component in try reader.components(source: source) {
                lines += try reader.componentSamples(source: source, component: component.name).map {
                    "\(source)/\(component.name) \($0.tsMs) \($0.runID) \($0.allocatedBytes) \(String(describing: $0.allocations)) \(String(describing: $0.deallocations))"
                }
            }
        }
        return lines
    }

    @Test("Every hour but each series' newest is sealed into chunks, and every sample reads back as written")
    func sealsAndReadsBack() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let chunked = dir.path("chunked.sqlite"), batched = dir.path("batched.sqlite")
        let events = Self.history()
        do {
            let writer = try HistoryWriter(path: chunked)
            defer { try? writer.close() }
            try writer.ingest(events, atomic: true)
        }
        // The same events in small batches: sealing as the hours pass gives the same samples.
        do {
            let slow = try HistoryWriter(path: batched)
            defer { try? slow.close() }
            for (i, start) in stride(from: 0, to: events.count, by: 97).enumerated() {
                try slow.ingest(Array(events[start..<min(events.count, start + 97)]), continuingInput: i > 0)
            }
        }

        let newest = Self.t0 + 1259 * 10_000 + 6
        let newestSlot = floor(newest, HistoryStore.sealSlotMs), newestHour = floor(newest, Self.hour)
        // Each hour that is over is one chunk a run (the restart at 2 h splits its hour).
        var closed = Set<[Int64]>()
        for step in 0..<1260 {
            let hourMs: Int64 = floor(Self.t0 + Int64(step) * 10_000 + Int64(step % 7), Self.hour)
            if hourMs < newestHour { closed.insert([hourMs, step >= 720 ? 1 : 0]) }
        }
        let hourRuns = closed.count
        for path in [chunked, batched] {
            // The head is the newest five-minute slot.
            #expect(try Self.count(path, "SELECT count(*) FROM component_sample WHERE ts_ms < \(newestSlot)") == 0)
            #expect(try Self.count(path, "SELECT count(*) FROM snapshot WHERE ts_ms < \(newestSlot)") == 0)
            #expect(try Self.count(path, "SELECT count(*) FROM snapshot WHERE ts_ms >= \(newestSlot)") >= 1)
            #expect(try Self.count(path, "SELECT count(*) FROM snapshot_chunk WHERE start_ms < \(newestHour)") == hourRuns)
            #expect(try Self.count(path, "SELECT count(*) FROM component_chunk WHERE start_ms < \(newestHour)") == 2 * hourRuns)
            // The open hour's older slots are chunks already.
            #expect(try Self.count(path, "SELECT count(*) FROM snapshot_chunk WHERE start_ms >= \(newestHour) AND end_ms < \(newestSlot)") >= 1)
            #expect(try Self.count(path, "SELECT count(DISTINCT run_id) FROM snapshot_chunk") == 2)
        }
        // Sealed a few minutes at a time then merged when each hour ended, or
        // all at once: the hours that are over are the same chunks, byte for byte.
        func closedHours(_ path: String) throws -> [String] {
            let db = try Database(path: path)
            defer { try? db.close() }
            return try db.makeStatement(sql: """
                SELECT 'c' || component_id, start_ms, end_ms, run_id, sample_count, hex(data), hex(slots) FROM component_chunk WHERE start_ms < ?1
                UNION ALL SELECT 's', start_ms, end_ms, run_id, sample_count, hex(data), hex(slots) FROM snapshot_chunk WHERE start_ms < ?1
                ORDER BY 1, 2
                """).fetchAll([newestHour]) { row in (0..<7).map { row.string($0) }.joined(separator: " ") }
        }
        #expect(try closedHours(batched) == (try closedHours(chunked)))
        #expect(try Self.count(batched, "SELECT count(*) FROM snapshot_chunk WHERE start_ms >= \(newestHour)") > 1)
        let read = try Self.contents(chunked)
        #expect(read == (try Self.contents(batched)))
        #expect(read.filter { $0.hasPrefix("api ") }.count == 1260)
        #expect(read.filter { $0.hasPrefix("api/rss_anon ") }.count == 1260)
        #expect(read.filter { $0.hasPrefix("api/cache ") }.count == 1260)

        let reader = try HistoryReader(path: chunked)
        defer { try? reader.close() }
        let cache = try reader.componentSamples(source: "api", component: "cache")
        // Cumulative within each run, from zero at the restart.
        func allocations(_ steps: Range<Int>) -> Int64 {
            var total: Int64 = 0
            for step in steps { total += step % 2 == 0 ? 2 : 1 }
            return total
        }
        #expect(cache[719].allocations == allocations(0..<720))
        #expect(cache[721].allocations == 3 && cache[721].deallocations == 1)
        #expect(cache.last!.allocations == allocations(720..<1260))
        #expect(try reader.counts().componentSamples == 2520)
        #expect(try reader.counts().snapshots == 1260)
    }

    @Test("A historic write into a sealed hour re-encodes that hour; a replay of sealed samples stores nothing; a second value at a sealed millisecond is refused")
    func historicWrites() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("h.sqlite")
        let writer = try HistoryWriter(path: path)
        defer { try? writer.close() }
        let events = Self.history()
        try writer.ingest(events, atomic: true)
        let chunksBefore = try Self.count(path, "SELECT count(*) FROM component_chunk")

        // A gauge sample between two sealed ones of the open run, an hour and more before its newest.
        let between = Self.t0 + 800 * 10_000 + 5_000
        let added = try writer.ingest([IngestEvent(source: "api", tsMs: between, kind: .gauge(component: "rss_anon", bytes: 1 << 30))])
        #expect(added.stored == 1 && added.rejected.isEmpty)
        #expect(try Self.count(path, "SELECT count(*) FROM component_chunk") == chunksBefore)
        #expect(try Self.count(path, "SELECT count(*) FROM component_sample WHERE ts_ms < \(between + 600_000)") == 0)
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let anon = try reader.componentSamples(source: "api", component: "rss_anon")
        #expect(anon.count == 1261)
        #expect(anon[801].tsMs == between && anon[801].allocatedBytes == 1 << 30)
        #expect(zip(anon, anon.dropFirst()).allSatisfy { $0.tsMs < $1.tsMs })

        // The whole history again: every event recognised, nothing stored.
        let replay = try writer.ingest(events)
        #expect(replay.stored == 0 && replay.alreadyStored == events.count && replay.rejected.isEmpty)
        // One millisecond holds one value: the stored one is kept.
        let conflict = try writer.ingest([IngestEvent(source: "api", tsMs: Self.t0 + 10_001, kind: .gauge(component: "rss_anon", bytes: 5))])
        #expect(conflict.rejected.first?.message.contains("already stored") == true)
        #expect(try reader.componentSamples(source: "api", component: "rss_anon", fromMs: Self.t0 + 10_001, toMs: Self.t0 + 10_001)
                    .map(\.allocatedBytes) == [60 << 20 + 4096])
    }

    @Test("A damaged chunk is an error naming its series and time, and the rest of the file still reads")
    func damagedChunk() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("d.sqlite")
        try Self.writeHistory(to: path)
        let db = try Database(path: path)
        let start = try db.makeStatement(sql: """
            SELECT k.start_ms FROM component_chunk k JOIN component c ON c.id = k.component_id
            WHERE c.name = 'rss_anon' ORDER BY k.start_ms LIMIT 1 OFFSET 1
            """).fetchOne { $0.int64(0) }!
        try db.makeStatement(sql: """
            UPDATE component_chunk SET data = substr(data, 1, length(data) - 1)
            WHERE start_ms = ?1 AND component_id = (SELECT id FROM component WHERE name = 'rss_anon')
            """).execute([start])
        try db.close()

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let error = try #require(throws: StoredChunkCorruption.self) {
            try reader.componentSamples(source: "api", component: "rss_anon")
        }
        #expect(error.description.contains("component 'rss_anon' of source 'api'"))
        #expect(error.description.contains("ts_ms \(start)"))
        #expect(error.description.contains(TimestampText.iso(start)))
        #expect(try reader.componentSamples(source: "api", component: "cache").count == 1260)
        #expect(try reader.componentSamples(source: "api", component: "rss_anon", fromMs: start + Self.hour).count > 0)

        let cli = try CLI.run(["report", "--db", path, "--source", "api", "--from", "\(Self.t0)", "--to", "\(Self.t0 + 4 * Self.hour)"])
        #expect(cli.status != 0)
        #expect(cli.stderr.contains("component 'rss_anon' of source 'api'"), "\(cli.stderr)")
    }

    @Test("Retention drops whole chunks: the one that straddles the cutoff stays, and the counts add up")
    func pruneByChunks() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("p.sqlite")
        let writer = try HistoryWriter(path: path)
        defer { try? writer.close() }
        try writer.ingest(Self.history(), atomic: true)
        var policy = RetentionPolicy()
        policy.rawMs = RetentionPolicy.hour
        try writer.setRetentionPolicy(policy)
        let now = Self.t0 + 3 * Self.hour + 30 * 60_000
        let cutoff = now - Self.hour
        let before = try Self.contents(path)
        let result = try writer.prune(nowMs: now)
        let after = try Self.contents(path)
        #expect(result.snapshotsDeleted + result.componentSamplesDeleted == before.count - after.count)
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let kept = try reader.snapshots(source: "api")
        // Everything from the cutoff on is kept; before it, only the rest of the chunk that holds the cutoff.
        #expect(kept.filter { $0.tsMs >= cutoff }.count == before.filter { $0.hasPrefix("api ") }.count { Int64($0.split(separator: " ")[1])! >= cutoff })
        #expect(kept.first!.tsMs >= floor(cutoff, Self.hour))
        #expect(kept.first!.tsMs < cutoff)
        // The finished hours are sealed, only the current hour is left as rows.
        #expect(try Self.count(path, "SELECT count(*) FROM snapshot WHERE ts_ms < \(floor(now, Self.hour))") == 0)
    }
}
