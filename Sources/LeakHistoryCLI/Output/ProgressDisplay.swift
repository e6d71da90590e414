import ArgumentParser
import Foundation
import LeakHistory
import LeakHistoryWatch
import Synchronization

/// Where the report goes: standard output, or standard error once standard output is gone.
enum ReportOutput {
    case standardOutput
    case standardError

    func write(_ text: String) {
        let handle = self == .standardOutput ? FileHandle.standardOutput : FileHandle.standardError
        // A write to a pipe closed meanwhile fails with EPIPE (SIGPIPE is ignored): nothing more to do.
        try? handle.write(contentsOf: Data(text.utf8))
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
        text += ": \(ReportText.megabytes(bytes))"
        if let processes = status.processCount, processes > 1 { text += " in \(processes) processes" }
        if let trend = status.trend, trend.status == .leaking || trend.status == .notLeaking {
            text += ", \(trend.rateText)"
            if status.hasLeaks, let since = trend.growingSinceMs {
                text += " since \(AnalysisText.timestamp(ms: since))"
            }
            text += ", " + (status.hasLeaks ? "LEAKING so far" : "no leak so far")
            if let limit = status.memoryLimitBytes {
                text += trend.timeToLimitSecs.map { ", \(ReportText.megabytes(limit)) limit in \(AnalysisText.duration(seconds: $0))" }
                    ?? ", \(ReportText.megabytes(limit)) limit not approached"
            }
        } else {
            // The trend counts the samples after --warmup only (an earlier status's trend: fewer).
            let counted = status.trendIsCurrent ? min(status.sampleCount, status.trend?.sampleCount ?? status.sampleCount)
                : status.sampleCount
            text += ", collecting samples (\(counted) of \(status.samplesForTrend) for a trend"
                + (counted < status.sampleCount ? " after the warm-up)" : ")")
        }
        if status.isEnded { text += ", ended" }
        return text
    }

}
