import Foundation
import Testing
@testable import LeakHistory

/// Real child processes for the watch tests: the hidden workloads of the built
/// `leak-history` executable (found beside the test bundle by `CLI.executable`).
enum Workload {
    /// Starts `leak-history workload <arguments>`. Throws, naming the fix, when
    /// the executable has not been built.
    static func spawn(_ arguments: [String]) throws -> ChildProcess {
        let executable = try CLI.executable.path
        return try ChildProcess.spawn([executable, "workload"] + arguments)
    }
}

/// Samples `samplers` every `intervalSecs` until `durationSecs` pass or they
/// all end, then ends their runs.
func watchUntilDone(_ samplers: [MemorySampler], intervalSecs: Double, durationSecs: Double) throws -> WatchSession.StopReason {
    let session = WatchSession(samplers: samplers, intervalSecs: intervalSecs, durationSecs: durationSecs,
                               wakeup: try WatchWakeup())
    let reason = session.run()
    try session.endAll()
    return reason
}

/// A pid no process can have: the kernel hands out pids below `pid_max`.
var unusedPID: Int32 {
    let text = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)) ?? ""
    return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 4_194_304
}

/// Runs `body` on a thread of its own and awaits it: a test that waits on real
/// processes must not hold one of the few threads Swift Testing runs every
/// test on (two on a two-core machine).
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
