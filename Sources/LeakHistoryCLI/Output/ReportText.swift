import Foundation
import LeakHistory

/// A report as a person reads it in a terminal: verdict first, then the
/// candidates as a table, then the recommendations. Colour only on a terminal.
struct ReportText {
    var colour: Bool

    static var forStandardOutput: ReportText {
        ReportText(colour: terminalSupportsColour(STDOUT_FILENO))
    }

    func render(_ report: LeakReport, title: String) -> String {
        var out = "\(bold(title))\n"
        out += "  verdict:  \(verdictLine(report))\n"
        out += "  usage:    \(mb(report.currentBytes)) now"
        if let baseline = report.baselineBytes { out += ", baseline \(mb(baseline))" }
        out += "; first-vs-last \(String(format: "%+.2f", report.overallGrowthRate))% over \(report.sampleCount) samples"
        out += " (seed figure \(String(format: "%+.2f", report.growthMBPerMinute)) MB/min)\n"
        if let trend = report.trend {
            out += "  trend:    \(trend.explanation)\n"
        }
        if report.leakCandidates.isEmpty {
            out += "  candidates: none\n"
        } else {
            var rows = [["SEVERITY", "COMPONENT", "HELD", "GROWTH", "SHARE", "RATE", "NET ALLOCS", "AGE"]]
            for c in report.leakCandidates {
                rows.append([c.severity.rawValue, c.component, mb(c.allocatedBytes), "+" + mb(c.growthBytes),
                             String(format: "%.1f%%", c.growthRate), c.trend?.rateText ?? "—",
                             c.allocations == nil ? "—" : "\(c.netAllocations)", "\(c.ageSecs) s"])
            }
            out += "  candidates:\n"
            out += table(rows, severityColumn: 0).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        }
        out += "  recommendations:\n"
        for line in report.recommendations { out += "    - \(line)\n" }
        return out
    }

    /// `LEAKING since 2026-12-01T09:14:05Z, +38.20 MiB/h`, `no leak`, `insufficient data`, `no data`.
    func verdictLine(_ report: LeakReport) -> String {
        guard report.hasLeaks else {
            switch report.trend?.status {
            case .insufficientData: return paint("insufficient data", .yellow)
            case .noData: return paint("no data", .yellow)
            default: return paint("no leak", .green)
            }
        }
        var line = paint("LEAKING", .red)
        if let trend = report.trend, trend.isLeaking {
            if let since = trend.growingSinceMs { line += " since \(AnalysisText.timestamp(ms: since))" }
            line += ", \(trend.rateText)"
        } else if let top = report.leakCandidates.first {
            line += " in '\(top.component)'" + (top.trend.map { ", \($0.rateText)" } ?? "")
        }
        return line
    }

    /// The one rate of a report, the figure its verdict line gives: the usage
    /// trend's fitted rate since the regime began (`rate_text`), or, when only
    /// a component leaks, that component's (`+47.58 MiB/h in sessions`); "—"
    /// when the window has too few samples for a trend. The overview's RATE
    /// column prints it, so it always equals the single-source report's.
    static func rate(_ report: LeakReport) -> String {
        guard let trend = report.trend, trend.status == .leaking || trend.status == .notLeaking else { return "—" }
        if report.hasLeaks, !trend.isLeaking, let top = report.leakCandidates.first, let own = top.trend {
            return "\(own.rateText) in \(top.component)"
        }
        return trend.rateText
    }

    private func table(_ rows: [[String]], severityColumn: Int) -> String {
        var widths = Array(repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.enumerated().map { index, row in
            row.enumerated().map { i, cell in
                let padded = cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                if index == 0 { return bold(padded) }
                if i == severityColumn, let severity = LeakSeverity(rawValue: cell) { return paint(padded, colour(of: severity)) }
                return padded
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// One decimal, rounded down like the seed's integer MB fields, so the
    /// table never shows more than the JSON's `allocated_mb`.
    private func mb(_ bytes: Int64) -> String { Self.megabytes(bytes) }

    /// `12.3 MB` (MiB, one decimal, rounded down): the one size format of the
    /// CLI's tables and progress lines.
    static func megabytes(_ bytes: Int64) -> String {
        let tenths = (Double(bytes) / Double(ByteSize.bytesPerMB) * 10).rounded(.towardZero) / 10
        return String(format: "%.1f MB", tenths)
    }

    enum Colour: String {
        case red = "31", yellow = "33", green = "32", blue = "34", magenta = "35"
    }

    private func colour(of severity: LeakSeverity) -> Colour {
        switch severity {
        case .critical: .magenta
        case .high: .red
        case .medium: .yellow
        case .low: .blue
        }
    }

    func paint(_ text: String, _ colour: Colour) -> String {
        self.colour ? "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m" : text
    }

    func bold(_ text: String) -> String {
        colour ? "\u{1B}[1m\(text)\u{1B}[0m" : text
    }
}
