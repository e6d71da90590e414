import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history compare`: run against run, or version against version.
///
/// ```sh
/// leak-history compare --source api                          # the newest run against the one before it
/// leak-history compare --source api --versions 1.4.1 1.4.2
/// leak-history compare --runs 3 7 --json
/// ```
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two runs or two versions of a source: did a version bring a leak, and where?",
        discussion: """
            Each side is judged after its warm-up (--warmup): its verdict, its rate (since onset \
            when it leaks, else the net fitted rate over the run), the time to \
            --memory-limit-mb, and per component the rate and the bytes held. A \
            version pools all its runs (restarts, hosts; the newest 20): the median of their \
            rates, with their spread. The newer side is a regression when its rate exceeds the \
            older one's by more than the larger of --floor-mb-per-hour and the runs' spread, so \
            one noisy run does not make a regression. The last line says it in plain words.

            Without --runs or --versions: the newest run against the one before it. Runs carry a \
            version when they were recorded with one (watch --version, LeakRecorder(version:), a \
            restart event with "version").
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("source"), help: ArgumentHelp(
        "The source (default: the only one, or the one that holds the --runs); repeat to pool the versions' runs over several (a program whose hosts are sources of their own).",
        valueName: "source"))
    var sources: [String] = []

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Two run ids, older first (as `runs` lists them).", valueName: "run"))
    var runs: [Int64] = []

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Two versions, older first.", valueName: "version"))
    var versions: [String] = []

    @Option(help: ArgumentHelp("The least difference of rates that is a regression, in MiB/h.", valueName: "mb"))
    var floorMbPerHour: Double = 1

    @OptionGroup(title: "Detection") var detection: DetectionOptions

    @Flag(help: "Print the comparison as JSON.")
    var json = false

    @Flag(help: "Exit with status 3 when the newer side is a regression (for CI).")
    var failOnRegression = false

    func validate() throws {
        if !runs.isEmpty && !versions.isEmpty {
            throw ValidationError("--runs and --versions are exclusive: compare two runs or two versions.")
        }
        if !runs.isEmpty && runs.count != 2 { throw ValidationError("--runs takes two run ids, older first (e.g. --runs 3 7).") }
        if !versions.isEmpty && versions.count != 2 {
            throw ValidationError("--versions takes two versions, older first (e.g. --versions 1.4.1 1.4.2).")
        }
        for version in versions {
            do { try RunDeployment.validateVersion(version, field: "--versions") } catch { throw ValidationError("\(error)") }
        }
        if sources.count > 1 && versions.isEmpty && runs.isEmpty {
            throw ValidationError("Several --source pool the runs of two --versions (or hold two --runs); the newest runs are compared within one source.")
        }
        guard floorMbPerHour.isFinite, floorMbPerHour >= 0, floorMbPerHour <= 1_048_576 else {
            throw ValidationError("--floor-mb-per-hour must be between 0 and 1048576 (1 TiB/h).")
        }
    }

    var selection: ComparisonSelection {
        if runs.count == 2 { return .runs(base: runs[0], target: runs[1]) }
        if versions.count == 2 { return .versions(base: versions[0], target: versions[1]) }
        return .newestRuns
    }

    func run() throws {
        let now = nowMs()
        let comparison = try failing { () throws -> RunComparison in
            let reader = try HistoryReader(path: database.path)
            defer { try? reader.close() }
            let names = try sources.isEmpty ? [runs.first.flatMap { try reader.source(holdingRun: $0) } ?? SourceOptions.onlySource(reader)] : sources
            return try reader.compare(sources: names, selection, config: try detection.config(),
                                      rule: RegressionRule(floorBytesPerHour: floorMbPerHour * Double(ByteSize.bytesPerMB)), nowMs: now)
        }
        if json {
            print(try jsonText(comparison))
        } else {
            print(CompareText(colour: terminalSupportsColour(STDOUT_FILENO)).render(comparison), terminator: "")
        }
        if failOnRegression && comparison.verdict == .regression { throw ExitCode(3) }
    }
}

/// A comparison as a person reads it: the two sides, their runs, the
/// components that moved, the regression verdict, and the words.
struct CompareText {
    var colour: Bool

    func render(_ c: RunComparison) -> String {
        let text = ReportText(colour: colour)
        var out = text.bold("Source '\(c.source)': \(c.base.label) → \(c.target.label)") + "\n"
        let sideHeader = c.basis == .versions ? "VERSION" : "RUN"
        var rows = [[sideHeader, "RUNS", "VERDICT", "RATE", "SPREAD", "LEAKING RUNS", "TIME TO LIMIT"]]
        for side in [c.base, c.target] {
            rows.append([side.label, "\(side.runs.count)", statusWord(side.status), AnalysisText.rate(bytesPerHour: side.rateBytesPerHour),
                         "±" + AnalysisText.rate(bytesPerHour: side.spreadBytesPerHour).dropFirst(),
                         "\(side.leakingRuns) of \(side.judgedRuns)", side.timeToLimitSecs.map { DurationText.spoken(Int64($0 * 1000)) } ?? "—"])
        }
        out += indent(textTable(rows))
        out += "  runs:\n"
        let pooled = Set((c.base.runs + c.target.runs).map(\.source)).count > 1
        var runRows = [(pooled ? ["SOURCE"] : []) + ["RUN", "VERSION", "STARTED (UTC)", "SAMPLES", "VERDICT", "RATE", "GROWING SINCE", "LABELS"]]
        for run in c.base.runs + c.target.runs {
            runRows.append((pooled ? [run.source] : []) + ["\(run.runID)", run.version ?? "—", timeCell(run.startedMs), "\(run.sampleCount)", statusWord(run.status),
                            run.isJudged ? AnalysisText.rate(bytesPerHour: run.rateBytesPerHour) : "—",
                            run.growingSinceMs.map { timeCell($0) } ?? "—",
                            run.deployment.labelText ?? "—"])
        }
        out += indent(textTable(runRows), by: 4)
        let moved = c.components.prefix(8)
        if !moved.isEmpty {
            out += "  components (rate; held at the end):\n"
            var componentRows = [["COMPONENT", c.base.label, c.target.label, "CHANGE", ""]]
            for change in moved {
                func cell(_ side: PooledFigures) -> String {
                    guard let component = side.component(change.name) else { return "—" }
                    return AnalysisText.rate(bytesPerHour: component.rateBytesPerHour) + "  " + AnalysisText.size(Double(component.heldBytes))
                        + (component.isLeaking ? " LEAKING" : "")
                }
                componentRows.append([change.name, cell(c.base), cell(c.target), AnalysisText.rate(bytesPerHour: change.changeBytesPerHour),
                                      change.isRegression ? "regression" : (change.isFixed ? "fixed" : "")])
            }
            out += indent(textTable(componentRows), by: 4)
            if c.components.count > moved.count { out += "    … \(c.components.count - moved.count) more components\n" }
        }
        out += "  verdict:  \(verdictWord(c.verdict)) — \(c.reason)\n"
        out += text.bold(c.summary) + "\n"
        return out
    }

    private func indent(_ table: String, by spaces: Int = 2) -> String {
        let pad = String(repeating: " ", count: spaces)
        return table.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
    }

    /// Plain words: table cells carry no colour, which would break their widths.
    private func statusWord(_ status: TrendVerdict.Status) -> String {
        switch status {
        case .leaking: return "LEAKING"
        case .notLeaking: return "no leak"
        case .insufficientData: return "insufficient data"
        case .noData: return "no data"
        }
    }

    private func verdictWord(_ verdict: RunComparison.Verdict) -> String {
        let text = ReportText(colour: colour)
        switch verdict {
        case .regression: return text.paint("REGRESSION", .red)
        case .improvement: return text.paint("improvement", .green)
        case .noChange: return "no change"
        case .insufficientData: return text.paint("insufficient data", .yellow)
        }
    }
}
