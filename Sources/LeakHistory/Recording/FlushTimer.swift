import LeakHistoryAnalysis
import Dispatch

/// A repeating timer on its own serial queue, so background flushes never run
/// on Swift's cooperative pool (a write may wait out a busy timeout).
final class FlushTimer: @unchecked Sendable {
    // @unchecked: DispatchSource is thread-safe (resume/cancel from any
    // thread); Swift's Dispatch overlay just does not say so.
    private let source: DispatchSourceTimer

    init(intervalSecs: Double, label: String, handler: @escaping @Sendable () -> Void) {
        source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        let interval = DispatchTimeInterval.milliseconds(max(1, Int(intervalSecs * 1000)))
        source.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(50))
        source.setEventHandler(handler: handler)
        source.resume()
    }

    func cancel() {
        source.cancel()
    }
}
