import Foundation
import TestSupport
import Testing

/// The benchmark executable runs and reports every figure of BENCHMARKS.md.
/// It checks that the bench works, never how fast anything is: `--quick`
/// uses small sizes, and the figures of a debug build mean nothing.
@Suite("Benchmark smoke test")
struct BenchmarkSmokeTests {
    struct Figure: Decodable {
        var name: String
        var value: Double
        var unit: String
        var target: String?
        var baselineValue: Double?
        var ratio: Double?
    }

    @Test("leak-history-bench --quick --json reports each figure with a value, its target and its in-run baseline")
    func benchRuns() throws {
        let process = Process()
        process.executableURL = try CLI.executable(named: "leak-history-bench")
        process.arguments = ["--quick", "--json", "--runs", "1"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let figures = try JSONDecoder().decode([Figure].self, from: data)
        let names = figures.map(\.name)
        for expected in ["trackAllocation by name, one thread", "tracking through a handle, one thread",
                         "two threads, same handle", "detectLeaks, 100 components", "detectLeaks, 10000 components",
                         "sustained persistence of component samples", "trend over a year (8,760 hourly buckets)"] {
            #expect(names.contains(expected), "missing figure \(expected)")
        }
        #expect(names.contains { $0.hasPrefix("report over a 10% window") })
        #expect(names.contains { $0.hasPrefix("CSV export of") })
        for figure in figures {
            #expect(figure.value.isFinite && figure.value > 0, "\(figure.name): \(figure.value)")
            if let baseline = figure.baselineValue, let ratio = figure.ratio {
                // A ratio is the figure over its baseline from the same run.
                #expect(abs(ratio - figure.value / baseline) <= 1e-6 * max(1, ratio), "\(figure.name)")
            }
        }
    }
}
