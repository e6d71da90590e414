import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// SPEC §4's quality bar: a labelled set of memory series — leaks of several
/// shapes and look-alikes that are not leaks — generated with several random
/// seeds and noise levels, fed through NDJSON ingest into a real database file
/// and judged by the window report. Precision and recall must both reach 0.95.
@Suite("Labelled scenarios")
struct LabelledScenarioTests {
    static let startMs: Int64 = 1_764_000_000_000
    /// Sample counts and intervals: half an hour to two hours of history.
    static let sizes: [(points: Int, stepSecs: Double)] = [(180, 10), (360, 10), (240, 30), (720, 10)]

    @Test("precision and recall of the window verdict both reach 0.95")
    func precisionAndRecall() async throws {
        // Tens of seconds of analysis: on a thread of its own, not one of the
        // few Swift Testing runs every other (awaiting) test on.
        let checks = try await offThePool { try Self.precisionAndRecallBody() }
        for check in checks { #expect(check.passed, "\(check.what)") }
    }

    /// Computes and prints the figures; returns each expectation, checked by the test.
    static func precisionAndRecallBody() throws -> [(what: String, passed: Bool)] {
        var checks: [(what: String, passed: Bool)] = []
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("labelled.sqlite")
        let noiseLevels = [0.5, 2.0, 4.0, 8.0]
        // LABELLED_SEEDS=21,22,23,24 runs the set with other seeds.
        let seeds = seedList("LABELLED_SEEDS") ?? [1, 2, 3, 4]
        var labels: [String: (shape: LabelledSeries.Shape, spanMs: Int64)] = [:]
        var body = ""
        for shape in LabelledSeries.Shape.allCases {
            for (sizeIndex, size) in Self.sizes.enumerated() {
                for noise in noiseLevels {
                    for seed in seeds {
                        var rng = SeededRandom(state: seed &* 7919 &+ UInt64(noise * 10) &+ UInt64(sizeIndex) &* 104_729)
                        let series = LabelledSeries.series(shape, points: size.points, stepSecs: size.stepSecs, noiseMB: noise, rng: &rng)
                        let source = "\(shape.rawValue)-p\(size.points)x\(Int(size.stepSecs))-n\(noise)-s\(seed)"
                        labels[source] = (shape, Int64(Double(size.points) * size.stepSecs * 1000))
                        body += LabelledSeries.ndjson(source: source, series, startMs: Self.startMs) + "\n"
                    }
                }
            }
        }
        let decoded = EventDecoder(nowMs: Self.startMs).decodeAll(Data(body.utf8))
        checks.append(("decoded.errors.isEmpty", decoded.errors.isEmpty))
        let writer = try HistoryWriter(path: path)
        let ingested = try writer.ingest(decoded.events)
        try writer.close()
        checks.append(("ingested.stored == decoded.events.count", ingested.stored == decoded.events.count))

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        var truePositive = 0, falsePositive = 0, falseNegative = 0, trueNegative = 0
        var misses: [String] = []
        var perShape: [String: (right: Int, all: Int)] = [:]
        for (source, label) in labels.sorted(by: { $0.key < $1.key }) {
            let window = try TimeWindow(fromMs: Self.startMs, toMs: Self.startMs + label.spanMs)
            let report = try reader.report(source: source, window: window, nowMs: window.toMs)
            let right = report.hasLeaks == label.shape.isLeak
            perShape[label.shape.rawValue, default: (0, 0)].all += 1
            if right { perShape[label.shape.rawValue, default: (0, 0)].right += 1 }
            switch (label.shape.isLeak, report.hasLeaks) {
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
        for (shape, tally) in perShape.sorted(by: { $0.key < $1.key }) {
            print("  \(shape): \(tally.right)/\(tally.all) right")
        }
        for miss in misses { print("  \(miss)") }
        checks.append(("precision >= 0.95", precision >= 0.95))
        checks.append(("recall >= 0.95", recall >= 0.95))
        return checks
    }
}
