import LeakHistoryAnalysis
import Foundation

/// One run of a source with what it recorded: the stored run (its id,
/// times, pid, command, version and labels, encoded by `StoredRun` itself)
/// and the counts and span of its samples.
public struct RunSummary: Sendable, Equatable, Codable {
    public var run: StoredRun
    public var snapshots: Int
    public var componentSamples: Int
    public var firstSampleMs: Int64?
    public var lastSampleMs: Int64?

    public var id: Int64 { run.id }
    public var startedMs: Int64 { run.startedMs }
    /// `nil` while running, or when the process ended without closing its recorder.
    public var endedMs: Int64? { run.endedMs }
    public var pid: Int64? { run.pid }
    public var command: String? { run.command }
    /// The version the run ran, and its labels.
    public var deployment: RunDeployment { run.deployment }
    public var version: String? { run.version }
    public var running: Bool { endedMs == nil }
    public var samples: Int { snapshots + componentSamples }

    enum CodingKeys: String, CodingKey {
        case snapshots, running, samples
        case componentSamples = "component_samples"
        case firstSampleMs = "first_sample_ms"
        case lastSampleMs = "last_sample_ms"
    }

    public init(from decoder: any Decoder) throws {
        run = try StoredRun(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        snapshots = try c.decode(Int.self, forKey: .snapshots)
        componentSamples = try c.decode(Int.self, forKey: .componentSamples)
        firstSampleMs = try c.decodeIfPresent(Int64.self, forKey: .firstSampleMs)
        lastSampleMs = try c.decodeIfPresent(Int64.self, forKey: .lastSampleMs)
    }

    /// The run's own keys, then its counts, in one object. Absent values stay
    /// as null so every run has the same keys.
    public func encode(to encoder: any Encoder) throws {
        try run.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(running, forKey: .running)
        try c.encode(samples, forKey: .samples)
        try c.encode(snapshots, forKey: .snapshots)
        try c.encode(componentSamples, forKey: .componentSamples)
        try c.encode(firstSampleMs, forKey: .firstSampleMs)
        try c.encode(lastSampleMs, forKey: .lastSampleMs)
    }

    init(_ run: StoredRun, stats: (snapshots: Int, componentSamples: Int, firstMs: Int64, lastMs: Int64)?) {
        self.run = run
        snapshots = stats?.snapshots ?? 0
        componentSamples = stats?.componentSamples ?? 0
        firstSampleMs = stats?.firstMs
        lastSampleMs = stats?.lastMs
    }
}

/// A source, its runs and the span of its stored (raw) samples.
public struct SourceSummary: Sendable, Equatable {
    public var name: String
    public var runs: [RunSummary]

    public var snapshots: Int { runs.reduce(0) { $0 + $1.snapshots } }
    public var componentSamples: Int { runs.reduce(0) { $0 + $1.componentSamples } }
    public var samples: Int { snapshots + componentSamples }
    public var firstSampleMs: Int64? { runs.compactMap(\.firstSampleMs).min() }
    public var lastSampleMs: Int64? { runs.compactMap(\.lastSampleMs).max() }
    /// The newest run that recorded a sample.
    public var newestRunWithSamples: RunSummary? { runs.last { $0.samples > 0 } }

    /// The window a report reads when none is asked for: the last `spanMs`
    /// before now, or the newest run's span when that is shorter (a short
    /// demo or test run is then reported whole, however long ago it was).
    public func defaultWindow(spanMs: Int64, nowMs: Int64) throws -> TimeWindow {
        guard let run = newestRunWithSamples, let first = run.firstSampleMs, let last = run.lastSampleMs else {
            return try TimeWindow(fromMs: nowMs - spanMs, toMs: nowMs)
        }
        let from = min(run.startedMs, first)
        let to = max(last, run.endedMs ?? last)
        guard to - from < spanMs else { return try TimeWindow(fromMs: nowMs - spanMs, toMs: nowMs) }
        return try TimeWindow(fromMs: from, toMs: to)
    }

    /// What to say when `window` holds none of the samples: where the newest
    /// one is, and a window that holds the newest run; `nil` when the source
    /// has no samples at all.
    public func noDataHint(window: TimeWindow, nowMs: Int64) -> NoDataHint? {
        guard let newest = lastSampleMs, let run = newestRunWithSamples,
              let first = run.firstSampleMs, let last = run.lastSampleMs else { return nil }
        return NoDataHint(newestSampleMs: newest, ageMs: nowMs - newest,
                          suggestion: try? TimeWindow(fromMs: min(first, run.startedMs), toMs: max(last, run.endedMs ?? last)))
    }
}

/// Where the samples are when a window holds none.
public struct NoDataHint: Sendable, Equatable {
    public var newestSampleMs: Int64
    public var ageMs: Int64
    /// The newest run's span: a window that holds samples.
    public var suggestion: TimeWindow?

