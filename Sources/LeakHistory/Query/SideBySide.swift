import Foundation

/// Runs pure, independent work on every core: a report's series decode
/// without the connection and their verdicts share nothing, so each is
/// computed side by side and comes back in the order it was asked for.
enum SideBySide {
    /// `body(i)` for every `i` in `0..<count`, in index order; items are
    /// handed out one at a time, so a few slow series do not hold one core
    /// while the other idles.
    static func map<Result>(count: Int, _ body: (Int) -> Result) -> [Result] {
        guard count > 1, ProcessInfo.processInfo.activeProcessorCount > 1 else { return (0..<count).map(body) }
        let results = UnsafeMutableBufferPointer<Result?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            nonisolated(unsafe) let results = results
            // Each index is written by exactly one iteration; the buffer is read after all of them end.
            DispatchQueue.concurrentPerform(iterations: count) { i in results[i] = body(i) }
        }
        return results.map { $0! }
    }
}
