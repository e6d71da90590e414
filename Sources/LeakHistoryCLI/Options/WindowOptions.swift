import ArgumentParser
import Foundation
import LeakHistory

/// `--since D | --from T --to T`, shared by the commands that read a window.
struct WindowOptions: ParsableArguments {
    @Option(help: ArgumentHelp("How far back from now: 90s, 10m, 6h, 30d …", valueName: "duration"))
    var since: DurationOption?

    @Option(help: ArgumentHelp("Window start: 2026-11-24T10:00:00Z, an offset (+01:00), local time without one (2026-11-24 10:00), or Unix ms.", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("Window end, in the same forms (default: now).", valueName: "time"))
    var to: String?

    func validate() throws {
        if since != nil && from != nil && to != nil {
            throw ValidationError("Give --since with at most one of --from and --to.")
        }
    }

    /// The window asked for, or the last `defaultSpanMs` before now.
    func window(defaultSpanMs: Int64, nowMs: Int64) throws -> TimeWindow {
        try TimeWindow.resolve(since: since?.text, from: from, to: to, defaultSpanMs: defaultSpanMs, nowMs: nowMs)
    }

    /// The window asked for, `nil` when none was (the command then takes its source's default window).
    func requested(nowMs: Int64) throws -> TimeWindow? {
        guard since != nil || from != nil || to != nil else { return nil }
        return try window(defaultSpanMs: 0, nowMs: nowMs)
    }
}

/// Detection settings a report command can change.
struct DetectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Overall growth, in percent, above which growth alone is a leak.", valueName: "percent"))
    var growthThreshold: Double = 5.0

    @Option(help: ArgumentHelp("Ignore this long after each run starts (e.g. 30s, 5m).", valueName: "duration"))
    var warmup: DurationOption?

    @Option(help: ArgumentHelp("A memory limit in MiB; reports say when usage reaches it.", valueName: "mb"))
    var memoryLimitMb: Int64?

    @Option(help: ArgumentHelp("Fitted growth below this many MiB is never a leak.", valueName: "mb"))
    var growthFloorMb: Double = 1

    func config() throws -> LeakDetectionConfig {
        var config = LeakDetectionConfig(growthThreshold: growthThreshold)
        if let warmup { config.warmupSecs = warmup.wholeSeconds }
        if let memoryLimitMb {
            let (bytes, overflow) = memoryLimitMb.multipliedReportingOverflow(by: ByteSize.bytesPerMB)
            guard !overflow, memoryLimitMb > 0 else {
                throw ValidationError("--memory-limit-mb must be a positive number of MiB below \(Int64.max / ByteSize.bytesPerMB).")
            }
            config.memoryLimitBytes = bytes
        }
        guard growthFloorMb.isFinite, growthFloorMb >= 0, growthFloorMb <= Double(InputRules.maxBytes / ByteSize.bytesPerMB) else {
            throw ValidationError("--growth-floor-mb must be between 0 and \(InputRules.maxBytes / ByteSize.bytesPerMB) (1 PiB).")
        }
        config.growthFloorBytes = Int64(growthFloorMb * Double(ByteSize.bytesPerMB))
        try config.validate()
        return config
    }
}

/// Errors from the library become a clear message and exit code 1, never a crash.
func failing<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as InputError {
        throw CleanExit.failure("error: \(error)")
    } catch let error as ConfigurationError {
        throw CleanExit.failure("error: \(error)")
    } catch let error as ValidationError {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        throw CleanExit.failure("error: \(PlainError.message(for: error))")
    }
}

extension CleanExit {
    /// Prints `message` to standard error and exits with status 1.
    static func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return ExitCode.failure
    }
}

/// Writes text to standard error: progress and notes that must not mix into data on stdout.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

func nowMs() -> Int64 { UnixTime.milliseconds(Date()) }

func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
