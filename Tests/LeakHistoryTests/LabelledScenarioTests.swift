import Foundation
import Testing
@testable import LeakHistory

/// SPEC §4's quality bar: a labelled set of memory series — leaks of several
/// shapes and look-alikes that are not leaks — generated with several random
/// seeds and noise levels, fed through NDJSON ingest into a real database file
/// and judged by the window report. Precision and recall must both reach 0.95.
@Suite("Labelled scenarios")
struct LabelledScenarioTests {
    enum Shape: String, CaseIterable {
        case slowLeak, fastLeak, leakUnderSawtooth, staircaseLeak, leakAcrossRestarts
        case flatNoise, sawtooth, warmupPlateau, cacheFillsThenStops, oneOffStep, periodicSpikes, fixedLeak

        var isLeak: Bool {
            switch self {
            case .slowLeak, .fastLeak, .leakUnderSawtooth, .staircaseLeak, .leakAcrossRestarts: true
            default: false
            }
        }
    }

    static let stepSecs = 10.0
    static let points = 360            // one hour
    static let startMs: Int64 = 1_764_000_000_000

    /// Usage in MiB at each step, and the steps where the process restarted.
    static func series(_ shape: Shape, noiseMB: Double, rng: inout SeededRandom) -> (mb: [Double], restarts: Set<Int>) {
        let base = rng.uniform(150...400)
        let n = points
        var mb = [Double](repeating: base, count: n)
        var restarts = Set<Int>()
        let minutes = { (i: Int) in Double(i) * stepSecs / 60 }
        switch shape {
        case .slowLeak:
            let rate = rng.uniform(0.4...0.8)                       // MB/min: 24–48 MB/h
            for i in 0..<n { mb[i] += rate * minutes(i) }
        case .fastLeak:
            let rate = rng.uniform(3...8)
            for i in 0..<n { mb[i] += rate * minutes(i) }
        case .leakUnderSawtooth:
            let rate = rng.uniform(1.5...3), amplitude = rng.uniform(20...50), period = rng.uniform(2...5)
            let phase = rng.uniform(0...1)
            for i in 0..<n {
                let cycle = (minutes(i) / period + phase).truncatingRemainder(dividingBy: 1)
                mb[i] += rate * minutes(i) + amplitude * cycle
            }
        case .staircaseLeak:
            let step = rng.uniform(6...12), every = rng.uniform(3...5)
            for i in 0..<n { mb[i] += step * (minutes(i) / every).rounded(.down) }
        case .leakAcrossRestarts:
            let rate = rng.uniform(1...3)
            let runLength = n / 3
            for i in 0..<n {
                if i > 0 && i % runLength == 0 { restarts.insert(i) }
                mb[i] += rate * minutes(i % runLength)
            }
        case .flatNoise:
            break
        case .sawtooth:
            let amplitude = rng.uniform(20...60), period = rng.uniform(2...5), phase = rng.uniform(0...1)
            for i in 0..<n {
                mb[i] += amplitude * (minutes(i) / period + phase).truncatingRemainder(dividingBy: 1)
            }
        case .warmupPlateau:
            let height = rng.uniform(60...150), tau = rng.uniform(3...6)      // minutes
            for i in 0..<n { mb[i] += height * (1 - exp(-minutes(i) / tau)) }
        case .cacheFillsThenStops:
            let stopAt = rng.uniform(0.2...0.45) * 60, rate = rng.uniform(2...5)
            for i in 0..<n { mb[i] += rate * min(minutes(i), stopAt) }
        case .oneOffStep:
            let at = Int(rng.uniform(0.3...0.6) * Double(n)), height = rng.uniform(30...80)
            for i in at..<n { mb[i] += height }
        case .periodicSpikes:
            let every = rng.uniform(8...12), width = rng.uniform(1...2), height = rng.uniform(50...150)
            let offset = rng.uniform(0...every)
            for i in 0..<n where (minutes(i) + offset).truncatingRemainder(dividingBy: every) < width { mb[i] += height }
        case .fixedLeak:
            let rate = rng.uniform(1...4)
            let fixAt = n / 2
            restarts.insert(fixAt)
            for i in 0..<fixAt { mb[i] += rate * minutes(i) }
        }
        for i in 0..<n { mb[i] = max(1, mb[i] + noiseMB * rng.gaussian()) }
        return (mb, restarts)
    }

    static func ndjson(source: String, mb: [Double], restarts: Set<Int>) -> String {
        var lines: [String] = []
        for (i, value) in mb.enumerated() {
            let ts = startMs + Int64(Double(i) * stepSecs * 1000)
            if restarts.contains(i) { lines.append(#"{"ts_ms":\#(ts),"source":"\#(source)","event":"restart"}"#) }
            lines.append(#"{"ts_ms":\#(ts),"source":"\#(source)","usage_bytes":\#(Int64(value * 1_048_576))}"#)
        }
        return lines.joined(separator: "\n")
    }

    @Test("precision and recall of the window verdict both reach 0.95")
    func precisionAndRecall() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("labelled.sqlite")
        let noiseLevels = [0.5, 2.0, 4.0, 8.0]
        let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]
        var labels: [String: Shape] = [:]
        var body = ""
        for shape in Shape.allCases {
            for noise in noiseLevels {
                for seed in seeds {
                    var rng = SeededRandom(state: seed &* 7919 &+ UInt64(noise * 10))
                    let (mb, restarts) = Self.series(shape, noiseMB: noise, rng: &rng)
                    let source = "\(shape.rawValue)-n\(noise)-s\(seed)"
                    labels[source] = shape
                    body += Self.ndjson(source: source, mb: mb, restarts: restarts) + "\n"
                }
            }
        }
        let decoded = EventDecoder(nowMs: Self.startMs).decodeAll(Data(body.utf8))
        #expect(decoded.errors.isEmpty)
        let writer = try HistoryWriter(path: path)
        let ingested = try writer.ingest(decoded.events)
        try writer.close()
        #expect(ingested.stored == decoded.events.count)

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let window = try TimeWindow(fromMs: Self.startMs, toMs: Self.startMs + Int64(Double(Self.points) * Self.stepSecs * 1000))
        var truePositive = 0, falsePositive = 0, falseNegative = 0, trueNegative = 0
        var misses: [String] = []
        for (source, shape) in labels.sorted(by: { $0.key < $1.key }) {
            let report = try reader.report(source: source, window: window, nowMs: window.toMs)
            switch (shape.isLeak, report.hasLeaks) {
            case (true, true): truePositive += 1
            case (false, false): trueNegative += 1
            case (false, true):
                falsePositive += 1
                misses.append("false positive \(source): \(report.trend?.explanation ?? "-")")
            case (true, false):
                falseNegative += 1
                misses.append("false negative \(source): \(report.trend?.explanation ?? "-")")
            }
        }
        let precision = Double(truePositive) / Double(max(1, truePositive + falsePositive))
        let recall = Double(truePositive) / Double(max(1, truePositive + falseNegative))
        print("labelled scenarios: \(labels.count) series, TP \(truePositive) FP \(falsePositive) FN \(falseNegative) TN \(trueNegative); precision \(String(format: "%.3f", precision)), recall \(String(format: "%.3f", recall))")
        for miss in misses { print("  \(miss)") }
        #expect(precision >= 0.95)
        #expect(recall >= 0.95)
    }
}
