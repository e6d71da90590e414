import Foundation
import TestSupport
import Testing
@testable import LeakHistoryAnalysis

/// A leak whose rate changes part-way (redis filling its keyspace: fast, then
/// slower as pages are reused) is one regime of two rising segments. A single
/// straight line through the bend leaves residuals that move together because
/// of the bend, not the noise; read as noise autocorrelation, they once left
/// "3 effective samples" and a t of 300 needed for a rise of 85 MiB over
/// ±4 MiB of noise. The noise's correlation is now read around the segments.
@Suite struct BentRegimeNoiseCheckTests {
    static let MiB = 1_048_576.0

    /// 4 samples a second: `flatSecs` flat at 7 MiB, then `fastSecs` at
    /// `fastMiBPerSec`, then `slowSecs` at `slowMiBPerSec`, with noise of
    /// `noiseMiB` that is itself a little correlated (an allocator's pages).
    static func bent(flatSecs: Double, fastSecs: Double, fastMiBPerSec: Double, slowSecs: Double, slowMiBPerSec: Double,
                     noiseMiB: Double, seed: UInt64) -> [TrendPoint] {
        var rng = SeededRandom(state: seed)
        var points: [TrendPoint] = []
        var level = 7.0, noise = 0.0
        let step = 0.25
        let total = flatSecs + fastSecs + slowSecs
        var t = 0.0
        while t < total {
            if t >= flatSecs { level += (t < flatSecs + fastSecs ? fastMiBPerSec : slowMiBPerSec) * step }
            noise = 0.5 * noise + noiseMiB * rng.gaussian()
            points.append(TrendPoint(tMs: 1_796_000_000_000 + Int64(t * 1000), bytes: Int64((level + noise) * MiB)))
            t += step
        }
        return points
    }

    static let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]

    @Test(arguments: seeds)
    func aLeakThatSlowsIsStillALeak(seed: UInt64) {
        let points = Self.bent(flatSecs: 10, fastSecs: 8, fastMiBPerSec: 7.5, slowSecs: 6, slowMiBPerSec: 4, noiseMiB: 1.5, seed: seed)
        let verdict = TrendAnalyzer(config: LeakDetectionConfig()).verdict(for: points)
        #expect(verdict.status == .leaking, "seed \(seed): \(verdict.explanation)")
        // It began where the feeding began (10 s in), give or take a few samples.
        if let since = verdict.growingSinceMs {
            #expect(abs(Double(since - 1_796_000_000_000) / 1000 - 10) < 2.5, "seed \(seed): growing since \(since)")
        }
    }

    /// A rate that slows smoothly (8 → 3 MiB/s over 14 s). Here the piecewise
    /// fit splits it; where it keeps one segment (redis under load did, in
    /// `WatchRedisOnsetTests`), the noise's correlation is read from the
    /// sample-to-sample differences, which a smooth bend barely moves.
    @Test(arguments: seeds)
    func aLeakThatSlowsSmoothlyIsStillALeak(seed: UInt64) {
        var rng = SeededRandom(state: seed &+ 50)
        var points: [TrendPoint] = []
        var level = 7.0, noise = 0.0
        for i in 0..<96 {
            let t = Double(i) * 0.25
            if t >= 10 { level += (8 - 5 * (t - 10) / 14) * 0.25 }
            noise = 0.5 * noise + 1.5 * rng.gaussian()
            points.append(TrendPoint(tMs: 1_796_000_000_000 + Int64(t * 1000), bytes: Int64((level + noise) * Self.MiB)))
        }
        let verdict = TrendAnalyzer(config: LeakDetectionConfig()).verdict(for: points)
        #expect(verdict.status == .leaking, "seed \(seed): \(verdict.explanation) (\(verdict.segments.count) segments)")
    }

    /// The same bend without the leak's size: wander that the segmentation
    /// may split into pieces must not become a leak either way.
    @Test(arguments: seeds)
    func correlatedWanderAroundAFlatLevelIsNoLeak(seed: UInt64) {
        var rng = SeededRandom(state: seed &+ 100)
        var points: [TrendPoint] = []
        var wander = 0.0
        for i in 0..<(30 * 60 / 10) {   // 30 minutes every 10 s
            wander = 0.9 * wander + 0.6 * rng.gaussian()
            points.append(TrendPoint(tMs: 1_796_000_000_000 + Int64(i) * 10_000, bytes: Int64((300 + wander) * Self.MiB)))
        }
        let verdict = TrendAnalyzer(config: LeakDetectionConfig()).verdict(for: points)
        #expect(verdict.status != .leaking, "seed \(seed): \(verdict.explanation)")
    }
}
