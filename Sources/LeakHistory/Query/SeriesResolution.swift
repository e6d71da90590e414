/// Which table a window is read from: raw samples for short recent windows,
/// minute or hour rollups for long or old ones, so a year answers as fast as an hour.
public enum SeriesResolution: String, Sendable, Codable {
    case raw
    case minute
    case hour

    /// The finest resolution that still holds all of `window` (nothing of it
    /// pruned yet) and keeps the series to a size a report can fit quickly.
    static func choose(for window: TimeWindow, cutoffs: (rawMs: Int64, minuteMs: Int64)) -> SeriesResolution {
        let span = window.spanMs
        if span <= 6 * RetentionPolicy.hour && window.fromMs >= cutoffs.rawMs { return .raw }
        if span <= 14 * RetentionPolicy.day && window.fromMs >= cutoffs.minuteMs { return .minute }
        return .hour
    }

    var bucketMs: Int64? {
        switch self {
        case .raw: nil
        case .minute: RetentionPolicy.minute
        case .hour: RetentionPolicy.hour
        }
    }
}

/// One point of a stored series: a raw sample, or a rollup bucket's mean at its newest sample's time.
struct SeriesPoint: Sendable, Equatable {
    var tsMs: Int64
    var bytes: Int64
    var runID: Int64
    var allocations: Int64?
    var deallocations: Int64?
}

extension HistoryStore {
    func usageSeries(sourceID: Int64, window: TimeWindow, resolution: SeriesResolution) throws -> [SeriesPoint] {
        guard let bucket = resolution.bucketMs else {
            return try rawSamples(.usage(sourceID: sourceID), fromMs: window.fromMs, toMs: window.toMs).map {
                SeriesPoint(tsMs: $0.tsMs, bytes: $0.bytes, runID: $0.runID)
            }
        }
        return try snapshotRollups(sourceID: sourceID, bucketMs: bucket, fromMs: window.fromMs, toMs: window.toMs).map {
            SeriesPoint(tsMs: $0.lastTsMs, bytes: $0.meanBytes, runID: $0.runID)
        }
    }

    func componentSeries(componentID: Int64, window: TimeWindow, resolution: SeriesResolution) throws -> [SeriesPoint] {
        guard let bucket = resolution.bucketMs else {
            return try rawSamples(.component(componentID), fromMs: window.fromMs, toMs: window.toMs).map {
                SeriesPoint(tsMs: $0.tsMs, bytes: $0.bytes, runID: $0.runID,
                            allocations: $0.allocations, deallocations: $0.deallocations)
            }
        }
        return try componentRollups(componentID: componentID, bucketMs: bucket, fromMs: window.fromMs, toMs: window.toMs).map {
            SeriesPoint(tsMs: $0.lastTsMs, bytes: $0.meanBytes, runID: $0.runID,
                        allocations: $0.lastAllocations, deallocations: $0.lastDeallocations)
        }
    }
}
