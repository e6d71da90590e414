import ArgumentParser
import Foundation
import LeakHistory
import LeakHistoryWatch
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
            A command or --pid is watched with all its descendants, found again in /proc at \
            every sample. The usage snapshot is the tree's total: the sum of each process's \
            PSS (/proc/PID/smaps_rollup, so pages shared between the processes count once) \
            where it is readable, of its RSS where not; the report says which. Gauge \
            components: rss_anon, rss_file, rss_shmem, swap and pss, summed over the tree, \
            and once the tree holds two programs, one per program (proc:python3 worker.py, \
            the sum of its processes). --no-children watches the top process alone, with \
            VmRSS as the total. With --cgroup: memory.current, and anon, file, kernel, sock \
            and shmem from memory.stat.

            Each watched process is a source and each watch starts a new run of it. The \
            default name is the program's, or for an interpreter (python3, node, ruby, java, \
            a shell …) the file name of the script or module it runs: `python3 leaky.py` and \
            a later `--pid` of that same process are both `leaky.py`; `redis-server \
            /etc/redis.conf` is `redis-server`. --source overrides it.

            With a command, leak-history starts it in a process group of its own, watches \
            it until it and its descendants have exited, and exits with its status (128 + N \
            when signal N killed it). --duration, Ctrl-C, SIGTERM and a closed standard \
            output stop the whole tree: the signal (SIGTERM for --duration and a closed \
            output), SIGTERM a second later, SIGKILL after --grace (Ctrl-C twice: at once). \
            The exit status is then 124 for --duration (as timeout(1)), 141 (128 + SIGPIPE) \
            for a closed output, the command's own for a signal. When standard output is \
            gone the report goes to standard error. --fail-on-leak: exit status 3 when the \
            final verdict of any watched source is leaking, whatever the command's status; \
            a watch that --duration ended then exits 0 when nothing leaks.

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
    var interval: DurationOption = "1s"

    @Option(help: ArgumentHelp("Stop after this long: 30s, 10m, 2h … (default: until the processes exit or Ctrl-C).",
                               valueName: "duration"))
    var duration: DurationOption?

    @Option(name: .customLong("source"), help: ArgumentHelp(
        "The source to record under (default: the command's or process's name, or the cgroup's directory name); with several --pid, one per --pid, in order.",
        valueName: "name"))
    var sources: [String] = []

    @Option(help: ArgumentHelp(
        "The version of the program this run is (1.4.2, a commit …), recorded with the run, so `compare --versions` can tell whether a version brought a leak.",
        valueName: "version"))
    var version: String?

    @Option(name: .customLong("label"), help: ArgumentHelp(
        "A label recorded with the run, key=value (host=web-1, commit=ab12cd); repeat for several (at most 16).",
        valueName: "key=value"))
    var labels: [String] = []

    @Flag(help: "Print the report as JSON instead of text (an array when several processes are watched).")
    var json = false

    @Flag(help: "Do not read /proc/PID/smaps_rollup: no pss component, and RSS totals. Reading it walks every mapping of the process under its memory-map lock, which costs a very large process time at short intervals.")
    var noPss = false

    @Option(help: ArgumentHelp(
        "Read PSS (smaps_rollup) of each process at most this often (less often while it stays where RSS carries it, see --pss-max-interval), sooner when its RSS moved by more than --pss-rss-change; in between, PSS follows RSS (0: at every sample).",
        valueName: "duration"))
    var pssInterval: DurationOrZeroOption = "10s"

    @Option(help: ArgumentHelp("The RSS change, in percent, that makes a PSS read due before --pss-interval.", valueName: "percent"))
    var pssRssChange: Double = 1

    @Option(help: ArgumentHelp(
        "While PSS reads keep finding PSS where RSS had carried it (within --pss-rss-change), each doubles the wait for the next, from --pss-interval up to this (default: 2m, or --pss-interval if longer; equal to --pss-interval: a fixed schedule).",
        valueName: "duration"))
    var pssMaxInterval: DurationOrZeroOption?

    @Flag(help: "Watch the process alone, not its descendants.")
    var noChildren = false

    @Option(help: ArgumentHelp("How long a stopped command's processes get after SIGTERM before SIGKILL.", valueName: "duration"))
    var grace: DurationOption = "5s"

    @Flag(help: "Exit with status 3 when the final verdict is leaking (for CI soak tests).")
    var failOnLeak = false

    @OptionGroup(title: "Detection") var detection: DetectionOptions

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
        let intervalSecs = interval.seconds
        guard intervalSecs >= 0.01, intervalSecs <= 3600 else {
            throw ValidationError("--interval must be between 10ms and 1h.")
        }
        guard grace.seconds <= 3600 else { throw ValidationError("--grace must be at most 1h.") }
        guard pssInterval.seconds <= 86_400 else {
            throw ValidationError("--pss-interval must be at most 24h.")
        }
        if let pssMaxInterval {
            let longest = pssMaxInterval.seconds
            guard longest <= 86_400 else { throw ValidationError("--pss-max-interval must be at most 24h.") }
            guard longest >= pssInterval.seconds else {
                throw ValidationError("--pss-max-interval must be at least --pss-interval (\(pssInterval)).")
            }
        }
        guard pssRssChange.isFinite, pssRssChange >= 0, pssRssChange <= 100 else {
            throw ValidationError("--pss-rss-change must be a percentage between 0 and 100.")
        }
        if noChildren && cgroup != nil {
            throw ValidationError("--no-children applies to processes; --cgroup samples the whole cgroup.")
        }
        _ = try watchConfig(intervalSecs: 1, durationSecs: nil)
        _ = try deployment()
    }

    /// `--version` and the `--label`s, checked.
    private func deployment() throws -> RunDeployment {
        do {
            var parsed: [String: String] = [:]
            for text in labels {
                let (key, value) = try RunDeployment.parseLabel(text, field: "--label")
                guard parsed.updateValue(value, forKey: key) == nil else {
                    throw InputError(field: "--label", message: "'\(key)' is given twice")
                }
            }
            if let version { try RunDeployment.validateVersion(version, field: "--version") }
            return try RunDeployment(version: version, labels: parsed)
        } catch let error as InputError {
            throw ValidationError("\(error)")
        }
    }

    /// The watch's detection settings: a window for the whole watch, with the
    /// thresholds, warm-up and limit given on the command line.
    private func watchConfig(intervalSecs: Double, durationSecs: Double?) throws -> LeakDetectionConfig {
        let given: LeakDetectionConfig
        do { given = try detection.config() } catch let error as ValidationError { throw error } catch {
            throw ValidationError("\(error)")
        }
        var config = LeakDetectionConfig.forWatch(intervalSecs: intervalSecs, durationSecs: durationSecs)
        config.growthThreshold = given.growthThreshold
        config.warmupSecs = given.warmupSecs
        config.memoryLimitBytes = given.memoryLimitBytes
        config.growthFloorBytes = given.growthFloorBytes
        try config.validate()
        return config
    }

    private var pssSchedule: PSSSchedule {
        let shortest = pssInterval.seconds
        let longest = pssMaxInterval?.seconds ?? 120
        return PSSSchedule(maxAgeSecs: shortest, rssChangeFraction: pssRssChange / 100, longestAgeSecs: max(shortest, longest))
    }

    func run() throws {
        let intervalSecs = interval.seconds
        let durationSecs = duration?.seconds
        let config = try watchConfig(intervalSecs: intervalSecs, durationSecs: durationSecs)
        // A closed standard output must be an EPIPE to notice, not a SIGPIPE that kills the watch.
        signal(SIGPIPE, SIG_IGN)
        let wakeup = try WatchWakeup(hangupDescriptor: STDOUT_FILENO)
        WatchInterrupts.install(waking: wakeup)
        // The handler writes to the wakeup's pipe: it must be gone before the pipe is closed.
        defer { WatchInterrupts.restore(); withExtendedLifetime(wakeup) {} }

        var child: ChildProcess?
        var stopTree: ProcessTree?
        if !command.isEmpty {
            // Orphans of the command are re-parented to leak-history, so they stay in the tree.
            ProcessTreeStopper.becomeSubreaper()
            do {
                let started = try ChildProcess.spawn(command, onExit: { wakeup.wake() })
                child = started
                stopTree = ProcessTree(root: started.pid, adopter: getpid())
            } catch {
                printError("error: \(error)")
                throw ExitCode(error.shellExitStatus ?? 1)
            }
        }
        let samplers: [MemorySampler]
        do {
            samplers = try makeSamplers(child: child, config: config)
        } catch {
            if let child, let stopTree {
                if let status = child.waitForExit(timeoutSecs: 0.5), stopTree.scan().isEmpty {
                    printError("leak-history: '\(command[0])' \(status) before it could be sampled; nothing was recorded")
                    throw ExitCode(status.shellStatus)
                }
                _ = ProcessTreeStopper.stop(child, tree: stopTree, firstSignal: SIGTERM, graceSecs: graceSecs)
            }
            printError("error: \(error)")
            throw ExitCode.failure
        }

        let display = ProgressDisplay(intervalSecs: intervalSecs)
        // A tree's watch ends when the whole tree has exited; the top process alone or a cgroup, with the command.
        let watchesTree = child != nil && cgroup == nil && !noChildren
        let session = WatchSession(samplers: samplers, intervalSecs: intervalSecs, durationSecs: durationSecs,
                                   wakeup: wakeup, command: watchesTree ? nil : child)
        session.statusIntervalSecs = display.statusIntervalSecs
        // About one flush per sample, at most ten a second: every sample's parts are stored.
        session.flushIntervalSecs = min(1, max(0.1, intervalSecs))
        let targets = samplers.map { "\($0.source) (\($0.targetLabel)\(noChildren || cgroup != nil ? "" : " and descendants"))" }
            .joined(separator: ", ")
        display.note("watching \(targets) every \(AnalysisText.duration(seconds: intervalSecs))"
            + (durationSecs.map { " for \(AnalysisText.duration(seconds: $0))" } ?? "") + "; Ctrl-C stops")
        let reason = session.run(isInterrupted: { WatchInterrupts.received != nil || wakeup.hasHungUp },
                                 onStatus: display.show)
        display.finish()
        let outputGone = wakeup.hasHungUp
        let stop: StopCause = switch reason {
        case .interrupted: WatchInterrupts.received.map(StopCause.signal) ?? (outputGone ? .outputClosed : .signal(SIGTERM))
        case .durationElapsed: .duration
        case .commandExited, .targetsEnded: .ended
        }

        // The runs end when the watch stops, whatever the command does next.
        var failed = !session.failures.isEmpty
        do {
            try session.endAll(reason: stop.endReason(outputGone: outputGone))
        } catch {
            printError("error: could not finish recording in \(database.path): \(error)")
            failed = true
        }
        var exitStatus: ExitStatus?
        var stoppedByWatch = false
        if let child, let stopTree {
            (exitStatus, stoppedByWatch) = settle(child, tree: stopTree, cause: stop, display: display)
        }

        let out = outputGone ? ReportOutput.standardError : .standardOutput
        let reports = samplers.map { $0.report() }
        try printReports(samplers, reports: reports, intervalSecs: intervalSecs, elapsedSecs: session.elapsedSecs, to: out)
        for failure in session.failures {
            printError("error: stopped watching '\(failure.source)': \(failure.error)")
        }
        if failOnLeak && reports.contains(where: \.hasLeaks) {
            printError("leak-history: --fail-on-leak: \(reports.filter(\.hasLeaks).count == reports.count && reports.count == 1 ? "the verdict is" : "a verdict is") leaking (exit status 3)")
            throw ExitCode(3)
        }
        if let exitStatus {
            if stoppedByWatch {
                switch stop {
                case .duration: throw ExitCode(failOnLeak && !failed ? 0 : 124)
                case .outputClosed: throw ExitCode(128 + SIGPIPE)
                case .signal, .ended: break
                }
            }
            if exitStatus.shellStatus != 0 { throw ExitCode(exitStatus.shellStatus) }
        }
        if failed { throw ExitCode.failure }
    }

    /// Why the watch stopped, as far as stopping the command goes.
    private enum StopCause {
        case signal(Int32)
        case duration
        case outputClosed
        /// What was watched ended by itself (or can no longer be sampled).
        case ended

        func endReason(outputGone: Bool) -> String {
            switch self {
            case .signal: "interrupted"
            case .duration: "--duration reached"
            case .outputClosed: "standard output was closed"
            case .ended: "the process exited"
            }
        }
    }

    private var graceSecs: Double { grace.seconds }

    /// One sampler per process (with its descendants unless --no-children), or one for the cgroup.
    private func makeSamplers(child: ChildProcess?, config: LeakDetectionConfig) throws -> [MemorySampler] {
        let path = database.path
        let readPSS = !noPss
        let schedule = pssSchedule
        // The session flushes after its ticks (`flushSecs`), not a timer of each recorder.
        let flushSecs = 0.0
        let deployment = try deployment()
        func sampler(pid: Int32, adopter: Int32?, source: String?, command: String?) throws -> MemorySampler {
            if noChildren {
                return try MemorySampler(pid: pid, databasePath: path, source: source, command: command, config: config,
                                         deployment: deployment, readPSS: readPSS, pssSchedule: schedule, flushIntervalSecs: flushSecs)
            }
            return try MemorySampler(processTree: pid, adopter: adopter, databasePath: path, source: source, command: command,
                                     config: config, deployment: deployment, readPSS: readPSS, pssSchedule: schedule,
                                     flushIntervalSecs: flushSecs)
        }
        if let child {
            let source = sources.first ?? MemorySampler.defaultSource(arguments: command)
            let commandLine = command.joined(separator: " ")
            if let cgroup {
                return [try MemorySampler(cgroupPath: cgroup, databasePath: path, source: source, pid: child.pid,
                                          command: commandLine, config: config, deployment: deployment, flushIntervalSecs: flushSecs)]
            }
            return [try sampler(pid: child.pid, adopter: getpid(), source: source, command: commandLine)]
        }
        if let cgroup {
            return [try MemorySampler(cgroupPath: cgroup, databasePath: path, source: sources.first, config: config,
                                      deployment: deployment, flushIntervalSecs: flushSecs)]
        }
        let names = sources.isEmpty ? try MemorySampler.defaultSources(pids: pids) : sources
        var samplers: [MemorySampler] = []
        do {
            for (pid, source) in zip(pids, names) {
                samplers.append(try sampler(pid: pid, adopter: nil, source: source, command: nil))
            }
        } catch {
            // Runs opened for the processes before the bad one end at once.
            for sampler in samplers { try? sampler.end(reason: "the watch did not start") }
            throw error
        }
        return samplers
    }

    /// Stops what is left of the command's tree after the watch stopped.
    /// Returns the command's exit status and whether the watch stopped it.
    private func settle(_ child: ChildProcess, tree: ProcessTree, cause: StopCause,
                        display: ProgressDisplay) -> (ExitStatus, stoppedByWatch: Bool) {
        let firstSignal: Int32
        let what = "'\(command[0])' (pid \(child.pid)) and its descendants"
        switch cause {
        case .signal(let signal):
            firstSignal = signal
        case .duration:
            if child.exitStatus == nil { display.note("--duration reached: stopping \(what)") }
            firstSignal = SIGTERM
        case .outputClosed:
            if child.exitStatus == nil { display.note("standard output was closed: stopping \(what)") }
            firstSignal = SIGTERM
        case .ended:
            if child.waitForExit(timeoutSecs: 2) == nil {
                // Sampling failed while the command still runs: a watch cannot go on without it.
                display.note("stopping \(what): it can no longer be sampled")
            }
            firstSignal = SIGTERM
        }
        let wasRunning = child.exitStatus == nil
        let status = ProcessTreeStopper.stop(
            child, tree: tree, firstSignal: firstSignal, graceSecs: graceSecs,
            hurry: { WatchInterrupts.count >= 2 },
            onWait: { left in
                display.note("waiting for \(left == 1 ? "1 process" : "\(left) processes") of '\(command[0])' to exit"
                    + "; SIGKILL after \(AnalysisText.duration(seconds: graceSecs)), Ctrl-C again kills at once")
            })
        if let status { return (status, wasRunning) }
        display.note("leak-history: processes of '\(command[0])' are still there 30 s after SIGKILL (stuck in the kernel)")
        return (child.exitStatus ?? .signalled(SIGKILL), wasRunning)
    }

    private func printReports(_ samplers: [MemorySampler], reports: [LeakReport], intervalSecs: Double, elapsedSecs: Double,
                              to out: ReportOutput) throws {
        if json {
            out.write((reports.count == 1 ? try jsonText(reports[0]) : try jsonText(reports)) + "\n")
            return
        }
        let text = ReportText.forStandardOutput
        var lines = ""
        for (sampler, report) in zip(samplers, reports) {
            if sampler.recordedNothing {
                lines += "leak-history watch: source '\(sampler.source)' (\(sampler.targetLabel)): "
                    + "\(sampler.endReason ?? "the watch stopped") before its first sample; nothing was recorded\n\n"
                continue
            }
            let title = "leak-history watch: source '\(sampler.source)' (\(sampler.targetLabel)), run \(sampler.recorder.runID)\(sampler.recorder.deployment.version.map { " of version \($0)" } ?? ""): "
                + "\(sampler.sampleCount) samples every \(AnalysisText.duration(seconds: intervalSecs)) over \(AnalysisText.duration(seconds: elapsedSecs))"
                + (sampler.endReason.map { "; \($0)" } ?? "")
            lines += text.render(report, title: title)
            lines += Self.treeLines(sampler, report: report)
            if let limitation = sampler.limitation { lines += "  note: \(limitation)\n" }
            lines += "\n"
        }
        let path = database.path
        let recorded = samplers.filter { !$0.recordedNothing }
        guard !recorded.isEmpty else {
            out.write(lines)
            return
        }
        lines += "Recorded in \(path). Look further:\n"
        for sampler in recorded {
            lines += "  leak-history report --db \(path) --source \(Self.shellQuoted(sampler.source))\n"
            if sampler.recorder.deployment.version != nil {
                lines += "  leak-history compare --db \(path) --source \(Self.shellQuoted(sampler.source))   # this run against the one before it\n"
            }
        }
        out.write(lines)
    }

    /// What a tree's total is made of, which program grows, and the time to the memory limit.
    static func treeLines(_ sampler: MemorySampler, report: LeakReport) -> String {
        var lines = ""
        if let usage = sampler.treeUsage {
            let seen = sampler.treeProcessesSeen ?? usage.processes
            lines += "  usage: \(usage) of the tree at the last sample (\(seen) seen in all)\n"
        }
        let programs = sampler.programs()
        if !programs.isEmpty {
            lines += "  programs in the tree:\n"
            let width = programs.map(\.program.count).max() ?? 0
            for program in programs {
                let growth = program.lastBytes - program.firstBytes
                let verdict = program.trend.isLeaking ? "GROWING, " + program.trend.rateText + (program.trend.growingSinceMs.map { " since " + AnalysisText.timestamp(ms: $0) } ?? "")
                    : program.lastBytes == 0 ? "exited" : "not growing"
                lines += "    \(program.program.padding(toLength: width, withPad: " ", startingAt: 0))  "
                    + "\(ReportText.megabytes(program.lastBytes)) (\(growth >= 0 ? "+" : "")\(ReportText.megabytes(growth))), \(verdict)\n"
            }
        }
        if let limit = sampler.memoryLimitBytes {
            let limitText = ReportText.megabytes(limit)
            if let secs = report.trend?.timeToLimitSecs {
                lines += "  memory limit \(limitText): reached in about \(AnalysisText.duration(seconds: secs)) at the fitted rate\n"
            } else {
                lines += "  memory limit \(limitText): not approached (usage is not rising)\n"
            }
        }
        return lines
    }

    static func shellQuoted(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./:@%+=".contains($0) }
        return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
