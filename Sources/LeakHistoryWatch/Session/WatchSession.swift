import Foundation
import LeakHistory
import Synchronization

/// Samples a set of processes or cgroups at a fixed interval until they end,
/// a duration passes, a watched command exits or the caller interrupts.
///
/// ```swift
/// let wakeup = try WatchWakeup()
/// let session = WatchSession(samplers: [sampler], intervalSecs: 0.25, durationSecs: 20, wakeup: wakeup)
/// let reason = session.run(isInterrupted: { interrupted.load(ordering: .relaxed) }) { statuses, elapsed in
///     print(elapsed, statuses.map(\.currentBytes))
/// }
/// try session.endAll()
/// ```
///
/// Ticks are scheduled on the monotonic clock, so a slow sample does not make
/// the interval drift; ticks missed while the machine was busy are skipped,
/// not made up in a burst. The wait between ticks ends early when `wakeup` is
/// woken (a signal, a command's exit), so stopping is prompt.
///
/// With `flushIntervalSecs` set, the session flushes the samplers' recorders
/// itself, right after a tick, on a thread of its own (the recorders are then
/// opened with `flushIntervalSecs: 0`): one wake-up of one thread a flush, no
/// timer, and the disk never holds up a sample.
public final class WatchSession {
    /// Why `run` returned.
    public enum StopReason: Sendable, Equatable {
        /// Every watched process exited (or cgroup was removed).
        case targetsEnded
        /// The command the watch started exited.
        case commandExited
        /// `durationSecs` passed.
        case durationElapsed
        /// `isInterrupted` returned true.
        case interrupted
    }

    public let samplers: [MemorySampler]
    public let intervalSecs: Double
    public let durationSecs: Double?
    /// How often `run` reports progress (the latest totals and sample counts).
    public var statusIntervalSecs: Double = 1
    /// The CPU the statuses' verdicts may take once the watch is
    /// `statusVerdictFreeSecs` old: `statusVerdictAllowanceSecs` plus this
    /// share of a core over the watch. Each refresh fits a trend to every
    /// sample so far, so as a watch grows its verdicts are refreshed less
    /// often than `statusIntervalSecs` (the totals keep their pace). Until
    /// then (a demo, a short watch, the start of a long one, while verdicts
    /// are cheap) every status has a fresh verdict.
    public var statusVerdictCPUShare = 0.00002
    public var statusVerdictAllowanceSecs = 0.002
    public var statusVerdictFreeSecs: Double = 30
    /// How often `run` flushes every sampler's recorder, right after a tick, on
    /// a thread of its own (`nil`: the recorders flush on their own timers).
    public var flushIntervalSecs: Double?
    /// Seconds since `run` started, as of the latest tick.
    public private(set) var elapsedSecs: Double = 0
    /// Samplers that stopped on an error, with the error.
    public private(set) var failures: [(source: String, error: WatchError)] = []

    private let wakeup: WatchWakeup
    private let command: ChildProcess?

    /// `command`, when given, is the child the watch started: its exit stops the
    /// watch even when what is sampled is a cgroup rather than the child itself.
    public init(samplers: [MemorySampler], intervalSecs: Double, durationSecs: Double? = nil,
                wakeup: WatchWakeup, command: ChildProcess? = nil) {
        self.samplers = samplers
        self.intervalSecs = intervalSecs
        self.durationSecs = durationSecs
        self.wakeup = wakeup
        self.command = command
    }

