import Foundation
import TestSupport
@testable import LeakHistory

/// Labelled memory series for the verdict's quality bar: leaks of every shape
/// the product must catch, and look-alikes it must not flag. Shapes are
/// defined in fractions of the window, so the same shape is generated at
/// several sizes (sample counts and intervals), levels, noise levels and seeds.
enum LabelledSeries {
    enum Shape: String, CaseIterable {
        // Leaks.
        case slowLeak, fastLeak, leakUnderSawtooth, staircaseLeak, leakAcrossRestarts
        case lateLeak, warmupThenLeak, subtleLeak, leakUnderBigSawtooth
        // Not leaks.
        case flatNoise, sawtooth, bigSawtooth, warmupPlateau, cacheFillsThenStops, oneOffStep, periodicSpikes, fixedLeak

        var isLeak: Bool {
            switch self {
            case .slowLeak, .fastLeak, .leakUnderSawtooth, .staircaseLeak, .leakAcrossRestarts,
                 .lateLeak, .warmupThenLeak, .subtleLeak, .leakUnderBigSawtooth: true
            default: false
            }
        }
    }

    struct Series {
        var mb: [Double]
        var restarts: Set<Int>
        var stepSecs: Double
    }

    /// Usage in MiB at each of `points` steps of `stepSecs`, and the steps where the process restarted.
    static func series(_ shape: Shape, points n: Int, stepSecs: Double, noiseMB: Double, rng: inout SeededRandom) -> Series {
        let base = rng.uniform(150...400)
        var mb = [Double](repeating: base, count: n)
        var restarts = Set<Int>()
        let windowMinutes = Double(n) * stepSecs / 60
        let minutes = { (i: Int) in Double(i) * stepSecs / 60 }
        /// A rate in MiB/min that grows `fraction` of the level over the window.
        let rateFor = { (fraction: Double) in fraction * base / windowMinutes }
        func sawtooth(_ i: Int, amplitude: Double, period: Double, phase: Double) -> Double {
            amplitude * (minutes(i) / period + phase).truncatingRemainder(dividingBy: 1)
        }
        switch shape {
        case .slowLeak:
            let rate = rng.uniform(0.4...0.8) * 60 / windowMinutes       // 24–48 MB per hour-long window
            for i in 0..<n { mb[i] += rate * minutes(i) }
        case .fastLeak:
            let rate = rng.uniform(3...8) * 60 / windowMinutes
            for i in 0..<n { mb[i] += rate * minutes(i) }
        case .leakUnderSawtooth:
            let rate = rng.uniform(1.5...3) * 60 / windowMinutes, amplitude = rng.uniform(20...50)
            let period = rng.uniform(2...5) * windowMinutes / 60, phase = rng.uniform(0...1)
            for i in 0..<n { mb[i] += rate * minutes(i) + sawtooth(i, amplitude: amplitude, period: period, phase: phase) }
        case .staircaseLeak:
            let step = rng.uniform(6...12), every = rng.uniform(3...5) * windowMinutes / 60
            for i in 0..<n { mb[i] += step * (minutes(i) / every).rounded(.down) }
        case .leakAcrossRestarts:
            let rate = rng.uniform(1...3) * 60 / windowMinutes
            let runLength = n / 3
            for i in 0..<n {
                if i > 0 && i % runLength == 0 { restarts.insert(i) }
                mb[i] += rate * minutes(i % runLength)
            }
        case .lateLeak:
            let onset = Int(rng.uniform(0.5...0.65) * Double(n)), rate = rateFor(rng.uniform(0.2...0.4))
            for i in onset..<n { mb[i] += rate * minutes(i - onset) }
        case .warmupThenLeak:
            let height = rng.uniform(40...120), tau = rng.uniform(0.05...0.1) * windowMinutes
            let rate = rateFor(rng.uniform(0.1...0.25))
            for i in 0..<n { mb[i] += height * (1 - exp(-minutes(i) / tau)) + rate * minutes(i) }
        case .subtleLeak:
            let rate = rateFor(rng.uniform(0.08...0.15))
            for i in 0..<n { mb[i] += rate * minutes(i) }
        case .leakUnderBigSawtooth:
            let rate = rateFor(rng.uniform(0.2...0.35)), amplitude = rng.uniform(0.3...0.5) * base
            let period = rng.uniform(0.04...0.1) * windowMinutes, phase = rng.uniform(0...1)
            for i in 0..<n { mb[i] += rate * minutes(i) + sawtooth(i, amplitude: amplitude, period: period, phase: phase) }
        case .flatNoise:
            break
        case .sawtooth:
            let amplitude = rng.uniform(20...60), period = rng.uniform(2...5) * windowMinutes / 60, phase = rng.uniform(0...1)
            for i in 0..<n { mb[i] += sawtooth(i, amplitude: amplitude, period: period, phase: phase) }
        case .bigSawtooth:
            let amplitude = rng.uniform(0.3...0.5) * base
            let period = rng.uniform(0.04...0.1) * windowMinutes, phase = rng.uniform(0...1)
            for i in 0..<n { mb[i] += sawtooth(i, amplitude: amplitude, period: period, phase: phase) }
        case .warmupPlateau:
            let height = rng.uniform(60...150), tau = rng.uniform(3...6) * windowMinutes / 60
            for i in 0..<n { mb[i] += height * (1 - exp(-minutes(i) / tau)) }
        case .cacheFillsThenStops:
            let stopAt = rng.uniform(0.2...0.45) * windowMinutes, rate = rng.uniform(2...5) * 60 / windowMinutes
            for i in 0..<n { mb[i] += rate * min(minutes(i), stopAt) }
        case .oneOffStep:
            let at = Int(rng.uniform(0.3...0.6) * Double(n)), height = rng.uniform(30...80)
            for i in at..<n { mb[i] += height }
        case .periodicSpikes:
            let every = rng.uniform(8...12) * windowMinutes / 60, width = rng.uniform(1...2) * windowMinutes / 60
            let height = rng.uniform(50...150), offset = rng.uniform(0...every)
            for i in 0..<n where (minutes(i) + offset).truncatingRemainder(dividingBy: every) < width { mb[i] += height }
        case .fixedLeak:
            let rate = rng.uniform(1...4) * 60 / windowMinutes
            let fixAt = n / 2
            restarts.insert(fixAt)
            for i in 0..<fixAt { mb[i] += rate * minutes(i) }
        }
        for i in 0..<n { mb[i] = max(1, mb[i] + noiseMB * rng.gaussian()) }
        return Series(mb: mb, restarts: restarts, stepSecs: stepSecs)
    }

