import LeakHistoryAnalysis
import Foundation

/// Which runs a comparison reads.
public enum ComparisonSelection: Sendable, Equatable {
    /// The source's newest run with samples against the one before it.
    case newestRuns
    /// Run `target` against run `base` (ids as `runs` lists them).
    case runs(base: Int64, target: Int64)
    /// Every run of version `target` against every run of version `base`.
    case versions(base: String, target: String)
}

/// A source's versions in the order they first ran, each pooled over its
/// newest runs and compared with the version before it.
public struct VersionHistory: Sendable, Encodable {
    public var source: String
    public var versions: [Entry]
    /// Versions the source has beyond the ones listed (the oldest are left out).
    public var olderVersions: Int

    public struct Entry: Sendable, Encodable {
        public var figures: PooledFigures
        /// The run the version first ran in started then.
        public var firstStartedMs: Int64
        /// Against the version listed before it; `nil` for the first one.
        public var comparison: RunComparison?

        enum CodingKeys: String, CodingKey {
            case version, figures
            case firstStartedMs = "first_started_ms"
            case previousVersion = "previous_version"
            case verdict, change, summary
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(figures.label, forKey: .version)
            try c.encode(figures, forKey: .figures)
            try c.encode(firstStartedMs, forKey: .firstStartedMs)
            try c.encode(comparison?.base.label, forKey: .previousVersion)
            try c.encode(comparison?.verdict, forKey: .verdict)
            try c.encode(comparison?.change, forKey: .change)
            try c.encode(comparison?.summary, forKey: .summary)
        }
    }

    enum CodingKeys: String, CodingKey {
        case source, versions
        case olderVersions = "older_versions"
    }
}

extension HistoryReader {
    /// Runs a version pools by default: its newest 20 (restarts, hosts).
    public static let defaultMaxRunsPerVersion = 20

    /// Compares two runs or two versions of `source`: each side's verdict
    /// after the warm-up (`config.warmupSecs`), pooled over its runs, and
    /// the regression verdict of `rule` with its words.
    ///
    /// ```swift
    /// let comparison = try reader.compare(source: "api", .versions(base: "1.4.1", target: "1.4.2"), nowMs: now)
    /// print(comparison.summary)   // leak introduced in 1.4.2: usage +38.00 MiB/h (1.4.1: flat); grows in `sessions` …
    /// ```
    ///
    /// Throws `InputError` naming what exists when a run or version is not
    /// the source's, or when it has fewer than two runs to compare.
    public func compare(source: String, _ selection: ComparisonSelection = .newestRuns, config: LeakDetectionConfig = .init(),
                        rule: RegressionRule = .init(), nowMs: Int64,
                        maxRunsPerVersion: Int = HistoryReader.defaultMaxRunsPerVersion) throws -> RunComparison {
        try compare(sources: [source], selection, config: config, rule: rule, nowMs: nowMs, maxRunsPerVersion: maxRunsPerVersion)
    }

