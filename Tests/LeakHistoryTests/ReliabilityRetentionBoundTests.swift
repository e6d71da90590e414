import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// SPEC §5/§7: a leak detector must not leak disk. A recorder writing
/// 1-second samples of 50 components under a retention policy reaches a
/// steady file size: raw rows past their retention are pruned every hour and
/// their pages reused. Scaled down (raw retention 1 h, 4 simulated hours =
/// 720,000 samples) so it runs in `swift test`; RELIABILITY.md gives the
/// figures for a week.
@Suite("Reliability: bounded disk")
struct ReliabilityRetentionBoundTests {
    static func fileBytes(_ path: String) -> Int64 {
        [path, path + "-wal"].reduce(0) { total, p in
            total + ((try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int64) ?? 0)
        }
    }

    @Test("1-second samples of 50 components: the file stops growing once retention applies")
    func steadyFileSize() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("bounded.sqlite")
        let writer = try HistoryWriter(path: path)
        defer { try? writer.close() }
        var policy = RetentionPolicy()
        policy.rawMs = RetentionPolicy.hour
        policy.minuteMs = RetentionPolicy.day
        try writer.setRetentionPolicy(policy)

        // Four simulated hours, ingested a minute at a time, pruned every hour as a recorder would.
        let t0: Int64 = 1_790_000_000_000
        var sizes: [Int64] = []
        for hour in 0..<4 {
            for minute in 0..<60 {
                var events: [IngestEvent] = []
                events.reserveCapacity(3_000)
                for second in 0..<60 {
                    let ts = t0 + Int64((hour * 60 + minute) * 60 + second) * 1000
                    for c in 0..<50 {
                        events.append(IngestEvent(source: "svc", tsMs: ts,
                                                  kind: .gauge(component: "component-\(c)", bytes: Int64(1 << 20 + (second * 7 + c) % 4096))))
                    }
                }
                try writer.ingest(events, atomic: true)
            }
            _ = try writer.prune(nowMs: t0 + Int64(hour + 1) * RetentionPolicy.hour)
            sizes.append(Self.fileBytes(path))
        }
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let counts = try reader.counts()
        print("bounded disk: file after each hourly prune \(sizes.map { String(format: "%.1f MB", Double($0) / 1_048_576) }), raw samples held \(counts.componentSamples), rollup rows \(counts.rollupRows)")
        // One hour of raw samples is held after a prune, and the rest of the
        // chunk that holds the cutoff (retention drops whole chunks).
        #expect(counts.componentSamples >= 3600 * 50)
        #expect(counts.componentSamples <= (3600 + HistoryStore.maxSamplesPerChunk) * 50)
        // Steady state from the second prune on: freed pages are reused, and the
        // file grows only by the minute rollups the pruned hour becomes (kept a
        // day here): at most 100 bytes a minute a component.
        #expect(sizes[3] - sizes[2] <= 50 * 60 * 100)
        #expect(sizes[2] - sizes[1] <= 50 * 60 * 100)
        // The stated bound: 48 bytes per raw sample held between prunes (2 h × 50 components) plus 4 MiB for rollups and the WAL.
        #expect(sizes[3] <= Int64(2 * 3600 * 50 * 48) + 4 * 1_048_576)
    }
}
