import Foundation
import LeakHistory

/// The storage benchmark's history: one source, a snapshot and N gauge
/// components every `intervalMs` (with a few ms of jitter, as a watcher's
/// timestamps have), page-sized values, and planted leaks the verdict must find.
///
/// Components by `i % 10`: 3 leaks (2–8 MiB/h, with noise); 0, 1, 2, 4 are
/// flat with ±128 KiB of noise; 5 and 6 saw-tooth (8 MiB over 5–14 min);
/// 7, 8, 9 hold still and step a few pages every ~100 samples.
struct HistoryDataSet {
    let components: Int
    let steps: Int
    let startMs: Int64
    var intervalMs: Int64 = 10_000
    var source = "bench"

    static let page: Int64 = 4096
    static let mib: Int64 = 1 << 20

    var samples: Int { steps * (components + 1) }
    var endMs: Int64 { tsMs(step: steps - 1) }
    var plantedLeakers: Set<String> { Set((0..<components).filter(Self.leaks).map(Self.name)) }

    static func leaks(_ i: Int) -> Bool { i % 10 == 3 }
    static func name(_ i: Int) -> String { "c\(i)" }

    func tsMs(step: Int) -> Int64 {
        startMs + Int64(step) * intervalMs + Int64(Self.hash(UInt64(step), 7) % 16)
    }

    /// Component `i`'s held bytes at `step`, a multiple of 4 KiB.
    func value(component i: Int, step: Int) -> Int64 {
        let base = Int64(8 + i % 50) * Self.mib
        let hours = Double(Int64(step) * intervalMs) / 3_600_000
        let noisePages = Int64(Self.hash(UInt64(i), UInt64(step)) % 65) - 32
        var bytes: Int64
        switch i % 10 {
        case 3:
            bytes = base + Int64(Double(2 + i % 7) * Double(Self.mib) * hours) + noisePages * Self.page
        case 5, 6:
            let period = Double(5 + (i % 4) * 3) / 60
            bytes = base + Int64(8 * Double(Self.mib) * hours.truncatingRemainder(dividingBy: period) / period) + noisePages * Self.page
        case 7, 8, 9:
            let epoch = step / (80 + i % 40)
            bytes = base + Int64(Self.hash(UInt64(i), UInt64(epoch) << 32) % 16) * Self.page
        default:
            bytes = base + noisePages * Self.page
        }
        return bytes / Self.page * Self.page
    }

    func usage(step: Int) -> Int64 {
        var total: Int64 = 64 * Self.mib
        for i in 0..<components { total += value(component: i, step: step) }
        return total
    }

    /// The events of steps `range`, each step a snapshot then every component.
    func events(steps range: Range<Int>) -> [IngestEvent] {
        var events: [IngestEvent] = []
        events.reserveCapacity(range.count * (components + 1))
        let names = (0..<components).map(Self.name)
        for step in range {
            let ts = tsMs(step: step)
            events.append(IngestEvent(source: source, tsMs: ts, kind: .snapshot(usageBytes: usage(step: step))))
            for i in 0..<components {
                events.append(IngestEvent(source: source, tsMs: ts, kind: .gauge(component: names[i], bytes: value(component: i, step: step))))
            }
        }
        return events
    }

    /// Writes the whole history through `HistoryWriter.ingest` in batches of
    /// `batch` events, as `leak-history ingest` does; returns the seconds spent in ingest.
    func ingest(into path: String, batch: Int = 10_000, progress: (Int) -> Void = { _ in }) throws -> Double {
        let writer = try HistoryWriter(path: path)
        defer { try? writer.close() }
        let stepsPerBatch = max(1, batch / (components + 1))
        var seconds = 0.0
        var step = 0
        while step < steps {
            let events = self.events(steps: step..<min(steps, step + stepsPerBatch))
            let continuing = step > 0
            seconds += try Measure.seconds {
                let result = try writer.ingest(events, continuingInput: continuing)
                precondition(result.rejected.isEmpty, "benchmark events refused: \(result.rejected.prefix(3))")
            }
            step += stepsPerBatch
            if step % (stepsPerBatch * 100) == 0 { progress(step) }
        }
        return seconds
    }

    /// The same samples as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
    func writeOpenMetrics(to path: String) throws {
        let out = try BufferedTextFile(path: path)
        defer { out.close() }
        func seconds(_ ms: Int64) -> String {
            let fraction = String(ms % 1000)
            return "\(ms / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
        }
        out.append("# TYPE bench_usage_bytes gauge\n")
        for step in 0..<steps {
            out.append("bench_usage_bytes{source=\"\(source)\"} \(usage(step: step)) \(seconds(tsMs(step: step)))\n")
        }
        out.append("# TYPE bench_component_bytes gauge\n")
        for i in 0..<components {
            let labels = "{component=\"\(Self.name(i))\",source=\"\(source)\"}"
            for step in 0..<steps {
                out.append("bench_component_bytes\(labels) \(value(component: i, step: step)) \(seconds(tsMs(step: step)))\n")
            }
        }
        out.append("# EOF\n")
    }

    /// SplitMix64 of two words: deterministic noise.
    static func hash(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a &* 0x9E37_79B9_7F4A_7C15 &+ b &+ 0x632B_E59B_D9B4_E019
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