    /// The same over several sources, for a program whose hosts record as
    /// sources of their own (`api@web-1`, `api@web-2`): a version pools its
    /// runs on every one of them (the newest `maxRunsPerVersion` in all), and
    /// runs may be named in any of them. The newest runs need one source.
    public func compare(sources: [String], _ selection: ComparisonSelection = .newestRuns, config: LeakDetectionConfig = .init(),
                        rule: RegressionRule = .init(), nowMs: Int64,
                        maxRunsPerVersion: Int = HistoryReader.defaultMaxRunsPerVersion) throws -> RunComparison {
        try config.validate()
        guard !sources.isEmpty else { throw InputError(field: "source", message: "name a source to compare the runs of") }
        let holdings = try Array(Set(sources)).sorted().map { (source: $0, runs: try sourceSummary($0).runs) }
        let name = holdings.map(\.source).joined(separator: ", ")
        let quoted = holdings.map { "'\($0.source)'" }.joined(separator: ", ")
        func figures(_ chosen: [(source: String, run: RunSummary)]) throws -> [RunFigures] {
            try chosen.map { item in
                let among = holdings.first { $0.source == item.source }!.runs
                return try runFigures(source: item.source, [item.run], among: among, config: config, nowMs: nowMs)[0]
            }
        }
        func single(_ item: (source: String, run: RunSummary)) throws -> PooledFigures {
            PooledFigures(label: "run \(item.run.id)" + (item.run.version.map { " (\($0))" } ?? ""), version: item.run.version,
                          runs: try figures([item]))
        }
        switch selection {
        case .newestRuns:
            guard holdings.count == 1 else {
                throw InputError(field: "source", message: "the newest runs are compared within one source; with several, name two versions or two runs")
            }
            let recorded = holdings[0].runs.filter { $0.samples > 0 }
            guard recorded.count >= 2 else {
                throw InputError(field: "runs", message: "\(quoted) has \(recorded.count) run\(recorded.count == 1 ? "" : "s") with samples; a comparison needs two (record another run, or name two with runs)")
            }
            return RunComparison(source: name, basis: .runs, base: try single((name, recorded[recorded.count - 2])),
                                 target: try single((name, recorded[recorded.count - 1])), rule: rule)
        case .runs(let baseID, let targetID):
            guard baseID != targetID else { throw InputError(field: "runs", message: "both sides are run \(baseID); name two different runs") }
            func find(_ id: Int64) throws -> (source: String, run: RunSummary) {
                for holding in holdings {
                    if let run = holding.runs.first(where: { $0.id == id }) { return (holding.source, run) }
                }
                let ids = holdings.flatMap(\.runs).map(\.id).sorted().map(String.init)
                throw InputError(field: "runs", message: "\(quoted) has no run \(id) (\(holdings.count == 1 ? "its" : "their") runs: \(ids.suffix(12).joined(separator: ", "))\(ids.count > 12 ? ", … the newest 12" : ""))")
            }
            return RunComparison(source: name, basis: .runs, base: try single(try find(baseID)), target: try single(try find(targetID)), rule: rule)
        case .versions(let baseVersion, let targetVersion):
            guard baseVersion != targetVersion else {
                throw InputError(field: "versions", message: "both sides are version \(baseVersion); name two different versions")
            }
            func pick(_ version: String) throws -> PooledFigures {
                let chosen = holdings.flatMap { holding in
                    holding.runs.filter { $0.version == version && $0.samples > 0 }.map { (source: holding.source, run: $0) }
                }.sorted { ($0.run.startedMs, $0.run.id) < ($1.run.startedMs, $1.run.id) }
                guard !chosen.isEmpty else {
                    var known: [String] = []
                    for version in holdings.flatMap({ Self.versionsInOrder($0.runs) }) where !known.contains(version) { known.append(version) }
                    let whose = holdings.count == 1 ? "its" : "their"
                    let list = known.isEmpty ? "none of \(whose) runs has a version" : "\(whose) versions: \(known.suffix(12).joined(separator: ", "))"
                    throw InputError(field: "versions", message: "no run of \(quoted) with samples has version '\(version)' (\(list))")
                }
                return PooledFigures(label: version, version: version, runs: try figures(Array(chosen.suffix(max(1, maxRunsPerVersion)))))
            }
            return RunComparison(source: name, basis: .versions, base: try pick(baseVersion), target: try pick(targetVersion), rule: rule)
        }
    }

    /// The newest `maxVersions` versions of `source` in the order they first
    /// ran, each pooled over its newest `maxRunsPerVersion` runs and compared
    /// with the version before it (the dashboard's versions panel).
    public func versionHistory(source: String, config: LeakDetectionConfig = .init(), rule: RegressionRule = .init(), nowMs: Int64,
                               maxVersions: Int = 8, maxRunsPerVersion: Int = HistoryReader.defaultMaxRunsPerVersion) throws -> VersionHistory {
        try config.validate()
        let runs = try sourceSummary(source).runs
        let versions = Self.versionsInOrder(runs)
        let listed = versions.suffix(max(1, maxVersions))
        var entries: [VersionHistory.Entry] = []
        for version in listed {
            let chosen = Array(runs.filter { $0.version == version && $0.samples > 0 }.suffix(max(1, maxRunsPerVersion)))
            let figures = PooledFigures(label: version, version: version,
                                        runs: try runFigures(source: source, chosen, among: runs, config: config, nowMs: nowMs))
            let comparison = entries.last.map { RunComparison(source: source, basis: .versions, base: $0.figures, target: figures, rule: rule) }
            entries.append(.init(figures: figures, firstStartedMs: runs.first { $0.version == version }!.startedMs, comparison: comparison))
        }
        return VersionHistory(source: source, versions: entries, olderVersions: versions.count - listed.count)
    }

