import LeakHistory

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
    public var statusVerdictCPUShare = 0.00005
    public var statusVerdictAllowanceSecs = 0.005
    public var statusVerdictFreeSecs: Double = 30
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
