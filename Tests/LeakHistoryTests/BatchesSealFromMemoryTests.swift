import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// A batch's samples that follow everything stored are sealed into chunks
/// straight from memory, and only the newest slot's are written as head rows.
/// Whatever the batches hold (several events in a millisecond, gauges out of
/// order within a batch and hours late across batches, replays of stored and
/// of not yet written samples, restarts, baselines taken from a usage not yet
/// written, a second writer running ahead on the same series), the file is
/// the same, table for table and byte for byte, as when every sample is
/// written as a head row first and sealed from there, as before.
@Suite("Batches seal from memory")
struct BatchesSealFromMemoryTests {
    static let t0: Int64 = 1_790_000_000_000 + 4_321

    /// Writer A's batches of three hours of source "api" and of the first
    /// half of each step of source "db"; writer B's batches of "db" 5 ms
    /// later in each step, running ahead of A's.
    static func batches(seed: UInt64) -> [(writer: Int, events: [IngestEvent])] {
        var rng = SeededRandom(state: seed)
        var api: [IngestEvent] = [], dbA: [IngestEvent] = [], dbB: [IngestEvent] = []
        let steps = 1080
        for step in 0..<steps {
            let ts = t0 + Int64(step) * 10_000 + Int64(rng.below(4))
            if step == 500 { api.append(IngestEvent(source: "api", tsMs: ts - 2, kind: .restart(try! RunDeployment(version: "2.1")))) }
            api.append(IngestEvent(source: "api", tsMs: ts, kind: .snapshot(usageBytes: 200 << 20 + Int64(step) * 8192 + Int64(rng.below(64)) * 4096)))
            api.append(IngestEvent(source: "api", tsMs: ts, kind: .gauge(component: "heap", bytes: 50 << 20 + Int64(rng.below(500)) * 4096)))
            for _ in 0..<(1 + rng.below(3)) { api.append(IngestEvent(source: "api", tsMs: ts, kind: .allocation(component: "cache", bytes: 4096 * Int64(1 + rng.below(8))))) }
            if rng.below(3) == 0 { api.append(IngestEvent(source: "api", tsMs: ts, kind: .deallocation(component: "cache", bytes: 4096))) }
            if step == 400 { api.append(IngestEvent(source: "api", tsMs: ts + 1, kind: .baseline(usageBytes: nil))) }
            if step == 820 { api.append(IngestEvent(source: "api", tsMs: ts + 1, kind: .baseline(usageBytes: 300 << 20))) }
            dbA.append(IngestEvent(source: "db", tsMs: ts, kind: .snapshot(usageBytes: 80 << 20 + Int64(rng.below(100)) * 4096)))
            dbB.append(IngestEvent(source: "db", tsMs: ts + 5, kind: .snapshot(usageBytes: 81 << 20 + Int64(rng.below(100)) * 4096)))
            dbB.append(IngestEvent(source: "db", tsMs: ts + 5, kind: .gauge(component: "pool", bytes: 9 << 20 + Int64(step) * 1024)))
        }
        // Some snapshots and gauges held back: sent a batch or many later.
        var late: [IngestEvent] = []
        api.removeAll { event in
            switch event.kind {
            case .snapshot, .gauge: guard rng.below(25) == 0 else { return false }
            default: return false
            }
            late.append(event)
            return true
        }
        var out: [(writer: Int, events: [IngestEvent])] = []
        var sent: [IngestEvent] = []
        var (a, b, d) = (0, 0, 0)
        while a < api.count || d < dbA.count || b < dbB.count {
            let size = 1 + rng.below(rng.below(3) == 0 ? 40 : 900)
            var batch = Array(api[a..<min(api.count, a + size)])
            a += batch.count
            let dbSteps = max(1, size / 4)
            batch += dbA[d..<min(dbA.count, d + dbSteps)]
            d = min(dbA.count, d + dbSteps)
            // A gauge or snapshot of the batch moved behind later ones: out of order within the batch.
            if batch.count > 10, rng.below(2) == 0 {
                let from = rng.below(batch.count / 2)
                switch batch[from].kind {
                case .gauge, .snapshot: batch.append(batch.remove(at: from))
                default: break
                }
            }
            // Replays: of a sample this batch wrote a moment ago, and of one stored long since.
            if let gauge = batch.last(where: { if case .gauge = $0.kind { true } else { false } }), rng.below(3) == 0 { batch.append(gauge) }
            if !sent.isEmpty, rng.below(3) == 0 {
                let old = sent[rng.below(sent.count)]
                if case .snapshot = old.kind { batch.append(old) }
            }
            if !late.isEmpty, rng.below(4) == 0 {
                let count = min(late.count, 1 + rng.below(20))
                batch += late.prefix(count)
                late.removeFirst(count)
            }
            sent += batch
            out.append((0, batch))
            // B runs some steps ahead of A on "db".
            let bSteps = 2 * (dbSteps + rng.below(30))
            if b < dbB.count {
                out.append((1, Array(dbB[b..<min(dbB.count, b + bSteps)])))
                b = min(dbB.count, b + bSteps)
            }
        }
        if !late.isEmpty { out.append((0, late)) }
        return out
    }