    /// The series as NDJSON lines for `ingest`, starting at `startMs`.
    static func ndjson(source: String, _ series: Series, startMs: Int64) -> String {
        var lines: [String] = []
        for (i, value) in series.mb.enumerated() {
            let ts = startMs + Int64(Double(i) * series.stepSecs * 1000)
            if series.restarts.contains(i) { lines.append(#"{"ts_ms":\#(ts),"source":"\#(source)","event":"restart"}"#) }
            lines.append(#"{"ts_ms":\#(ts),"source":"\#(source)","usage_bytes":\#(Int64(value * 1_048_576))}"#)
        }
        return lines.joined(separator: "\n")
    }
}

/// Seeds named in the environment variable `name` ("1,2,3" or "101-124"), or
/// `nil` when it is unset: the labelled and onset sets run with other seeds
/// without an edit (`LABELLED_SEEDS=21-24 swift test --filter Labelled`).
func seedList(_ name: String) -> [UInt64]? {
    guard let text = ProcessInfo.processInfo.environment[name], !text.isEmpty else { return nil }
    var seeds: [UInt64] = []
    for part in text.split(separator: ",") {
        let bounds = part.split(separator: "-").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        if bounds.count == 2, bounds[0] <= bounds[1] { seeds += Array(bounds[0]...bounds[1]) }
        else if bounds.count == 1 { seeds.append(bounds[0]) }
    }
    return seeds.isEmpty ? nil : seeds
}
