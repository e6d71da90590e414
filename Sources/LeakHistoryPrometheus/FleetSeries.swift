import Foundation
import LeakHistory

/// One member of a fleet, ready for the analysis: its name, labels and memory
/// samples split into runs (process lifetimes).
public struct FleetSeries: Sendable, Equatable {
    /// The source name: the `--by` label values, else the label set.
    public var name: String
    public var labels: SeriesLabels
    /// Samples oldest first; `runID` counts runs from 0.
    public var points: [TrendPoint]
    /// Each run's process start in ms, where `process_start_time_seconds` told it.
    public var runStarts: [Int64: Int64]

    public init(name: String, labels: SeriesLabels, points: [TrendPoint], runStarts: [Int64: Int64] = [:]) {
        self.name = name
        self.labels = labels
        self.points = points
        self.runStarts = runStarts
    }

    public var runCount: Int { Set(points.map(\.runID)).count }
}

/// Turns the series of a query into `FleetSeries`: grouped, named, checked and split at restarts.
///
/// A restart is any of:
/// - a drop to under half the previous sample (a process that restarts starts small);
/// - a process start (`process_start_time_seconds`, where that series exists)
///   since the previous sample: the start time is the restart's instant, so
///   that series may be read at a much coarser step than the memory;
/// - the next series of a group (`--by instance` joining label sets that
///   differ elsewhere, such as a new `pod` after a rollout).
public struct FleetSeriesBuilder: Sendable {
    /// Labels that name a series and group series into one (empty: every label set is its own).
    public var by: [String]
    /// A drop to under this share of the previous sample starts a new run.
    public var restartDropRatio: Double = 0.5

    /// Clock skew allowed between a process start time and the samples around it.
    static let startToleranceMs: Int64 = 0

    /// The step to read start times at: about 240 points over the window
    /// (a process that lives less than a step is found by its drop alone).
    public static func startTimeStepMs(spanMs: Int64, stepMs: Int64) -> Int64 {
        max(stepMs, (spanMs / 240 + 999) / 1000 * 1000)
    }

    public init(by: [String] = []) {
        self.by = by
    }

    public func build(memory: [PrometheusSeries], startTimes: [PrometheusSeries] = []) throws -> [FleetSeries] {
        var groups: [SeriesLabels: [PrometheusSeries]] = [:]
        for series in memory { groups[key(series.labels), default: []].append(series) }
        // A start time is itself the instant of the restart, so it is found
        // however coarsely the start-time series was sampled.
        var starts: [SeriesLabels: Set<Int64>] = [:]
        for series in startTimes {
            for v in series.values where v.isFinite && abs(v) < 1e13 {
                starts[key(series.labels), default: []].insert(Int64((v * 1000).rounded()))
            }
        }
        var result: [FleetSeries] = []
        for (groupKey, members) in groups {
            let sorted = members.filter { !$0.timesMs.isEmpty }.sorted { ($0.timesMs[0], $0.labels) < ($1.timesMs[0], $1.labels) }
            guard !sorted.isEmpty else { continue }
            let name = name(groupKey)
            do {
                try InputRules.validateName(name, field: "source")
            } catch let error as InputError {
                throw PrometheusError.badRange("series \(groupKey) cannot name a source (\(error.message)); name it with --by LABEL")
            }
            let split = try points(of: sorted, starts: (starts[groupKey] ?? []).sorted())
            let labels = by.isEmpty ? sorted[0].labels : groupKey
            result.append(FleetSeries(name: name, labels: labels, points: split.points, runStarts: split.runStarts))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// The grouping key: the `by` labels, else all labels but the metric name.
    public func key(_ labels: SeriesLabels) -> SeriesLabels {
        by.isEmpty ? labels.withoutMetricName : labels.keeping(by)
    }

    /// The source name of a series with these labels.
    public func name(of labels: SeriesLabels) -> String { name(key(labels)) }

    func name(_ key: SeriesLabels) -> String {
        if by.count == 1 { return key[by[0]] ?? "" }
        if by.isEmpty { return key.description }
        return key.pairs.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
    }

    private func points(of members: [PrometheusSeries], starts: [Int64]) throws -> (points: [TrendPoint], runStarts: [Int64: Int64]) {
        var points: [TrendPoint] = []
        points.reserveCapacity(members.reduce(0) { $0 + $1.count })
        var runStarts: [Int64: Int64] = [:]
        var run: Int64 = -1
        var nextStart = 0
        for series in members {
            var newSeries = true
            for (t, value) in zip(series.timesMs, series.values) {
                guard value.isFinite else { continue }
                if let last = points.last, t <= last.tMs { continue }
                guard value >= 0, value <= Double(InputRules.maxBytes) else {
                    throw PrometheusError.badRange("series \(series.labels) has the value \(value) at \(t) ms; the query must give memory in bytes (0 to 1 PiB)")
                }
                let bytes = Int64(value.rounded())
                // A process started since the previous sample (the latest, if several did).
                var startedHere: Int64?
                while nextStart < starts.count, starts[nextStart] <= t + Self.startToleranceMs {
                    startedHere = starts[nextStart]
                    nextStart += 1
                }
                var restart = newSeries || startedHere != nil
                if let last = points.last, Double(bytes) < restartDropRatio * Double(last.bytes) { restart = true }
                // A start stamped just after the first sample of a run a drop began (clocks
                // differ): the same restart.
                if restart, !newSeries, let startedHere, let last = points.last, last.runID == run, runStarts[run] == nil,
                   points.count >= 2, points[points.count - 2].runID != run, Double(bytes) >= restartDropRatio * Double(last.bytes) {
                    runStarts[run] = startedHere
                    restart = false
                }
                if restart {
                    run += 1
                    if let startedHere { runStarts[run] = startedHere }
                }
                newSeries = false
                points.append(TrendPoint(tMs: t, bytes: bytes, runID: run))
            }
        }
        return (points, runStarts)
    }
}

/// The query for the processes' start times that goes with a memory query.
public enum StartTimeQuery {
    /// `process_start_time_seconds` with the matchers of `query` when it is a
    /// plain selector (`metric` or `metric{…}`); `nil` for any other expression.
    public static func derived(from query: String) -> String? {
        let text = query.trimmingCharacters(in: .whitespacesAndNewlines)
        func isNameByte(_ c: Character, first: Bool) -> Bool {
            c.isASCII && (c.isLetter || c == "_" || c == ":" || (!first && c.isNumber))
        }
        guard let head = text.first, isNameByte(head, first: true) else { return nil }
        let name = text.prefix { isNameByte($0, first: false) }
        let rest = text.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        guard name != "process_start_time_seconds" else { return nil }
        if rest.isEmpty { return "process_start_time_seconds" }
        guard rest.hasPrefix("{"), rest.hasSuffix("}") else { return nil }
        return "process_start_time_seconds" + rest
    }
}
