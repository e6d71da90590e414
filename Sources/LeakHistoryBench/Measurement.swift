import Foundation

/// One benchmark figure beside its in-run baseline and its target.
struct Figure: Codable {
    var name: String
    var value: Double
    var unit: String
    /// The comparison run in the same process, when there is one.
    var baseline: String?
    var baselineValue: Double?
    /// value / baselineValue, or as the target phrases it.
    var ratio: Double?
    var target: String
    /// Whether the target holds (nil when it cannot be judged here).
    var met: Bool?
    var note: String?
}

/// Timing helpers: medians of repeated runs, on the monotonic clock.
enum Measure {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The median of `runs` timings of `body`.
    static func medianSeconds(runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<runs { samples.append(try seconds(body)) }
        return median(samples)
    }

    /// Runs `body` on `threads` threads at once, after a common start, and
    /// returns the wall time until all finish.
    static func parallelSeconds(threads: Int, _ body: @escaping @Sendable (Int) -> Void) -> Double {
        let ready = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for t in 0..<threads {
            done.enter()
            let thread = Thread {
                ready.signal()
                go.wait()
                body(t)
                done.leave()
            }
            thread.start()
        }
        for _ in 0..<threads { ready.wait() }
        let start = ContinuousClock.now
        for _ in 0..<threads { go.signal() }
        done.wait()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// This process's resident set size in bytes, from /proc/self/status.
    static func residentBytes() -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kb = line.split(separator: " ").compactMap { Int64($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }
}

/// A scratch directory for benchmark databases, removed at the end.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("leak-history-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Text written to a file in pieces of about 4 MiB (the OpenMetrics files
/// promtool turns into Prometheus blocks): one writer for the benchmarks.
final class BufferedTextFile {
    private let handle: FileHandle
    private var buffer = ""

    init(path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        buffer.reserveCapacity(1 << 22)
    }

    func append(_ text: String) {
        buffer += text
        if buffer.utf8.count > 1 << 22 { flush() }
    }

    /// Writes what is left and closes the file.
    func close() {
        flush()
        try? handle.close()
    }

    private func flush() {
        handle.write(Data(buffer.utf8))
        buffer.removeAll(keepingCapacity: true)
    }
}