    /// Samples every `intervalSecs` until a stop condition holds; calls
    /// `onStatus` about every `statusIntervalSecs` with each sampler's status
    /// and the seconds elapsed.
    public func run(isInterrupted: () -> Bool = { false },
                    onStatus: ([WatchStatus], Double) -> Void = { _, _ in }) -> StopReason {
        let intervalNs = UInt64(max(0.001, intervalSecs) * 1e9)
        let start = WatchWakeup.uptimeNanoseconds()
        var nextTick = start
        var lastStatus: UInt64?
        var verdictSecs = 0.0
        let flusher = flushIntervalSecs.map { _ in WatchFlusher(recorders: samplers.map(\.recorder)) }
        defer { flusher?.stop() }
        var lastFlush = start
        while true {
            for sampler in samplers where !sampler.isEnded && sampler.endReason == nil {
                do {
                    try sampler.sample()
                } catch {
                    failures.append((sampler.source, error))
                    try? sampler.end(reason: "sampling failed: \(error)")
                }
            }
            let now = WatchWakeup.uptimeNanoseconds()
            elapsedSecs = Double(now - start) / 1e9
            if let flusher, let flushIntervalSecs, Double(now - lastFlush) / 1e9 >= flushIntervalSecs * 0.999 {
                flusher.wake()
                lastFlush = now
            }
            if lastStatus.map({ Double(now - $0) / 1e9 >= statusIntervalSecs * 0.999 }) ?? true {
                // A verdict is refreshed while the verdicts so far kept within their CPU budget.
                let free = elapsedSecs < statusVerdictFreeSecs
                let refresh = free || verdictSecs <= statusVerdictAllowanceSecs + statusVerdictCPUShare * elapsedSecs
                let cpuBefore = WatchWakeup.threadCPUSeconds()
                onStatus(samplers.map { $0.status(refreshingTrend: refresh) }, elapsedSecs)
                lastStatus = now
                // CPU time, not wall time: on a loaded machine a verdict is not dearer for waiting its turn.
                if refresh && !free { verdictSecs += WatchWakeup.threadCPUSeconds() - cpuBefore }
            }

            if isInterrupted() { return .interrupted }
            if let command, command.exitStatus != nil { return .commandExited }
            if samplers.allSatisfy({ $0.isEnded || $0.endReason != nil }) { return .targetsEnded }
            // A tick a hair early still counts: the last sample lands at the end of the duration.
            if let durationSecs, elapsedSecs >= durationSecs - intervalSecs * 0.01 { return .durationElapsed }

            nextTick += intervalNs
            if nextTick <= now { nextTick = now + intervalNs }
            if let durationSecs {
                nextTick = min(nextTick, start + UInt64(durationSecs * 1e9))
            }
            wakeup.wait(untilUptimeNanoseconds: nextTick)
        }
    }

    /// Ends every sampler's run (flush, end stamp, close). Throws the first
    /// failure after trying them all.
    public func endAll(reason: String? = nil) throws {
        var firstError: (any Error)?
        for sampler in samplers {
            do {
                try sampler.end(reason: reason)
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }
}

/// Flushes recorders on a thread of its own each time it is woken: the
/// watch's writes, one transaction per recorder, off the sampling thread.
///
/// ```swift
/// let flusher = WatchFlusher(recorders: [sampler.recorder])
/// flusher.wake()      // after a tick
/// flusher.stop()      // a last flush, then the thread ends
/// ```
///
/// A wake-up while a flush runs is kept for one more flush, not one per
/// wake-up. A failed flush keeps its rows in the recorder, and the next
/// retries them (`LeakRecorder.flush`).
final class WatchFlusher: Sendable {
    private let recorders: [LeakRecorder]
    private let wakeups = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let pending = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)

    init(recorders: [LeakRecorder]) {
        self.recorders = recorders
        let thread = Thread { [self] in
            while true {
                wakeups.wait()
                let last = stopping.load(ordering: .acquiring)
                pending.store(false, ordering: .releasing)
                for recorder in recorders {
                    // A closed recorder (its sampler ended) has nothing left to write.
                    try? recorder.flush()
                }
                if last { break }
            }
            finished.signal()
        }
        thread.name = "LeakHistory.watch-flush"
        thread.start()
    }

    /// Asks for a flush (at once, or after the one under way).
    func wake() {
        if !pending.exchange(true, ordering: .acquiringAndReleasing) { wakeups.signal() }
    }

    /// Ends the thread after one last flush: every sample taken so far is
    /// written when it returns. Call it once.
    func stop() {
        stopping.store(true, ordering: .releasing)
        wakeups.signal()
        finished.wait()
    }
}
