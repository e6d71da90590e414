import Foundation
import LeakHistory

/// The verdict on one member of a fleet, as `fleet` prints it.
public struct FleetVerdict: Sendable, Codable, Equatable {
    public var name: String
    public var labels: SeriesLabels
    public var status: TrendVerdict.Status
    /// Growth since the onset (robust slope), in bytes per hour.
    public var rateBytesPerHour: Double
    /// When the growth began: the onset found in the window, else its first sample.
    public var growingSinceMs: Int64?
    public var limitBytes: Int64?
    public var timeToLimitSecs: Double?
    public var lastBytes: Int64
    public var samples: Int
    public var runs: Int
    public var explanation: String
    public var rejectedBy: String?
    /// The full verdict of the part of the series judged (since the onset when one was found).
    public var trend: TrendVerdict

    enum CodingKeys: String, CodingKey {
        case name, labels, status, samples, runs, explanation, trend
        case rateBytesPerHour = "rate_bytes_per_hour"
        case growingSinceMs = "growing_since_ms"
        case limitBytes = "limit_bytes"
        case timeToLimitSecs = "time_to_limit_secs"
        case lastBytes = "last_bytes"
        case rejectedBy = "rejected_by"
    }
}

/// The fleet's analysis: one adapter from a `FleetSeries` to the trend pipeline.
///
/// `verdict(for:config:limitBytes:)` is the only place that calls the trend
/// analysis; switching `fleet` and the benchmark to another pipeline is a
/// change to that function alone.
public enum FleetAnalysis {
    /// The verdict on `series`: the one analysis pipeline (onset, envelope,
    /// checks) that every report goes through.
    public static func verdict(for series: FleetSeries, config: LeakDetectionConfig, limitBytes: Int64? = nil) -> FleetVerdict {
        var config = config
        if let limitBytes { config.memoryLimitBytes = limitBytes }
        let judged = TrendAnalyzer(config: config).verdict(for: MemorySeries(points: series.points, runStarts: series.runStarts))
        let leaking = judged.isLeaking
        return FleetVerdict(
            name: series.name, labels: series.labels, status: judged.status,
            rateBytesPerHour: judged.rateBytesPerHour,
            growingSinceMs: judged.growingSinceMs, limitBytes: config.memoryLimitBytes,
            timeToLimitSecs: leaking ? judged.timeToLimitSecs : nil, lastBytes: series.points.last?.bytes ?? 0,
            samples: series.points.count, runs: series.runCount, explanation: judged.explanation,
            rejectedBy: judged.rejectedBy?.rawValue, trend: judged
        )
    }

    /// Verdicts for every series, on every core, ranked worst first.
    public static func verdicts(for series: [FleetSeries], config: LeakDetectionConfig,
                                limits: [String: Int64] = [:]) async -> [FleetVerdict] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 16))
        let slices = stride(from: 0, to: series.count, by: max(1, (series.count + workers - 1) / workers)).map {
            Array(series[$0..<min(series.count, $0 + max(1, (series.count + workers - 1) / workers))])
        }
        var all: [FleetVerdict] = []
        await withTaskGroup(of: [FleetVerdict].self) { group in
            for slice in slices {
                group.addTask { slice.map { verdict(for: $0, config: config, limitBytes: limits[$0.name]) } }
            }
            for await part in group { all += part }
        }
        return ranked(all)
    }

    /// Leaks first, soonest to reach the limit then fastest; then the rest, fastest first.
    public static func ranked(_ verdicts: [FleetVerdict]) -> [FleetVerdict] {
        func group(_ v: FleetVerdict) -> Int {
            switch v.status {
            case .leaking: return 0
            case .notLeaking: return 1
            case .insufficientData, .noData: return 2
            }
        }
        return verdicts.sorted { a, b in
            if group(a) != group(b) { return group(a) < group(b) }
            let ta = a.timeToLimitSecs ?? .infinity, tb = b.timeToLimitSecs ?? .infinity
            if ta != tb { return ta < tb }
            if a.rateBytesPerHour != b.rateBytesPerHour { return a.rateBytesPerHour > b.rateBytesPerHour }
            return a.name < b.name
        }
    }

}
