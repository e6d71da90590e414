import Foundation
import LeakHistory

/// `detectLeaks` with 100 and 10,000 components, beside the seed's candidate
/// pass over a dictionary in the same process.
enum DetectionBenchmarks {
    static func run(runs: Int) throws -> [Figure] {
        var figures: [Figure] = []
        for (components, target) in [(100, 4.0), (10_000, 600.0)] {
            let detector = LeakDetector()
            let seed = SeedStyleTracker()
            detector.setBaseline(usageMB: 100)
            for i in 0..<components {
                let name = "component_\(i)"
                let handle = try detector.component(name)
                for _ in 0..<(i % 20) { handle.trackAllocation(bytes: 1 << 16) }
                for _ in 0..<(i % 20) { seed.trackAllocation(name, bytes: 1 << 16) }
            }
            for i in 0..<100 { detector.recordSnapshot(usageMB: 100 + i) }
            let repeats = components == 100 ? 2_000 : 20
            var sink = 0
            let ours = Measure.medianSeconds(runs: runs) {
                for _ in 0..<repeats { sink &+= detector.detectLeaks(currentUsageMB: 200).leakCandidates.count }
            } / Double(repeats) * 1e6
            let seedPass = Measure.medianSeconds(runs: runs) {
                for _ in 0..<repeats { sink &+= seed.candidates(nowMs: 0).count }
            } / Double(repeats) * 1e6
            figures.append(Figure(
                name: "detectLeaks, \(components) components", value: ours, unit: "µs",
                baseline: "seed's candidate pass in Swift (no history, no trend)", baselineValue: seedPass, ratio: ours / seedPass,
                target: "≤ \(target == 4 ? "4 µs" : "0.6 ms") (the Rust original)", met: ours <= target,
                note: sink == 0 ? "no candidates" : nil))
        }
        return figures
    }
}
