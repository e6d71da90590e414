import Foundation
import TestSupport
import Testing
@testable import LeakHistoryAnalysis

/// The floor screen is a proof: whatever it passes, the full analysis
/// rejects too, and no suffix of what it passes has a Theil–Sen growth at
/// the floor.
@Suite struct FloorScreenTests {
    static let MiB = 1_048_576.0

    @Test func noSuffixOfAScreenedSeriesGrowsTheFloor() {
        var rng = SeededRandom(state: 9)
        var screened = 0
        for trial in 0..<300 {
            let n = 12 + rng.below(230)
            let spread = rng.uniform(0.05...0.45) * Self.MiB
            var t = 0.0
            var times: [Double] = [], values: [Double] = []
            for i in 0..<n {
                t += trial % 3 == 0 ? rng.uniform(1_000...60_000).rounded() : 10_000
                times.append(t)
                // Noise, a ramp or a step, each within `spread`.
                let x = Double(i) / Double(n - 1)
                let shape = trial % 4 == 0 ? x : (trial % 4 == 1 ? (x > 0.8 ? 1 : 0) : rng.uniform())
                values.append((shape * spread).rounded())
            }
            guard let range = FloorScreen.rangeBelowFloor(times: times, values: values, floor: Self.MiB) else { continue }
            screened += 1
            #expect(range <= spread.rounded() + 1)
            for start in 0..<(n - 1) {
                let slope = TheilSen.fullMedian(Array(times[start...]), Array(values[start...]))
                #expect(slope * (times[n - 1] - times[start]) < Self.MiB, "trial \(trial) suffix \(start)")
            }
        }
        #expect(screened >= 150, "screened \(screened) of 300")
    }

    @Test func aRangeOfTheFloorOrMoreIsNeverScreened() {
        let times = (0..<100).map { Double($0) * 10_000 }
        #expect(FloorScreen.rangeBelowFloor(times: times, values: times.map { $0 / 990_000 * Self.MiB }, floor: Self.MiB) == nil)
        // A quarter of the floor on an even grid is screened; a narrow spike between far samples too.
        #expect(FloorScreen.rangeBelowFloor(times: times, values: times.map { $0 / 990_000 * Self.MiB / 4 }, floor: Self.MiB) != nil)
    }

    @Test func aScreenedComponentIsRejectedByTheFullAnalysisToo() {
        var rng = SeededRandom(state: 5)
        var config = LeakDetectionConfig()
        config.trendMinSamples = 10
        var full = TrendAnalyzer(config: config)
        full.subject = "held bytes"
        var screening = full
        screening.screensBelowFloor = true
        var screened = 0
        for trial in 0..<200 {
            let n = 60 + rng.below(600)
            let spread = rng.uniform(0.1...1.5) * Self.MiB
            let points = (0..<n).map { i in
                let ramp = trial % 2 == 0 ? Double(i) / Double(n) * spread : rng.uniform() * spread
                return TrendPoint(tMs: 1_764_000_000_000 + Int64(i) * 10_000 + Int64(rng.below(16)),
                                  bytes: 64 << 20 + Int64(ramp / 4096) * 4096)
            }
            let series = MemorySeries(points: points, stepwise: true, endMs: points.last!.tMs, observedSamples: n)
            let quick = screening.verdict(for: series), slow = full.verdict(for: series)
            if quick.checks.last?.figures["range_bytes"] != nil {
                screened += 1
                #expect(quick.rejectedBy == .growthFloor)
                #expect(!slow.isLeaking, "trial \(trial): \(slow.explanation)")
            } else {
                #expect(quick == slow, "trial \(trial)")
            }
        }
        #expect(screened >= 25, "screened \(screened) of 200")
    }
}
