import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// A report reads the chunks and head rows of all its components in two
/// statements (`storedComponentPoints`): what it decodes must be what
/// reading each component on its own gives, for any window, with another
/// source's components in the same tables.
@Suite struct ComponentsReadInOneStatementTests {
    @Test func theComponentsOfASourceReadTogetherAreWhatEachReadsAlone() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("two.sqlite")
        let writer = try HistoryWriter(path: path)
        // Two sources, the second a few minutes behind, in batches so the open hour has slot chunks and head rows.
        let events = ChunkedStorageTests.history(source: "api")
            + ChunkedStorageTests.history(source: "web").map { var e = $0; e.tsMs += 170_000; return e }
        for batch in stride(from: 0, to: events.count, by: 1_500) {
            try writer.ingest(Array(events[batch..<min(events.count, batch + 1_500)]), atomic: true)
        }
        try writer.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let store = reader.store
        var rng = SeededRandom(state: 3)
        let t0 = ChunkedStorageTests.t0, span: Int64 = 1260 * 10_000 + 170_000
        for source in ["api", "web"] {
            let sourceID = try #require(try store.sourceID(named: source, create: false, nowMs: 0))
            let ids = try store.components(sourceID: sourceID).map(\.id)
            #expect(ids.count == 2)
            var windows: [(Int64, Int64)] = [(t0, t0 + span), (t0 + span - 200_000, t0 + span), (t0 + span + 1, t0 + span + 9)]
            for _ in 0..<30 {
                let from = t0 + Int64(rng.below(Int(span)))
                windows.append((from, from + Int64(rng.below(3 * 3_600_000))))
            }
            for (from, to) in windows {
                let together = try store.points(store.storedComponentPoints(sourceID: sourceID, componentIDs: ids, fromMs: from, toMs: to))
                let alone = try ids.map { try store.rawPoints(.component($0), fromMs: from, toMs: to) }
                #expect(together == alone, "\(source) [\(from), \(to)]")
                #expect(alone.contains { !$0.isEmpty } || to > t0 + span, "the window [\(from), \(to)] reads samples")
            }
        }
    }
}
