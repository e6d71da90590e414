/// Which stored resolution a series was read from: raw samples (as they are,
/// or folded into buckets), minute rollups (the archive of samples past the
/// raw retention) or hour rollups.
public enum SeriesResolution: String, Sendable, Codable {
    case raw
    case minute
    case hour
}

/// How a window is read, chosen by cost: the points it reads per series,
/// never by fixed age thresholds.
///
/// A window whose series hold at most `pointsPerSeries` samples each is read
/// raw. A longer one is read as bucket means of the smallest round width that
/// keeps it under that count: folded from the raw samples while decoding them
/// stays within `decodeBudget` samples in all (`decodePerSeries` in one
/// series), else from hour rollups; where
/// the window reaches before the raw retention, from minute or hour rollups.
/// The point budget is shared by the report's series, so a source of 1,000
/// components reads fewer points of each than one of 100.
struct ReadPlan: Sendable, Equatable {
    /// `nil`: every raw sample.
    var bucketMs: Int64?
    var resolution: SeriesResolution

    static let pointBudget = 150_000
    static let decodeBudget = 3_000_000
    /// Past this many samples in one series, decoding costs more than its hour rollups save (a year of minutes: 525,600).
    static let decodePerSeries = 100_000

    static func pointsPerSeries(seriesCount: Int) -> Int {
        min(20_000, max(240, pointBudget / max(1, seriesCount)))
    }

    /// The plan for `window` over `seriesCount` series holding about
    /// `samplesPerSeries` raw samples each in it.
    static func choose(window: TimeWindow, seriesCount: Int, samplesPerSeries: Int,
                       cutoffs: (rawMs: Int64, minuteMs: Int64)) -> ReadPlan {
        let points = pointsPerSeries(seriesCount: seriesCount)
        let rawComplete = window.fromMs >= cutoffs.rawMs
        if rawComplete && samplesPerSeries <= points { return ReadPlan(bucketMs: nil, resolution: .raw) }
        let wanted = max(1000, window.spanMs / Int64(points) + 1)
        var bucket = TrendBuckets.roundMs.first { $0 >= wanted } ?? floor(wanted, RetentionPolicy.hour) + RetentionPolicy.hour
        let decode = samplesPerSeries.multipliedReportingOverflow(by: seriesCount)
        if bucket < RetentionPolicy.hour && (decode.overflow || decode.partialValue > decodeBudget || samplesPerSeries > decodePerSeries) {
            bucket = RetentionPolicy.hour
        }
        if !rawComplete && bucket < RetentionPolicy.minute { bucket = RetentionPolicy.minute }
        if !rawComplete && window.fromMs < cutoffs.minuteMs && bucket < RetentionPolicy.hour { bucket = RetentionPolicy.hour }
        let resolution: SeriesResolution = bucket % RetentionPolicy.hour == 0 ? .hour : rawComplete ? .raw : .minute
        return ReadPlan(bucketMs: bucket, resolution: resolution)
    }

    /// The report's note on how its window was read, or nil for raw samples.
    var note: String? {
        guard let bucketMs else { return nil }
        switch resolution {
        case .raw: return "Read as \(DurationText.spoken(bucketMs)) bucket means of the raw samples for this window"
        case .minute, .hour: return "Read from \(resolution.rawValue) rollups (bucket means) for this window"
        }
    }
}

/// One point of a stored series: a raw sample, or a bucket's mean at its newest sample's time.
struct SeriesPoint: Sendable, Equatable {
    var tsMs: Int64
    var bytes: Int64
    var runID: Int64
    var allocations: Int64?
    var deallocations: Int64?
}

extension HistoryStore {
    /// About how many raw samples each series of `sourceID` holds in `window`:
    /// its usage series, else its first component (the read's cost, from chunk summaries).
    func samplesPerSeries(sourceID: Int64, window: TimeWindow) throws -> Int {
        let usage = try sampleCount(.usage(sourceID: sourceID), window: window)
        if usage > 0 { return usage }
        guard let first = try components(sourceID: sourceID).first else { return 0 }
        return try sampleCount(.component(first.id), window: window)
    }

