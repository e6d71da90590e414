import ArgumentParser
import Foundation
import LeakHistory
import Synchronization

/// `leak-history watch`: samples real processes (or a cgroup) from `/proc`,
/// records every sample, shows progress, and prints the report of each run.
///
/// ```sh
/// leak-history watch --interval 250ms -- ./my-server --port 8080
/// leak-history watch --pid 812 --pid 990 --duration 10m
/// leak-history watch --cgroup /sys/fs/cgroup/system.slice/app.service --duration 1h
/// ```
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Sample real processes' memory from /proc, record it, and report whether it leaks.",
        usage: """
            leak-history watch [<options>] -- <command> [<argument> ...]
            leak-history watch [<options>] --pid <pid> [--pid <pid> ...]
            leak-history watch [<options>] --cgroup <path> [-- <command> [<argument> ...]]
            """,
        discussion: """
            Each sample records the total (VmRSS from /proc/PID/status, or memory.current \
            with --cgroup) as a usage snapshot and its parts as gauge components: rss_anon, \
            rss_file, rss_shmem and swap from /proc/PID/status, and pss from \
            /proc/PID/smaps_rollup where it is readable; with --cgroup, anon, file, kernel, \
            sock and shmem from memory.stat. Each watched process is a source (named after \
            its command unless --source says otherwise) and each watch starts a new run of it; \
            a process that exits ends its run.

            With a command, leak-history starts it, watches it until it exits, and exits with \
            its status (128 + N when signal N killed it). If --duration ends the watch first, \
            the command is stopped (SIGTERM, then SIGKILL after 5 s) and the exit status is \
            124, as with timeout(1). Ctrl-C stops the watch and reaches the command too; \
            the report is printed once it has exited.

            The report covers the whole watch (up to its newest 50,000 samples). A part is a \
            leak candidate only when its own trend rises, so a steady sawtooth is not flagged. \
            Progress goes to standard error (one live line on a terminal), the report to \
            standard output.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("pid"), help: ArgumentHelp(
        "A running process to watch; repeat to watch several, each as its own source.", valueName: "pid"))
    var pids: [Int32] = []

    @Option(help: ArgumentHelp(
        "A cgroup v2 directory to sample (memory.current, memory.stat) instead of a process; with a command, while the command runs.",
        valueName: "path"))
    var cgroup: String?

    @Option(help: ArgumentHelp("Time between samples: 250ms, 1s, 2m … (at least 10ms).", valueName: "duration"))
    var interval = "1s"

    @Option(help: ArgumentHelp("Stop after this long: 30s, 10m, 2h … (default: until the processes exit or Ctrl-C).",
                               valueName: "duration"))
    var duration: String?

    @Option(name: .customLong("source"), help: ArgumentHelp(
        "The source to record under (default: the command's or process's name, or the cgroup's directory name); with several --pid, one per --pid, in order.",
        valueName: "name"))
    var sources: [String] = []

    @Flag(help: "Print the report as JSON instead of text (an array when several processes are watched).")
    var json = false

    @Flag(help: "Do not read /proc/PID/smaps_rollup: no pss component. Reading it walks every mapping of the process under its memory-map lock, which costs a very large process time at short intervals.")
    var noPss = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp(
        "The command to start and watch, after --.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if !pids.isEmpty && !command.isEmpty {
            throw ValidationError("--pid and a command are exclusive: watch running processes with --pid, or start one after --.")
        }
        if !pids.isEmpty && cgroup != nil {
            throw ValidationError("--pid and --cgroup are exclusive: a watch samples either processes or a cgroup.")
        }
        if pids.isEmpty && command.isEmpty && cgroup == nil {
            throw ValidationError("Nothing to watch: give --pid PID, --cgroup PATH, or a command after --.")
        }
        if let bad = pids.first(where: { $0 <= 0 }) {
            throw ValidationError("--pid \(bad) is not a process id (it must be positive).")
        }
        if Set(pids).count != pids.count {
            throw ValidationError("A --pid is given twice.")
        }
        if pids.isEmpty ? sources.count > 1 : !(sources.isEmpty || sources.count == pids.count) {
            throw ValidationError(pids.isEmpty
                ? "Give at most one --source."
                : "Give no --source (each process is named after its command) or one --source per --pid (\(pids.count)).")
        }
        for source in sources {
            do { try InputRules.validateName(source, field: "--source") } catch { throw ValidationError("\(error)") }
        }
        let intervalSecs = try Self.seconds(interval, option: "--interval")
        guard intervalSecs >= 0.01, intervalSecs <= 3600 else {
            throw ValidationError("--interval must be between 10ms and 1h.")
        }
        if let duration { _ = try Self.seconds(duration, option: "--duration") }
    }

    func run() throws {
        let intervalSecs = try Self.seconds(interval, option: "--interval")
        let durationSecs = try duration.map { try Self.seconds($0, option: "--duration") }
        let config = LeakDetectionConfig.forWatch(intervalSecs: intervalSecs, durationSecs: durationSecs)
        let wakeup = try WatchWakeup()
        WatchInterrupts.install(waking: wakeup)
        // The handler writes to the wakeup's pipe: it must be gone before the pipe is closed.
        defer { WatchInterrupts.restore(); withExtendedLifetime(wakeup) {} }

        var child: ChildProcess?
        if !command.isEmpty {
            do {
                child = try ChildProcess.spawn(command, onExit: { wakeup.wake() })
            } catch {
                printError("leak-history: \(error)")
                throw ExitCode(error.shellExitStatus ?? 1)
            }
        }
        let samplers: [MemorySampler]
        do {
            samplers = try makeSamplers(child: child, config: config)
        } catch {
            if let child {
                if let status = child.waitForExit(timeoutSecs: 0.5) {
                    printError("leak-history: '\(command[0])' \(status) before it could be sampled")
                    throw ExitCode(status.shellStatus)
                }
                _ = child.terminate()
            }
            printError("leak-history: \(error)")
            throw ExitCode.failure
        }

        let display = ProgressDisplay(intervalSecs: intervalSecs)
        let session = WatchSession(samplers: samplers, intervalSecs: intervalSecs, durationSecs: durationSecs,
                                   wakeup: wakeup, command: child)
        session.statusIntervalSecs = display.statusIntervalSecs
        let targets = samplers.map { "\($0.source) (\($0.targetLabel))" }.joined(separator: ", ")
        display.note("watching \(targets) every \(Self.text(seconds: intervalSecs))"
            + (durationSecs.map { " for \(Self.text(seconds: $0))" } ?? "") + "; Ctrl-C stops")
        let reason = session.run(isInterrupted: { WatchInterrupts.received != nil }, onStatus: display.show)
        display.finish()

        // The runs end when the watch stops, whatever the command does next.
        var failed = !session.failures.isEmpty
        do {
            try session.endAll(reason: Self.endReason(reason))
        } catch {
            printError("leak-history: could not finish recording in \(database.path): \(error)")
            failed = true
        }
        var exitStatus: ExitStatus?
        var stoppedByWatch = false
        if let child {
            (exitStatus, stoppedByWatch) = settle(child, after: reason, display: display)
        }

        try printReports(samplers, intervalSecs: intervalSecs, elapsedSecs: session.elapsedSecs)
        for failure in session.failures {
            printError("leak-history: stopped watching '\(failure.source)': \(failure.error)")
        }
        if let exitStatus {
            throw ExitCode(stoppedByWatch && reason == .durationElapsed ? 124 : exitStatus.shellStatus)
        }
        if failed { throw ExitCode.failure }
    }

    /// One sampler per process, or one for the cgroup.
    private func makeSamplers(child: ChildProcess?, config: LeakDetectionConfig) throws -> [MemorySampler] {
        let path = database.path
        let readPSS = !noPss
        // About one flush per sample, at most ten a second: every sample's parts are stored.
        let flushSecs = min(1, max(0.1, try Self.seconds(interval, option: "--interval")))
        if let child {
            let source = sources.first ?? MemorySampler.defaultSource(command: command[0])
            let commandLine = command.joined(separator: " ")
            if let cgroup {
                return [try MemorySampler(cgroupPath: cgroup, databasePath: path, source: source, pid: child.pid,
                                          command: commandLine, config: config, flushIntervalSecs: flushSecs)]
            }
            return [try MemorySampler(pid: child.pid, databasePath: path, source: source, command: commandLine,
                                      config: config, readPSS: readPSS, flushIntervalSecs: flushSecs)]
        }
        if let cgroup {
            return [try MemorySampler(cgroupPath: cgroup, databasePath: path, source: sources.first, config: config,
                                      flushIntervalSecs: flushSecs)]
        }
        let names = sources.isEmpty ? try MemorySampler.defaultSources(pids: pids) : sources
        var samplers: [MemorySampler] = []
        do {
            for (pid, source) in zip(pids, names) {
                samplers.append(try MemorySampler(pid: pid, databasePath: path, source: source, config: config,
                                                  readPSS: readPSS, flushIntervalSecs: flushSecs))
            }
        } catch {
            // Runs opened for the processes before the bad one end at once.
            for sampler in samplers { try? sampler.end(reason: "the watch did not start") }
            throw error
        }
        return samplers
    }

    /// Waits for the command to exit after the watch stopped, stopping it when
    /// the watch ended first. Returns its exit status and whether the watch stopped it.
    private func settle(_ child: ChildProcess, after reason: WatchSession.StopReason,
                        display: ProgressDisplay) -> (ExitStatus, stoppedByWatch: Bool) {
        switch reason {
        case .interrupted:
            if let signal = WatchInterrupts.received, WatchInterrupts.shouldForward(to: child) {
                child.send(signal)
            }
            let start = Date()
            var told = false
            var killed = false
            while true {
                if let status = child.waitForExit(timeoutSecs: 0.1) { return (status, false) }
                if WatchInterrupts.count >= 2 && !killed {
                    child.send(SIGKILL)
                    killed = true
                }
                if !told && Date().timeIntervalSince(start) > 1 {
                    display.note("waiting for '\(command[0])' (pid \(child.pid)) to exit; Ctrl-C again kills it")
                    told = true
                }
            }
        case .commandExited, .targetsEnded:
            if let status = child.waitForExit(timeoutSecs: 2) { return (status, false) }
            // Sampling failed while the command still runs: a watch cannot go on without it.
            display.note("stopping '\(command[0])' (pid \(child.pid)): it can no longer be sampled")
            return (child.terminate(), true)
        case .durationElapsed:
            if let status = child.exitStatus { return (status, false) }
            display.note("--duration reached: stopping '\(command[0])' (pid \(child.pid))")
            return (child.terminate(), true)
        }
    }

    private func printReports(_ samplers: [MemorySampler], intervalSecs: Double, elapsedSecs: Double) throws {
        let reports = samplers.map { $0.report() }
        if json {
            print(reports.count == 1 ? try jsonText(reports[0]) : try jsonText(reports))
            return
        }
        let text = ReportText.forStandardOutput
        for (sampler, report) in zip(samplers, reports) {
            let title = "leak-history watch: source '\(sampler.source)' (\(sampler.targetLabel)), run \(sampler.recorder.runID): "
                + "\(sampler.sampleCount) samples every \(Self.text(seconds: intervalSecs)) over \(Self.text(seconds: elapsedSecs))"
                + (sampler.endReason.map { "; \($0)" } ?? "")
            print(text.render(report, title: title), terminator: "")
            if let limitation = sampler.limitation { print("  note: \(limitation)") }
            print("")
        }
        let path = database.path
        print("Recorded in \(path). Look further:")
        for sampler in samplers {
            print("  leak-history report --db \(path) --source \(Self.shellQuoted(sampler.source))")
        }
    }

    private static func endReason(_ reason: WatchSession.StopReason) -> String {
        switch reason {
        case .targetsEnded: "the process exited"
        case .commandExited: "the command exited"
        case .durationElapsed: "--duration reached"
        case .interrupted: "interrupted"
        }
    }

    /// Seconds in a duration option (`250ms`, `1s`, `2m`, a bare number is seconds).
    static func seconds(_ text: String, option: String) throws -> Double {
        do {
            return Double(try DurationText.milliseconds(text, field: option)) / 1000
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// `seconds` as a person reads it: `250 ms`, `1 s`, `20.4 s`, `2 min`, `1.5 h`.
    static func text(seconds: Double) -> String {
        func trimmed(_ v: Double) -> String {
            abs(v - v.rounded()) < 0.05 ? String(Int(v.rounded())) : String(format: "%.1f", v)
        }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 120 { return "\(trimmed(seconds)) s" }
        if seconds < 7200 { return "\(trimmed(seconds / 60)) min" }
        return "\(trimmed(seconds / 3600)) h"
    }

    static func shellQuoted(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./:@%+=".contains($0) }
        return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// SIGINT and SIGTERM, caught so a watch stops cleanly: the handler only
/// notes the signal and wakes the watch loop through its pipe (both
/// async-signal-safe); the loop then stops, ends the runs and reports.
///
/// ```swift
/// WatchInterrupts.install(waking: wakeup)
/// defer { WatchInterrupts.restore() }
/// ```
///
/// A signal that was ignored when leak-history started (`nohup`, a
/// background job of a non-interactive shell) stays ignored.
enum WatchInterrupts {
    private static let signalNumber = Atomic<Int32>(0)
    private static let signalCount = Atomic<Int>(0)
    private static let sentByTerminal = Atomic<Bool>(false)
    private static let wakeDescriptor = Atomic<Int32>(-1)

    /// The first signal caught, if any.
    static var received: Int32? {
        let signal = signalNumber.load(ordering: .acquiring)
        return signal == 0 ? nil : signal
    }

    /// How many signals were caught: a second Ctrl-C means "now".
    static var count: Int { signalCount.load(ordering: .acquiring) }

    static func install(waking wakeup: WatchWakeup) {
        // Touch every static first: their lazy initialisation is not signal-safe.
        signalNumber.store(0, ordering: .releasing)
        signalCount.store(0, ordering: .releasing)
        sentByTerminal.store(false, ordering: .releasing)
        wakeDescriptor.store(wakeup.signalSafeFileDescriptor, ordering: .releasing)
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = { signal, info, _ in
            if WatchInterrupts.signalNumber.compareExchange(expected: 0, desired: signal, ordering: .acquiringAndReleasing).exchanged {
                // The terminal sends Ctrl-C to the whole foreground process group:
                // a child in ours already has it.
                WatchInterrupts.sentByTerminal.store((info?.pointee.si_code ?? 0) == SI_KERNEL, ordering: .releasing)
            }
            WatchInterrupts.signalCount.wrappingAdd(1, ordering: .acquiringAndReleasing)
            var byte: UInt8 = 1
            _ = write(WatchInterrupts.wakeDescriptor.load(ordering: .acquiring), &byte, 1)
        }
        action.sa_flags = SA_SIGINFO
        sigemptyset(&action.sa_mask)
        for signal in [SIGINT, SIGTERM] {
            var previous = sigaction()
            sigaction(signal, nil, &previous)
            if unsafeBitCast(previous.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                continue
            }
            sigaction(signal, &action, nil)
        }
    }

    /// Puts back the default actions (leaving ignored signals ignored).
    static func restore() {
        for signal in [SIGINT, SIGTERM] {
            var current = sigaction()
            sigaction(signal, nil, &current)
            if current.sa_flags & SA_SIGINFO != 0 { Glibc.signal(signal, SIG_DFL) }
        }
        wakeDescriptor.store(-1, ordering: .releasing)
    }

    /// Whether the caught signal must be passed on to `child`: not when the
    /// terminal already delivered it to the process group the child is in.
    static func shouldForward(to child: ChildProcess) -> Bool {
        !(sentByTerminal.load(ordering: .acquiring) && getpgid(child.pid) == getpgrp())
    }
}

/// Progress on standard error: one line rewritten in place on a terminal,
/// plain periodic lines otherwise (a log, a CI job).
final class ProgressDisplay {
    let isTerminal = isatty(STDERR_FILENO) != 0
    /// How often a status is worth computing: each one costs a report per process.
    let statusIntervalSecs: Double
    private var lineIsOpen = false
    private let width: Int

    init(intervalSecs: Double) {
        statusIntervalSecs = isTerminal ? max(1, intervalSecs) : max(5, intervalSecs)
        // Without ioctl (variadic, not callable from Swift) the width comes from COLUMNS.
        width = ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) }.map { max(20, $0) } ?? 80
    }

    /// Prints a line of its own (above the live line on a terminal).
    func note(_ text: String) {
        clear()
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    func show(_ statuses: [WatchStatus], _ elapsedSecs: Double) {
        if isTerminal {
            var line = "[\(Int(elapsedSecs)) s] "
                + statuses.map { Self.summary($0, withPID: false) }.joined(separator: " | ")
            if line.count > width - 1 { line = String(line.prefix(width - 2)) + "…" }
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            lineIsOpen = true
        } else {
            let stamp = String(format: "[%7.1f s]", elapsedSecs)
            let lines = statuses.map { "\(stamp) \(Self.summary($0, withPID: true))\n" }.joined()
            FileHandle.standardError.write(Data(lines.utf8))
        }
    }

    /// Clears the live line, so what follows starts on a clean line.
    func finish() {
        clear()
    }

    private func clear() {
        guard lineIsOpen else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        lineIsOpen = false
    }

    static func summary(_ status: WatchStatus, withPID: Bool) -> String {
        var text = status.source
        if withPID, let pid = status.pid { text += " (pid \(pid))" }
        guard let bytes = status.currentBytes else { return text + ": no sample yet" }
        text += ": \(megabytes(bytes))"
        if let trend = status.trend, trend.status == .leaking || trend.status == .notLeaking {
            text += ", \(trend.rateText)"
            if status.hasLeaks, let since = trend.growingSinceMs {
                text += " since \(AnalysisText.timestamp(ms: since))"
            }
            text += ", " + (status.hasLeaks ? "LEAKING so far" : "no leak so far")
            if let secs = trend.timeToLimitSecs { text += ", limit in \(AnalysisText.duration(ms: secs * 1000))" }
        } else {
            text += ", collecting samples (\(status.sampleCount) of \(status.samplesForTrend) for a trend)"
        }
        if status.isEnded { text += ", ended" }
        return text
    }

    static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f MB", Double(bytes) / Double(ByteSize.bytesPerMB))
    }
}
