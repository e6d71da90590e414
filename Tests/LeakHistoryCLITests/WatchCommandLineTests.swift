import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// `leak-history watch` end to end, as a user runs it: the command's exit
/// status passes through, --duration stops it, Ctrl-C reaches it, --json is
/// JSON, and bad input is a clear error with a non-zero exit.
@Suite struct WatchCommandLineTests {
    @Test func commandsExitStatusPassesThroughAndTheReportIsPrinted() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("watch.sqlite")
        let exe = try CLI.executable.path
        let result = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--source", "short",
                         "--", exe, "workload", "leak", "--rate-mb-per-sec", "2", "--seconds", "1.5", "--exit-code", "3"])
        }
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stdout.contains("leak-history watch: source 'short' (pid "))
        #expect(result.stdout.contains("the process exited"))
        #expect(result.stdout.contains("verdict:"))
        #expect(result.stderr.contains("watching short"))
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        let run = try #require(try reader.runs(source: "short").first)
        #expect(run.endedMs != nil)
        #expect(run.command?.hasSuffix("workload leak --rate-mb-per-sec 2 --seconds 1.5 --exit-code 3") == true)
    }

    @Test func durationStopsTheCommandWithStatus124AndJSONIsTheReport() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let exe = try CLI.executable.path
        let db = dir.path("watch.sqlite")
        let result = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "1s", "--json",
                         "--", exe, "workload", "sawtooth", "--amplitude-mb", "8", "--period-secs", "0.5"])
        }
        #expect(result.status == 124, "\(result.stderr)")
        #expect(result.stderr.contains("--duration reached"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["has_leaks"] is Bool)
        #expect(json["source"] as? String == "leak-history")
        #expect((json["sample_count"] as? Int ?? 0) >= 5)
        #expect(json["baseline_mb"] is NSNull)
    }

    @Test func watchingARunningPIDRecordsItUntilTheDuration() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // No time limit of its own: a loaded machine can resume this test long after the
        // watch ended (a 60-second workload once exited before the check below ran).
        let child = try Workload.spawn(["sawtooth", "--amplitude-mb", "8", "--period-secs", "0.5"])
        defer { _ = child.terminate(graceSecs: 2) }
        let db = dir.path("watch.sqlite")
        let (result, runningAfterWatch) = try await offThePool {
            let result = try CLI.run(["watch", "--db", db, "--pid", "\(child.pid)", "--interval", "100ms", "--duration", "1s"])
            return (result, child.exitStatus == nil)
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("source 'leak-history' (pid \(child.pid))"))
        #expect(result.stdout.contains("--duration reached"))
        // Attaching to a process never stops it: it still runs when the watch has ended, and after.
        #expect(runningAfterWatch)
        #expect(child.exitStatus == nil)
    }

    @Test func interruptIsForwardedToTheCommandAndTheReportStillPrints() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let exe = try CLI.executable
        let db = dir.path("watch.sqlite")
        let (started, reason, status, stdout) = try await offThePool {
            let process = Process()
            process.executableURL = exe
            process.arguments = ["watch", "--db", db, "--interval", "100ms",
                                 "--", exe.path, "workload", "sawtooth", "--amplitude-mb", "8", "--period-secs", "0.5", "--seconds", "60"]
            process.environment = ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            // Interrupt only once the watch has started, whatever the machine's speed.
            let started = StreamWatcher(err.fileHandleForReading).wait(for: "watching", timeoutSecs: 60)
            process.interrupt()
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (started, process.terminationReason, process.terminationStatus, stdout)
        }
        #expect(started)
        #expect(reason == .exit)
        #expect(status == 128 + SIGINT, "the child died of the forwarded SIGINT")
        #expect(stdout.contains("; interrupted"))
        #expect(stdout.contains("verdict:"))
    }

    @Test func badInvocationsAreClearErrors() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("watch.sqlite")
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["watch", "--db", db], 64, "Nothing to watch"),
            (["watch", "--db", db, "--pid", "1", "--", "true"], 64, "exclusive"),
            (["watch", "--db", db, "--pid", "1", "--cgroup", "/sys/fs/cgroup"], 64, "exclusive"),
            (["watch", "--db", db, "--pid", "0"], 64, "not a process id"),
            (["watch", "--db", db, "--pid", "1", "--pid", "1"], 64, "given twice"),
            (["watch", "--db", db, "--interval", "5ms", "--", "true"], 64, "between 10ms and 1h"),
            (["watch", "--db", db, "--interval", "fast", "--", "true"], 64, "The value 'fast' is invalid for '--interval <duration>'"),
            (["watch", "--db", db, "--source", "a", "--source", "b", "--", "true"], 64, "at most one --source"),
            (["watch", "--db", db, "--pid", "\(unusedPID)"], 1, "no process with pid \(unusedPID)"),
            (["watch", "--db", db, "--", "leak-history-no-such-command"], 127, "cannot run 'leak-history-no-such-command'"),
            (["watch", "--db", db, "--cgroup", dir.path("nowhere")], 1, "is not a cgroup v2 directory"),
            (["watch", "--db", db, "--pss-interval", "30s", "--pss-max-interval", "10s", "--", "true"], 64,
             "--pss-max-interval must be at least --pss-interval"),
        ]
        for (arguments, status, message) in cases {
            let result = try await offThePool { try CLI.run(arguments) }
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            // One error style: every error, the usage ones and those found while starting, is `error: …`.
            #expect(result.stderr.hasPrefix("error: "), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: db), "no database is created for a watch that never started")
    }
}

extension WatchCommandLineTests {
    /// `watch --version V` is the run's version: the help lists that option
    /// once, not also leak-history's own `--version` flag, which it shadows.
    @Test func helpListsVersionOnceAsTheRunsVersion() async throws {
        let help = try await offThePool { try CLI.run(["watch", "--help"]) }
        #expect(help.status == 0, "\(help.stderr)")
        let lines = help.stdout.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--version ") }
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("--version <version>") == true, "\(lines)")
        #expect(help.stdout.contains("--pss-max-interval <duration>"))
        // leak-history's own version is still one flag away.
        let version = try await offThePool { try CLI.run(["--version"]) }
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("leak-history "), "\(version.stdout)")
    }
}

/// Reads a stream on a thread of its own and tells when some text has appeared.
private final class StreamWatcher: @unchecked Sendable {
    // @unchecked: `text` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var text = ""

    init(_ handle: FileHandle) {
        Thread {
            while true {
                let data = handle.availableData
                self.condition.lock()
                if data.isEmpty { self.text += "\u{0}" } else { self.text += String(decoding: data, as: UTF8.self) }
                self.condition.broadcast()
                self.condition.unlock()
                if data.isEmpty { return }
            }
        }.start()
    }

    func wait(for needle: String, timeoutSecs: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeoutSecs)
        condition.lock()
        defer { condition.unlock() }
        while !text.contains(needle) && !text.hasSuffix("\u{0}") {
            if !condition.wait(until: deadline) { return false }
        }
        return text.contains(needle)
    }
}