    /// The figures of the newest run of each of the newest `maxVersions`
    /// versions of `source`, oldest version first (for `/metrics`: it reads
    /// the run table only, no sample counts, so a source without versions
    /// costs one small query).
    public func newestRunOfEachVersion(source: String, config: LeakDetectionConfig = .init(), nowMs: Int64,
                                       maxVersions: Int = 20) throws -> [RunFigures] {
        try config.validate()
        let runs = try self.runs(source: source)
        guard runs.contains(where: { $0.version != nil }) else { return [] }
        var seen: Set<String> = []
        let versions = runs.compactMap { run in run.version.flatMap { seen.insert($0).inserted ? $0 : nil } }
        let newest = versions.suffix(max(1, maxVersions)).compactMap { version in runs.last { $0.version == version } }
        return try runFigures(source: source, newest.map { RunSpan($0) }, among: runs.map(\.startedMs), config: config, nowMs: nowMs)
    }

    /// The source that holds run `id` (run ids are unique in a file), if any.
    public func source(holdingRun id: Int64) throws -> String? {
        try sources().first { try runs(source: $0).contains { $0.id == id } }
    }

    /// Versions of runs that recorded samples, in the order they first ran.
    static func versionsInOrder(_ runs: [RunSummary]) -> [String] {
        var seen: Set<String> = []
        return runs.compactMap { run in
            guard let version = run.version, run.samples > 0, seen.insert(version).inserted else { return nil }
            return version
        }
    }

    /// A run and, when known, the span of its samples.
    struct RunSpan {
        var run: StoredRun
        var firstSampleMs: Int64?
        var lastSampleMs: Int64?

        init(_ run: StoredRun) {
            self.run = run
        }

        init(_ summary: RunSummary) {
            run = StoredRun(id: summary.id, startedMs: summary.startedMs, endedMs: summary.endedMs, pid: summary.pid,
                            command: summary.command, deployment: summary.deployment)
            firstSampleMs = summary.firstSampleMs
            lastSampleMs = summary.lastSampleMs
        }
    }

    func runFigures(source: String, _ chosen: [RunSummary], among runs: [RunSummary], config: LeakDetectionConfig,
                    nowMs: Int64) throws -> [RunFigures] {
        try runFigures(source: source, chosen.map { RunSpan($0) }, among: runs.map(\.startedMs), config: config, nowMs: nowMs)
    }

    /// Each run's verdict over its own span (its start to its last sample,
    /// never into the next run's start), from the one window report.
    func runFigures(source: String, _ chosen: [RunSpan], among runStarts: [Int64], config: LeakDetectionConfig,
                    nowMs: Int64) throws -> [RunFigures] {
        let starts = runStarts.sorted()
        return try chosen.map { span in
            let run = span.run
            let from = min(run.startedMs, span.firstSampleMs ?? run.startedMs)
            let next = starts.first { $0 > run.startedMs }
            var to = span.lastSampleMs ?? run.endedMs ?? next.map { $0 - 1 } ?? nowMs
            if let next { to = min(to, next - 1) }
            let analysis = try windowAnalysis(source: source, window: try TimeWindow(fromMs: from, toMs: max(from, to)),
                                              config: config, nowMs: nowMs)
            let verdict = analysis.report.trend ?? .noData(subject: "'\(source)'")
            return RunFigures(source: source, runID: run.id, startedMs: run.startedMs, endedMs: run.endedMs, deployment: run.deployment,
                              verdict: verdict, usageBytes: analysis.report.currentBytes,
                              components: analysis.components.map {
                                  ComponentRate(name: $0.name, kind: $0.kind, heldBytes: $0.totals.allocatedBytesTotal, verdict: $0.trend)
                              })
        }
    }
}
