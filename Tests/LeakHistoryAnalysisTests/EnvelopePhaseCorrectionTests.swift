import Foundation
import TestSupport
import Testing
@testable import LeakHistoryAnalysis

/// The lower envelope of a sawtooth: troughs moved to their fall instants when
/// the falls keep a period, raw troughs when they do not.
@Suite struct EnvelopePhaseCorrectionTests {
    static let MiB = 1_048_576.0

    /// Usage sampled every `stepSecs` for `minutes`: `base` + a leak of
    /// `leakMBPerHour` + a tooth of `amplitudeMB` every `periodSecs` (each
    /// period drawn from `periodJitter` around it when non-zero) + noise.
    static func series(stepSecs: Double, minutes: Double, periodSecs: Double, amplitudeMB: Double,
                       leakMBPerHour: Double, noiseMB: Double, periodJitter: Double = 0, seed: UInt64)
        -> (times: [Double], values: [Double], trough: (Double) -> Double) {
        var rng = SeededRandom(state: seed)
        // Fall instants: regular, or each period drawn afresh.
        var falls: [Double] = [rng.uniform(0...periodSecs)]
        while falls.last! < minutes * 60 {
            falls.append(falls.last! + periodSecs * (1 + periodJitter * rng.uniform(-1...1)))
        }
        let base = 300.0
        let trough = { (t: Double) in (base + leakMBPerHour * t / 3600) * MiB }
        var times: [Double] = [], values: [Double] = []
        var fall = 0
        for i in 0..<Int(minutes * 60 / stepSecs) {
            let t = Double(i) * stepSecs
            while fall + 1 < falls.count && falls[fall + 1] <= t { fall += 1 }
            let start = t < falls[0] ? falls[0] - periodSecs : falls[fall]
            let length = t < falls[0] ? periodSecs : falls[fall + 1] - falls[fall]
            let tooth = amplitudeMB * (t - start) / length
            times.append(t * 1000)
            values.append(trough(t) + (tooth + noiseMB * rng.gaussian()) * MiB)
        }
        return (times, values, trough)
    }

    @Test func regularFallsGiveTroughsAtTheirInstants() throws {
        // A 40 MiB tooth every 61.4 s sampled every 15 s: the lowest sample
        // after a fall sits up to 10 MiB above the trough.
        let s = Self.series(stepSecs: 15, minutes: 60, periodSecs: 61.4, amplitudeMB: 40, leakMBPerHour: 20, noiseMB: 0.5, seed: 7)
        let envelope = try #require(Envelope.find(times: s.times, values: s.values))
        #expect(envelope.phaseCorrected)
        #expect(envelope.times.count >= 55)
        let corrected = zip(envelope.times, envelope.values).map { abs($1 - s.trough($0 / 1000)) / Self.MiB }
        // Moved back along the rise, each trough is within the noise of the true one…
        #expect(corrected.max()! < 2.5, "worst corrected trough off by \(corrected.max()!) MiB")
        // …where the raw lowest samples are off by several MiB.
        let raw = Self.rawTroughErrors(s.times, s.values, trough: s.trough)
        #expect(raw.max()! > 3 * corrected.max()!, "raw \(raw.max()!) vs corrected \(corrected.max()!)")
        // A period the brackets pin adds next to nothing to the trend's error.
        #expect(envelope.trendUncertainty * 3_600_000 / Self.MiB < 2)
    }

    @Test func wanderingPeriodKeepsTheRawTroughs() throws {
        let s = Self.series(stepSecs: 10, minutes: 60, periodSecs: 90, amplitudeMB: 40, leakMBPerHour: 0, noiseMB: 0.5,
                            periodJitter: 0.3, seed: 11)
        let envelope = try #require(Envelope.find(times: s.times, values: s.values))
        #expect(!envelope.phaseCorrected)
        #expect(envelope.trendUncertainty == 0)
        // Each raw trough is the lowest sample of its cycle.
        for (t, v) in zip(envelope.times, envelope.values) {
            let i = try #require(s.times.firstIndex(of: t))
            #expect(s.values[i] == v)
        }
    }

    @Test func aPeriodThatIsAMultipleOfTheStepLeavesTheTrendUncertainAndAFlatSawtoothUnflagged() throws {
        // 120 s sampled every 10 s: the sampling phase never drifts, so the
        // brackets do not pin the period; the verdict must allow for it.
        let s = Self.series(stepSecs: 10, minutes: 60, periodSecs: 120, amplitudeMB: 100, leakMBPerHour: 0, noiseMB: 0.3, seed: 3)
        let envelope = try #require(Envelope.find(times: s.times, values: s.values))
        #expect(envelope.trendUncertainty > 0)
        let points = zip(s.times, s.values).map { TrendPoint(tMs: Int64($0), bytes: Int64($1)) }
        let verdict = TrendAnalyzer(config: LeakDetectionConfig()).verdict(for: points)
        #expect(verdict.status == .notLeaking, "\(verdict.explanation)")
    }

    @Test func aLeakUnderARegularSawtoothIsFoundWithItsRate() throws {
        // 73.7 s is 4.91 steps: the phase drifts 1.3 s a cycle, so the
        // brackets pin the period. (At 71.3 s, close to 19/4 steps, only four
        // phases recur and the rate is known to ±2 MiB/h: see the test above.)
        let s = Self.series(stepSecs: 15, minutes: 60, periodSecs: 73.7, amplitudeMB: 60, leakMBPerHour: 12, noiseMB: 1, seed: 5)
        let points = zip(s.times, s.values).map { TrendPoint(tMs: Int64($0), bytes: Int64($1)) }
        let verdict = TrendAnalyzer(config: LeakDetectionConfig()).verdict(for: points)
        #expect(verdict.status == .leaking, "\(verdict.explanation)")
        let rate = verdict.rateBytesPerHour / Self.MiB
        #expect(abs(rate - 12) / 12 < 0.1, "rate \(rate) MiB/h for 12: \(verdict.explanation)")
    }

    /// Error of the lowest sample of each cycle against the true trough at its time.
    static func rawTroughErrors(_ times: [Double], _ values: [Double], trough: (Double) -> Double) -> [Double] {
        var errors: [Double] = []
        var i = 1
        while i < values.count {
            if values[i] < values[i - 1] - 10 * MiB { errors.append((values[i] - trough(times[i] / 1000)) / MiB) }
            i += 1
        }
        return errors
    }
}