    /// `no data — newest sample at 2026-12-01T08:07:02.000Z (3h 12m ago)`.
    public var sentence: String {
        "no data — newest sample at \(TimestampText.iso(newestSampleMs)) (\(DurationText.spoken(ageMs)) ago)"
    }

    /// The suggestion as options, in the form `--from A --to B` or `from=A&to=B`.
    public func suggestionText(cli: Bool) -> String? {
        guard let suggestion else { return nil }
        let from = TimestampText.iso(suggestion.fromMs), to = TimestampText.iso(suggestion.toMs)
        return cli ? "--from \(from) --to \(to)" : "from=\(from)&to=\(to)"
    }

    /// The recommendation a report carries: the sentence and, when there is one, the window to ask for.
    public func recommendation(cli: Bool) -> String {
        let sentence = sentence.prefix(1).uppercased() + sentence.dropFirst()
        guard let text = suggestionText(cli: cli) else { return sentence }
        return sentence + "; the newest run is in \(text)"
    }
}

extension DurationText {
    /// `ms` for a person: `45s`, `12m`, `3h 12m`, `2d 4h`.
    public static func spoken(_ ms: Int64) -> String {
        let s = max(0, ms) / 1000
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return s % 3600 / 60 == 0 ? "\(s / 3600)h" : "\(s / 3600)h \(s % 3600 / 60)m" }
        return s % 86_400 / 3600 == 0 ? "\(s / 86_400)d" : "\(s / 86_400)d \(s % 86_400 / 3600)h"
    }
}

extension HistoryReader {
    /// `source` with its runs and what each recorded; throws naming the known
    /// sources when there is no such source.
    public func sourceSummary(_ source: String) throws -> SourceSummary {
        try summary(id: requireSource(source), name: source)
    }

    /// Every source, by name.
    public func sourceSummaries() throws -> [SourceSummary] {
        try store.sources().map { try summary(id: $0.id, name: $0.name) }
    }

    private func summary(id: Int64, name: String) throws -> SourceSummary {
        let stats = try store.runSampleStats(sourceID: id)
        return SourceSummary(name: name, runs: try store.runs(sourceID: id).map { RunSummary($0, stats: stats[$0.id]) })
    }

    /// The report of `source` over `window`, or over its default window
    /// (`defaultSpanMs` before now, or its newest run when shorter). A window
    /// without samples says where they are in its recommendations.
    public func report(source: String, window: TimeWindow?, defaultSpanMs: Int64, config: LeakDetectionConfig = .init(),
                       nowMs: Int64, cliHints: Bool = true) throws -> LeakReport {
        // The run statistics (a pass over every run's samples) only when
        // the window must be chosen or the report found nothing in it.
        var summary = try window == nil ? sourceSummary(source) : nil
        let window = try window ?? summary!.defaultWindow(spanMs: defaultSpanMs, nowMs: nowMs)
        var report = try self.report(source: source, window: window, config: config, nowMs: nowMs)
        if report.sampleCount == 0 { summary = try summary ?? sourceSummary(source) }
        if report.sampleCount == 0, let hint = summary?.noDataHint(window: window, nowMs: nowMs) {
            report.recommendations.insert(hint.recommendation(cli: cliHints), at: 0)
        }
        return report
    }

    /// Every source's report over its default window (or `window`), worst first:
    /// leaking before not, then by the most severe candidate, then by growth;
    /// those without samples last.
    public func overview(window: TimeWindow?, defaultSpanMs: Int64, config: LeakDetectionConfig = .init(),
                         nowMs: Int64, cliHints: Bool = true) throws -> [LeakReport] {
        let reports = try sources().map {
            try report(source: $0, window: window, defaultSpanMs: defaultSpanMs, config: config, nowMs: nowMs, cliHints: cliHints)
        }
        return reports.sorted(by: Self.worseFirst)
    }

