import TestSupport
import Testing
@testable import LeakHistory

/// A source with component samples but no snapshots gets its usage as the sum
/// of its components' latest values. The merge must match the plain
/// definition: every sample of every component in time order (ties by
/// component), a running sum, one point per timestamp, reset at each new run.
@Suite("Summed usage")
struct SummedUsageTests {
    /// The definition, written the slow way.
    static func reference(_ series: [[SeriesPoint]]) -> [SeriesPoint] {
        var events: [(component: Int, point: SeriesPoint)] = []
        for (component, points) in series.enumerated() {
            for p in points { events.append((component, p)) }
        }
        events.sort { ($0.point.tsMs, $0.component) < ($1.point.tsMs, $1.component) }
        var current: [Int: Int64] = [:]
        var run: Int64?
        var result: [SeriesPoint] = []
        for (component, p) in events {
            if p.runID != run { current = [:]; run = p.runID }
            current[component] = p.bytes
            let total = current.values.reduce(0, +)
            if let last = result.last, last.tsMs == p.tsMs {
                result[result.count - 1].bytes = total
            } else {
                result.append(SeriesPoint(tsMs: p.tsMs, bytes: total, runID: p.runID))
            }
        }
        return result
    }

    @Test("the merge equals the definition on random series with shared timestamps and restarts")
    func mergeMatchesDefinition() {
        var rng = SeededRandom(state: 0x5EED)
        for round in 0..<200 {
            let components = Int(rng.next() % 6) + 1
            var series: [[SeriesPoint]] = []
            for _ in 0..<components {
                var ts = Int64(rng.next() % 5)
                var run: Int64 = 1
                var points: [SeriesPoint] = []
                for _ in 0..<Int(rng.next() % 30) {
                    ts += Int64(rng.next() % 3)  // repeats a timestamp now and then
                    if rng.next() % 25 == 0 { run += 1 }
                    points.append(SeriesPoint(tsMs: ts, bytes: Int64(rng.next() % 1000), runID: run))
                }
                series.append(points)
            }
            // Runs are global to a source: make every series agree on when the run changes.
            let restarts = series.flatMap { $0 }.filter { $0.runID > 1 }.map(\.tsMs).min()
            if let restarts {
                series = series.map { $0.map { p in var p = p; p.runID = p.tsMs >= restarts ? 2 : 1; return p } }
            }
            #expect(HistoryReader.summedUsage(series) == Self.reference(series), "round \(round)")
        }
    }
}
