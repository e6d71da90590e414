import ArgumentParser
import Foundation
import LeakHistory
import LeakHistoryWatch

/// The first command a newcomer runs: starts two real child processes — one
/// that leaks at a known rate, one that allocates and frees in a steady
/// sawtooth — watches both from `/proc`, records them on the default database
/// and prints both verdicts.
///
/// ```sh
/// leak-history demo                 # about 20 s
/// leak-history demo --seconds 10 --db /tmp/demo.sqlite
/// ```
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch a real leaking process and a real steady one, and print the verdicts.",
        discussion: """
            Starts two children of this same executable (the hidden `workload` command): \
            'demo-leaker' writes new memory at a steady rate and never frees it; \
            'demo-steady' fills memory and frees all of it, over and over. Both are sampled \
            from /proc every 250 ms, exactly as `leak-history watch` samples any process, \
            and recorded on the chosen database as the sources demo-leaker and demo-steady. \
            Every figure printed comes from real /proc samples, the real detector and the \
            real SQLite file.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "How long to watch the two children, in seconds.")
    var seconds: Double = 20

    @Option(help: "How fast the leaking child leaks, in MB (MiB) per second.")
    var leakMbPerSec: Double = 4

    static let intervalSecs = 0.25
    static let leakerSource = "demo-leaker"
    static let steadySource = "demo-steady"
    static let sawtoothAmplitudeMB = 32

    /// Ten teeth per watch (2 s each over the default 20 s), so the fit sees the
    /// sawtooth as the noise it is rather than as a slope; with only two or
    /// three teeth in the window, the rising edge of a tooth can read as growth.
    var sawtoothPeriodSecs: Double { min(2, max(0.5, seconds / 10)) }

    func validate() throws {
        guard seconds.isFinite, seconds >= 5, seconds <= 600 else {
            throw ValidationError("--seconds must be between 5 and 600: the trend needs a few seconds of samples.")
        }
        guard leakMbPerSec.isFinite, leakMbPerSec >= 0.5, leakMbPerSec <= 64 else {
            throw ValidationError("--leak-mb-per-sec must be between 0.5 and 64.")
        }
    }

    func run() throws {
        let executable = try Self.ownExecutable()
        let path = database.path
        // The children stop on their own a little after the watch, should this process die first.
        let lifetime = String(Int(seconds) + 30)
        let leakerArguments = [executable, "workload", "leak", "--rate-mb-per-sec", Self.number(leakMbPerSec), "--seconds", lifetime]
        let steadyArguments = [executable, "workload", "sawtooth", "--amplitude-mb", String(Self.sawtoothAmplitudeMB),
                               "--period-secs", Self.number(sawtoothPeriodSecs), "--seconds", lifetime]

        let wakeup = try WatchWakeup()
        WatchInterrupts.install(waking: wakeup)
        defer { WatchInterrupts.restore(); withExtendedLifetime(wakeup) {} }

        var children: [ChildProcess] = []
        defer {
            // Never leave a workload behind, whatever happened.
            for child in children where child.exitStatus == nil { _ = child.terminate(graceSecs: 2) }
        }
        let samplers: [MemorySampler]
        do {
            children.append(try ChildProcess.spawn(leakerArguments, onExit: { wakeup.wake() }))
            children.append(try ChildProcess.spawn(steadyArguments, onExit: { wakeup.wake() }))
            // Let both finish starting up (the runtime maps its libraries and
            // heap), so the first samples show the workloads, not the launch.
            usleep(500_000)
            let config = LeakDetectionConfig.forWatch(intervalSecs: Self.intervalSecs, durationSecs: seconds)
            samplers = [
                try MemorySampler(pid: children[0].pid, databasePath: path, source: Self.leakerSource,
                                  command: Self.display(leakerArguments), config: config, flushIntervalSecs: Self.intervalSecs),
                try MemorySampler(pid: children[1].pid, databasePath: path, source: Self.steadySource,
                                  command: Self.display(steadyArguments), config: config, flushIntervalSecs: Self.intervalSecs),
            ]
        } catch {
            printError("leak-history demo: \(error)")
            throw ExitCode.failure
        }

        let text = ReportText.forStandardOutput
        print(text.bold("LeakHistory demo: two real child processes, sampled from /proc every 250 ms for \(AnalysisText.duration(seconds: seconds)), recorded in \(path)"))
        print("  \(Self.leakerSource)  pid \(children[0].pid)  \(Self.display(leakerArguments))")
        print("               writes \(Self.number(leakMbPerSec)) MB of new memory every second and never frees it")
        print("  \(Self.steadySource)  pid \(children[1].pid)  \(Self.display(steadyArguments))")
        print("               fills \(Self.sawtoothAmplitudeMB) MB over \(Self.number(sawtoothPeriodSecs)) s, frees all of it, and again: steady, no leak")
        print("")
        fflush(nil)

        let display = ProgressDisplay(intervalSecs: Self.intervalSecs)
        let session = WatchSession(samplers: samplers, intervalSecs: Self.intervalSecs, durationSecs: seconds, wakeup: wakeup)
        session.statusIntervalSecs = display.statusIntervalSecs
        let reason = session.run(isInterrupted: { WatchInterrupts.received != nil }, onStatus: display.show)
        display.finish()
        var failed = false
        do {
            try session.endAll(reason: reason == .interrupted ? "interrupted" : "the demo ended")
        } catch {
            printError("leak-history demo: could not finish recording in \(path): \(error)")
            failed = true
        }
        for child in children where child.exitStatus == nil { _ = child.terminate(graceSecs: 2) }

        let leakerReport = samplers[0].report()
        let steadyReport = samplers[1].report()
        for (sampler, report) in zip(samplers, [leakerReport, steadyReport]) {
            let title = "\(sampler.source) (pid \(sampler.pid ?? 0)), run \(sampler.recorder.runID): "
                + "\(sampler.sampleCount) samples over \(AnalysisText.duration(seconds: session.elapsedSecs))"
            print(text.render(report, title: title))
        }

        let measured = (leakerReport.trend?.rateBytesPerHour ?? 0) / 3600 / Double(ByteSize.bytesPerMB)
        let leakerRight = leakerReport.hasLeaks && leakerReport.trend?.isLeaking == true
        let steadyRight = !steadyReport.hasLeaks && steadyReport.trend?.isLeaking != true
        print(text.bold("Verdicts"))
        print("  \(Self.leakerSource): " + (leakerReport.hasLeaks ? text.paint("LEAKING", .red) : text.paint("no leak", .green))
            + String(format: " — true rate %.2f MiB/s, measured %.2f MiB/s (fitted rate of RSS since onset)", leakMbPerSec, measured))
        print("  \(Self.steadySource): " + (steadyReport.hasLeaks ? text.paint("LEAKING", .red) : text.paint("no leak", .green))
            + " — " + (steadyReport.trend?.explanation ?? "too few samples for a trend"))
        if !leakerRight || !steadyRight || reason == .interrupted {
            print("")
            print(reason == .interrupted
                ? "The demo was interrupted before the end; the verdicts cover what was sampled."
                : "Unexpected verdicts: this machine may have been too busy to run the children on time.")
        }
        print("""

            Look further:
              leak-history report --db \(WatchCommand.shellQuoted(path)) --source \(Self.leakerSource)
              leak-history report --db \(WatchCommand.shellQuoted(path)) --source \(Self.steadySource) --json
              leak-history watch --db \(WatchCommand.shellQuoted(path)) -- <your command>
              leak-history serve --db \(WatchCommand.shellQuoted(path))
            """)
        if failed || (reason != .interrupted && !(leakerRight && steadyRight)) { throw ExitCode.failure }
    }

    /// This executable's path: the children run its hidden `workload` command.
    static func ownExecutable() throws -> String {
        do {
            return try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        } catch {
            printError("leak-history demo: cannot find this executable through /proc/self/exe: \(error)")
            throw ExitCode.failure
        }
    }

    /// A command line as a person would type it, with the executable's name only.
    static func display(_ arguments: [String]) -> String {
        (["leak-history"] + arguments.dropFirst()).joined(separator: " ")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%g", value)
    }
}
