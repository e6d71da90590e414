import Foundation
import Testing
import LeakHistory
import LeakHistoryWatch

/// Real child processes for the watch tests: the hidden workloads of the built
/// `leak-history` executable (found beside the test bundle by `CLI.executable`).
package enum Workload {
    /// Starts `leak-history workload <arguments>`. Throws, naming the fix, when
    /// the executable has not been built.
    static package func spawn(_ arguments: [String]) throws -> ChildProcess {
        let executable = try CLI.executable.path
        return try ChildProcess.spawn([executable, "workload"] + arguments)
    }
}

/// Samples `samplers` every `intervalSecs` until `durationSecs` pass or they
/// all end, then ends their runs.
package func watchUntilDone(_ samplers: [MemorySampler], intervalSecs: Double, durationSecs: Double) throws -> WatchSession.StopReason {
    let session = WatchSession(samplers: samplers, intervalSecs: intervalSecs, durationSecs: durationSecs,
                               wakeup: try WatchWakeup())
    let reason = session.run()
    try session.endAll()
    return reason
}

/// A pid no process can have: the kernel hands out pids below `pid_max`.
package var unusedPID: Int32 {
    let text = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)) ?? ""
    return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 4_194_304
}

/// Runs `body` on a thread of its own and awaits it: a test that waits on real
/// processes must not hold one of the few threads Swift Testing runs every
/// test on (two on a two-core machine).
package func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Real Python programs for the process-tree tests, written to a test's
/// directory (so their command lines hold its unique path, and `/proc`
/// tells whether any of them outlived a watch).
package struct PythonPrograms {
    package let dir: String
    /// The interpreter itself, not a version manager's shim (a shell script that would add programs to a tree).
    package let python: String

    /// Writes `leaky.py RATE_MB_PER_SEC SECONDS` and `steady.py MB SECONDS [READY]` to `dir`
    /// (steady.py creates `READY.PID` once it has touched its block).
    /// Both exit after SECONDS, so a test that fails cannot leave them running for long.
    package init(in dir: String) throws {
        self.dir = dir
        let found = try CLI.runProgram(["python3", "-c", "import sys; print(sys.executable)"])
        guard found.status == 0, !found.stdout.isEmpty else {
            throw CLI.CLIError(description: "python3 is needed by the process-tree tests: \(found.stderr)")
        }
        python = found.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try """
            import sys, time
            rate, seconds = float(sys.argv[1]), float(sys.argv[2])
            hold, end = [], time.time() + seconds
            while time.time() < end:
                block = bytearray(int(rate * 1048576 / 20))
                for i in range(0, len(block), 4096):
                    block[i] = 1
                hold.append(block)
                time.sleep(0.05)
            """.write(toFile: "\(dir)/leaky.py", atomically: true, encoding: .utf8)
        try """
            import os, sys, time
            mb, seconds = int(sys.argv[1]), float(sys.argv[2])
            block = bytearray(mb * 1048576)
            for i in range(0, len(block), 4096):
                block[i] = 1
            if len(sys.argv) > 3:
                open("%s.%d" % (sys.argv[3], os.getpid()), "w").close()
            end = time.time() + seconds
            while time.time() < end:
                time.sleep(0.05)
            """.write(toFile: "\(dir)/steady.py", atomically: true, encoding: .utf8)
    }

    /// `python leaky.py RATE SECONDS`, as a shell word list.
    package func leaky(mbPerSec: Double, seconds: Double) -> String { "\(python) \(dir)/leaky.py \(mbPerSec) \(seconds)" }
    package func steady(mb: Int, seconds: Double, announcing: Bool = false) -> String {
        "\(python) \(dir)/steady.py \(mb) \(seconds)" + (announcing ? " \(dir)/ready" : "")
    }

    /// Waits until `count` steady.py processes started `announcing` have touched their blocks.
    @discardableResult
    package func waitForReady(_ count: Int, timeoutSecs: Double = 30) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeoutSecs)
        while Date() < deadline {
            let ready = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("ready.") }
            if ready.count >= count { return true }
            usleep(20_000)
        }
        return false
    }

    /// A shell that starts `programs` in the background and waits for them: a real tree of three or more processes.
    package func shellTree(_ programs: [String]) -> [String] {
        ["/bin/sh", "-c", programs.map { "\($0) &" }.joined(separator: " ") + " wait"]
    }

    /// The pids of live processes whose command line mentions this directory: none must outlive a watch.
    package func survivors() -> [Int32] {
        ProcessTree.listPIDs().filter { pid in
            guard let stat = ProcStat.read(pid: pid), !stat.isZombie,
                  let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
            return cmdline.contains(dir)
        }
    }

    /// Waits until `count` processes running a program of this directory exist (each past its start-up).
    @discardableResult
    package func waitForPrograms(_ count: Int, timeoutSecs: Double = 30) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeoutSecs)
        while Date() < deadline {
            let pythons = survivors().filter { pid in
                ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").hasPrefix(python)
            }
            if pythons.count >= count { return true }
            usleep(50_000)
        }
        return false
    }
}

extension CLI {
    /// Runs any program found in PATH, with its output captured.
    static package func runProgram(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