    @Test("The file is the same, table for table, as when every sample is written as a head row first", arguments: [1, 2, 3, 4] as [UInt64])
    func sameFileAsThroughHeadRows(seed: UInt64) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let batches = Self.batches(seed: seed)
        var results: [[IngestResult]] = []
        for fromMemory in [true, false] {
            let path = dir.path("\(fromMemory).sqlite")
            let writers = try [HistoryWriter(path: path), HistoryWriter(path: path)]
            for writer in writers { writer.sealsFromMemory = fromMemory }
            var seen = [false, false]
            results.append(try batches.map { batch in
                defer { seen[batch.writer] = true }
                return try writers[batch.writer].ingest(batch.events, continuingInput: seen[batch.writer])
            })
            for writer in writers { try writer.close() }
        }
        #expect(results[0] == results[1])
        // Nothing refused: every path above ran, none stopped at an error.
        #expect(results[0].allSatisfy { $0.rejected.isEmpty }, "\(results[0].flatMap(\.rejected).prefix(3))")
        #expect(results[0].map(\.alreadyStored).reduce(0, +) > 0)
        // A chunk's row id numbers the order a batch's series were sealed in, which is a dictionary's.
        func chunkID(_ table: String, _ column: String) -> Bool { table.hasSuffix("_chunk") && column == "id" }
        let fromMemory = try tableRows(of: dir.path("true.sqlite"), leavingOut: chunkID)
        let throughRows = try tableRows(of: dir.path("false.sqlite"), leavingOut: chunkID)
        #expect(fromMemory.keys.sorted() == throughRows.keys.sorted())
        for table in throughRows.keys.sorted() {
            let m = fromMemory[table] ?? [], r = throughRows[table] ?? []
            let first = (0..<min(m.count, r.count)).first { m[$0] != r[$0] } ?? min(m.count, r.count)
            #expect(m == r, "table \(table) differs: \(m.count) vs \(r.count) rows, first at \(first): \(m.dropFirst(first).first.map { String($0.prefix(150)) } ?? "-") / \(r.dropFirst(first).first.map { String($0.prefix(150)) } ?? "-")")
        }
        // The file holds what was sent: each stored series whole, sealed into chunks but its newest slot.
        #expect(throughRows["component_chunk"]!.count > 20 && throughRows["snapshot_chunk"]!.count > 10)
        #expect(throughRows["baseline"]!.count == 2)
        let reader = try HistoryReader(path: dir.path("true.sqlite"))
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "api").count == 1080)
        #expect(try reader.snapshots(source: "db").count == 2160)
        #expect(try reader.componentSamples(source: "api", component: "cache").count == 1080)
    }
}
