import Foundation
import TestSupport
import Testing
@testable import LeakHistoryAnalysis

/// The bracketed Theil–Sen slope is the full one, bit for bit: the same
/// median of the same pair slopes, whatever the data.
@Suite struct TheilSenBracketTests {
    @Test func theBracketedMedianIsTheFullMedianOnEveryKindOfSeries() {
        var rng = SeededRandom(state: 42)
        var bracketed = 0
        for trial in 0..<400 {
            let n = 96 + rng.below(700)
            var times: [Double] = [], values: [Double] = []
            var t = 1_764_000_000_000.0
            let kind = trial % 5
            for i in 0..<n {
                // Even or jittered steps, and now and then two samples at the same time.
                t += kind == 3 && rng.below(10) == 0 ? 0 : 10_000 + (kind == 1 ? rng.uniform(-50...50).rounded() : 0)
                times.append(t)
                switch kind {
                case 0: values.append((300 * 1_048_576 + rng.gaussian() * 1_000_000).rounded())
                case 1: values.append((Double(i) * 4096 + rng.gaussian() * 50_000).rounded())
                case 2: values.append(Double(rng.below(4)) * 4096)   // many equal values and slopes
                case 3: values.append(Double(i % 7) * 1_048_576 + rng.gaussian() * 10)
                default: values.append(i % 50 == 0 ? 1e12 : (Double(i) * -3000 + rng.gaussian() * 8000).rounded())
                }
            }
            let full = TheilSen.fullMedian(times, values)
            let fast = TheilSen.slope(times: times[...], values: values[...])
            if TheilSen.bracketedMedian(times, values) != nil { bracketed += 1 }
            #expect(fast == full, "trial \(trial), kind \(kind), n \(n): \(fast) vs \(full)")
        }
        // The bracket is what runs, not the fallback.
        #expect(bracketed >= 300, "bracketed \(bracketed) of 400")
    }

    /// A leak under a periodic wobble (a collector's cycle of a few samples,
    /// here 5 to 40): an even stride through the pairs falls in step with
    /// the period and samples its slopes unfairly, so the bracket missed the
    /// median and the exact sort of every pair ran. Pairs drawn at random do not.
    @Test func theBracketHoldsTheMedianUnderAPeriodicWobble() {
        var rng = SeededRandom(state: 7)
        var bracketed = 0
        for trial in 0..<60 {
            let n = [120, 240, 360, 600][trial % 4]
            let period = 5 + rng.below(36)
            let rate = Double(200 + rng.below(800))
            var times: [Double] = [], values: [Double] = []
            var t = 1_790_000_000_000.0
            for i in 0..<n {
                t += 10_000 + Double(rng.below(16))
                times.append(t)
                values.append(8_000_000 + Double(i) * rate + Double(i % period) * 40_960)
            }
            if let fast = TheilSen.bracketedMedian(times, values) {
                bracketed += 1
                #expect(fast == TheilSen.fullMedian(times, values))
            }
        }
        #expect(bracketed == 60, "bracketed \(bracketed) of 60")
    }

    /// The merge-sort path, on its own: where it answers, the full median; it
    /// answers for nearly every series, and declines where ties or equal
    /// times sit at the bracket's edge rather than guess.
    @Test func theInversionMedianIsTheFullMedianWhereItAnswers() {
        var rng = SeededRandom(state: 99)
        var answered = 0
        for trial in 0..<300 {
            let n = 2 + rng.below(500)
            var times: [Double] = [], values: [Double] = []
            var t = 1_790_000_000_000.0
            for i in 0..<n {
                t += trial % 6 == 5 && rng.below(4) == 0 ? 0 : Double(1 + rng.below(20_000))
                times.append(t)
                values.append(trial % 3 == 0 ? Double(rng.below(5)) * 4096 : (Double(i) * 700 + rng.gaussian() * 200_000).rounded())
            }
            let full = TheilSen.fullMedian(times, values)
            // A bracket around the true median, of random width.
            let width = abs(full) * 0.1 + 1e-3 * Double(1 + rng.below(100))
            if let fast = TheilSen.inversionMedian(times, values, lo: full - width * rng.uniform(0.01...1), hi: full + width * rng.uniform(0.01...1)) {
                answered += 1
                #expect(fast == full, "trial \(trial), n \(n): \(fast) vs \(full)")
            }
            // A bracket that misses it is refused, never answered wrongly.
            #expect(TheilSen.inversionMedian(times, values, lo: full + width, hi: full + 2 * width) == nil || n < 3)
        }
        #expect(answered >= 150, "answered \(answered) of 300")
    }

    @Test func timesOutOfOrderFallBackToTheFullMedian() {
        let times = (0..<200).map { Double((($0 * 37) % 200) * 1000) }
        let values = times.map { $0 * 0.5 + ($0.truncatingRemainder(dividingBy: 3000)) }
        #expect(TheilSen.bracketedMedian(times, values) == nil)
        #expect(TheilSen.slope(times: times[...], values: values[...]) == TheilSen.fullMedian(times, values))
    }
}