    /// The order of `overview`: leaking, then the highest severity, then the
    /// fastest growth, then by name; sources without samples in their window last.
    static func worseFirst(_ a: LeakReport, _ b: LeakReport) -> Bool {
        if a.hasLeaks != b.hasLeaks { return a.hasLeaks }
        if (a.sampleCount == 0) != (b.sampleCount == 0) { return b.sampleCount == 0 }
        let severityA = a.leakCandidates.map(\.severity).max(), severityB = b.leakCandidates.map(\.severity).max()
        switch (severityA, severityB) {
        case let (x?, y?) where x != y: return x > y
        case (_?, nil): return true
        case (nil, _?): return false
        default: break
        }
        let slopeA = a.trend?.slopeMBPerHour ?? 0, slopeB = b.trend?.slopeMBPerHour ?? 0
        if slopeA != slopeB { return slopeA > slopeB }
        return (a.source ?? "") < (b.source ?? "")
    }
}

extension LeakReport {
    /// A short word for the verdict: `leaking`, `no leak`, `insufficient data` or `no data`.
    public var verdictWord: String {
        if hasLeaks { return "leaking" }
        if sampleCount == 0 { return "no data" }
        switch trend?.status {
        case .leaking?: return "leaking"
        case .notLeaking?: return "no leak"
        default: return "insufficient data"
        }
    }
}

extension InputError {
    /// `source`: no source 'x' in 'file' (known: a, b): an unknown name, with the names that exist.
    public static func unknownSource(_ name: String, known: [String], path: String) -> InputError {
        InputError(field: "source", message: "no source '\(name)' in '\(path)'"
            + (known.isEmpty ? " (it holds no history yet)" : " (known: \(known.joined(separator: ", ")))"))
    }
}

/// The schema this build writes.
public enum HistorySchema {
    /// The newest migration's version (`PRAGMA user_version` of a migrated file).
    public static var version: Int { EmbeddedMigrations.all.last?.version ?? 0 }
}

/// One run with its source's name: a row of `runs --json` and of `GET /api/v1/memory/runs`.
public struct SourcedRun: Sendable, Encodable {
    public var source: String
    public var run: RunSummary

    public init(source: String, run: RunSummary) {
        self.source = source
        self.run = run
    }

    enum CodingKeys: String, CodingKey { case source }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try run.encode(to: encoder)
    }
}

/// A source as listed by `sources --json` and `GET /api/v1/memory/sources`:
/// its runs, samples, components and the verdict over its default window.
public struct SourceListing: Sendable, Encodable {
    public var summary: SourceSummary
    public var components: [StoredComponent]
    public var report: LeakReport

    public init(summary: SourceSummary, components: [StoredComponent], report: LeakReport) {
        self.summary = summary
        self.components = components
        self.report = report
    }

    enum CodingKeys: String, CodingKey {
        case name, runs, components, running, samples, snapshots, verdict
        case latestRunStartedMs = "latest_run_started_ms"
        case componentSamples = "component_samples"
        case firstSampleMs = "first_sample_ms"
        case lastSampleMs = "last_sample_ms"
        case hasLeaks = "has_leaks"
        case windowFromMs = "window_from_ms"
        case windowToMs = "window_to_ms"
    }

    private struct Component: Encodable {
        var name: String
        var kind: String
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(summary.name, forKey: .name)
        try c.encode(summary.runs.count, forKey: .runs)
        try c.encode(components.map { Component(name: $0.name, kind: $0.kind.name) }, forKey: .components)
        try c.encodeIfPresent(summary.runs.last?.startedMs, forKey: .latestRunStartedMs)
        try c.encode(summary.runs.last?.running ?? false, forKey: .running)
        try c.encode(summary.samples, forKey: .samples)
        try c.encode(summary.snapshots, forKey: .snapshots)
        try c.encode(summary.componentSamples, forKey: .componentSamples)
        try c.encode(summary.firstSampleMs, forKey: .firstSampleMs)
        try c.encode(summary.lastSampleMs, forKey: .lastSampleMs)
        try c.encode(report.verdictWord, forKey: .verdict)
        try c.encode(report.hasLeaks, forKey: .hasLeaks)
        try c.encodeIfPresent(report.windowFromMs, forKey: .windowFromMs)
        try c.encodeIfPresent(report.windowToMs, forKey: .windowToMs)
    }
}

extension HistoryReader {
    /// Every source as `sources` lists it, with the verdict over its default window.
    public func sourceListings(defaultSpanMs: Int64, config: LeakDetectionConfig = .init(), nowMs: Int64) throws -> [SourceListing] {
        try sourceSummaries().map { summary in
            SourceListing(summary: summary, components: try components(source: summary.name),
                          report: try report(source: summary.name, window: nil, defaultSpanMs: defaultSpanMs, config: config,
                                             nowMs: nowMs, cliHints: false))
        }
    }
}