    /// How many raw samples `series` holds in `window` (its chunks there counted whole).
    func sampleCount(_ series: SeriesID, window: TimeWindow) throws -> Int {
        let sql = switch series {
        case .usage: Queries.snapshotSampleCountIn
        case .component: Queries.componentSampleCountIn
        }
        return try db.cachedStatement(sql: sql)
            .fetchOne([series.id, floor(window.fromMs, RetentionPolicy.hour), window.fromMs, window.toMs]) { $0.int(0) } ?? 0
    }

    /// The points of `series` over `window` as `plan` says.
    func seriesPoints(_ series: SeriesID, window: TimeWindow, plan: ReadPlan) throws -> [SeriesPoint] {
        guard let bucketMs = plan.bucketMs else {
            return try rawSamples(series, fromMs: window.fromMs, toMs: window.toMs).map {
                SeriesPoint(tsMs: $0.tsMs, bytes: $0.bytes, runID: $0.runID, allocations: $0.allocations, deallocations: $0.deallocations)
            }
        }
        return try buckets(series, window: window, bucketMs: bucketMs).map {
            SeriesPoint(tsMs: $0.lastTsMs, bytes: $0.meanBytes, runID: $0.runID,
                        allocations: $0.lastAllocations, deallocations: $0.lastDeallocations)
        }
    }

    /// `series` over `window` in buckets of `bucketMs` (a multiple of 1 s),
    /// from the finest stored data that holds each part of the window:
    /// - whole hours: the hour rollups of its sealed hours, and its open hour's head rows folded;
    /// - finer buckets: raw samples folded from the raw cutoff on; before it,
    ///   minute rollups (hour rollups where those are pruned too).
    func buckets(_ series: SeriesID, window: TimeWindow, bucketMs: Int64) throws -> [RollupBucket] {
        let hour = RetentionPolicy.hour, minute = RetentionPolicy.minute
        let cutoffs = try retentionCutoffs()
        var out: [RollupBucket] = []
        func add(_ b: RollupBucket) {
            let start = floor(b.startMs, bucketMs)
            if out.last?.startMs == start {
                out[out.count - 1].merge(b)
            } else {
                var copy = b
                copy.startMs = start
                out.append(copy)
            }
        }
        func rollups(_ size: Int64, fromMs: Int64, toMs: Int64) throws -> [RollupBucket] {
            switch series {
            case .usage(let id): try snapshotRollups(sourceID: id, bucketMs: size, fromMs: fromMs, toMs: toMs)
            case .component(let id): try componentRollups(componentID: id, bucketMs: size, fromMs: fromMs, toMs: toMs)
            }
        }
        if bucketMs % hour == 0 {
            for b in try rollups(hour, fromMs: window.fromMs, toMs: window.toMs) { add(b) }
            for b in try headBuckets(series, fromMs: window.fromMs, toMs: window.toMs, bucketMs: hour) { add(b) }
            return out
        }
        if window.fromMs < cutoffs.rawMs {
            let archiveEnd = min(window.toMs, cutoffs.rawMs - 1)
            let size = bucketMs % minute == 0 && window.fromMs >= cutoffs.minuteMs ? minute : hour
            for b in try rollups(size, fromMs: window.fromMs, toMs: archiveEnd) where b.startMs <= archiveEnd { add(b) }
        }
        var pending: RollupBucket?
        try forEachRawSample(series, fromMs: max(window.fromMs, cutoffs.rawMs), toMs: window.toMs) { samples in
            for sample in samples {
                let start = floor(sample.tsMs, bucketMs)
                if pending?.startMs == start {
                    pending!.add(sample)
                } else {
                    if let done = pending { add(done) }
                    pending = RollupBucket(startMs: start, sample: sample)
                }
            }
        }
        if let done = pending { add(done) }
        return out
    }
}
