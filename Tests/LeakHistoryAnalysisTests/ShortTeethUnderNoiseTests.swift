import Foundation
import TestSupport
import Testing
@testable import LeakHistoryAnalysis

/// A GC sawtooth with a short tooth (one to four minutes, five to twenty-four
/// samples a cycle) and noise of 0.2–0.5 % of the level: the falls must be
/// found though they are a fifth of the sample-to-sample differences, and a
/// few troughs that rise by chance must not read as a leak. Hour windows over
/// a flat such sawtooth are never leaking; the same with a leak of 20–90
/// MiB/h over the whole hour are, at about that rate.
@Suite struct ShortTeethUnderNoiseTests {
    static let MiB = 1_048_576.0

    /// Two hours of usage at 10 or 15 s, drawn as the onset set draws its sawtooths.
    static func series(seed: UInt64, leakMBPerHour: Double) -> (times: [Double], values: [Double], stepSecs: Double) {
        var rng = SeededRandom(state: seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407)
        let level = rng.uniform(300...400)
        let noise = level * rng.uniform(0.002...0.005)
        _ = rng.uniform(0...1)    // the onset set's leak rate, drawn here so the seeds give its series
        let stepSecs = rng.pick([10.0, 15.0])
        let amplitude = level * rng.uniform(0.05...0.15), period = rng.uniform(1...4), phase = rng.uniform(0...1)
        var times: [Double] = [], values: [Double] = []
        for i in 0..<Int(120 * 60 / stepSecs) {
            let minutes = Double(i) * stepSecs / 60
            let mb = level + noise * rng.gaussian() + leakMBPerHour / 60 * minutes
                + amplitude * (minutes / period + phase).truncatingRemainder(dividingBy: 1)
            times.append(minutes * 60_000)
            values.append(mb * MiB)
        }
        return (times, values, stepSecs)
    }

    /// The verdict over the hour ending at `endMinute`.
    static func verdict(_ s: (times: [Double], values: [Double], stepSecs: Double), endMinute: Double) -> TrendVerdict {
        let points = zip(s.times, s.values).filter { $0.0 > (endMinute - 60) * 60_000 && $0.0 <= endMinute * 60_000 }
            .map { TrendPoint(tMs: Int64($0.0), bytes: Int64($0.1)) }
        return TrendAnalyzer(config: LeakDetectionConfig()).verdict(for: points)
    }

    // Seeds 321, 417 and 615 were flagged before their onset in the onset set's other seeds.
    static let seeds: [UInt64] = [321, 417, 615] + Array(stride(from: 3, through: 120, by: 3))

    /// At most one window in a thousand flagged, and never one of the onset
    /// set's: seed 117's hour ending at 86 min is the one left, its
    /// phase-corrected troughs drifting 4 MiB in 45 minutes (the period they
    /// were moved by is off by more than its stated uncertainty); before the
    /// fall bar was read from the rising side and the troughs' noise bounded
    /// by their neighbours', six windows of four series were.
    @Test("hour windows over a flat short-toothed sawtooth are not leaking (at most one in a thousand)")
    func flatIsNotALeak() {
        var flagged: [(seed: UInt64, text: String)] = []
        var windows = 0
        for seed in Self.seeds {
            let s = Self.series(seed: seed, leakMBPerHour: 0)
            for end in stride(from: 60.0, through: 120, by: 2) {
                windows += 1
                let v = Self.verdict(s, endMinute: end)
                if v.status == .leaking { flagged.append((seed, "seed \(seed) at \(end) min: \(v.explanation)")) }
            }
        }
        #expect(flagged.count * 1000 <= windows, "\(flagged.count) of \(windows) windows: \(flagged.prefix(3).map(\.text))")
        #expect(!flagged.contains { [321, 417, 615].contains($0.seed) }, "\(flagged.map(\.text))")
    }

    @Test("the same sawtooths with a leak over the whole hour are leaking, at its rate")
    func leakIsFound() {
        var missed: [String] = []
        var rng = SeededRandom(state: 77)
        for seed in Self.seeds {
            let rate = rng.uniform(20...90)
            let v = Self.verdict(Self.series(seed: seed, leakMBPerHour: rate), endMinute: 120)
            let found = v.rateBytesPerHour / Self.MiB
            if v.status != .leaking || abs(found - rate) > 0.15 * rate {
                missed.append("seed \(seed), \(rate) MiB/h: \(v.explanation)")
            }
        }
        #expect(missed.isEmpty, "\(missed.count) of \(Self.seeds.count): \(missed.prefix(3))")
    }
}
