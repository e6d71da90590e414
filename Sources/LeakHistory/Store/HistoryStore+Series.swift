import LeakHistoryAnalysis

// Reading a series as a ReadPlan chose: raw samples or rollup buckets.
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
        try points(storedSeriesPoints(series, window: window, plan: plan))
    }

    /// What `storedSeriesPoints` reads for each of `componentIDs` (of source
    /// `sourceID`): raw chunks of all of them at once, or each one's buckets.
    func storedComponentSeriesPoints(sourceID: Int64, componentIDs: [Int64], window: TimeWindow, plan: ReadPlan) throws -> [StoredPoints] {
        guard plan.bucketMs != nil else {
            return try storedComponentPoints(sourceID: sourceID, componentIDs: componentIDs, fromMs: window.fromMs, toMs: window.toMs)
        }
        return try componentIDs.map { try storedSeriesPoints(.component($0), window: window, plan: plan) }
    }

    /// What `seriesPoints` reads from the file: raw chunks not yet decoded, or buckets.
    func storedSeriesPoints(_ series: SeriesID, window: TimeWindow, plan: ReadPlan) throws -> StoredPoints {
        guard let bucketMs = plan.bucketMs else { return try storedPoints(series, fromMs: window.fromMs, toMs: window.toMs) }
        return StoredPoints(series: series, points: try buckets(series, window: window, bucketMs: bucketMs).map {
            SeriesPoint(tsMs: $0.lastTsMs, bytes: $0.meanBytes, runID: $0.runID,
                        allocations: $0.lastAllocations, deallocations: $0.lastDeallocations)
        })
    }

    /// `series` over `window` in buckets of `bucketMs` (a multiple of 1 s),
    /// from the finest stored data that holds each part of the window:
    /// - whole hours: the hour rollups of its sealed hours, and its open hour's head rows folded;
    /// - finer buckets: raw samples folded from the raw cutoff on (buckets of
    ///   whole five-minute slots from the chunks' slot summaries); before it,
    ///   minute rollups (hour rollups where those are pruned too).
    func buckets(_ series: SeriesID, window: TimeWindow, bucketMs: Int64) throws -> [RollupBucket] {
        let hour = RetentionPolicy.hour, minute = RetentionPolicy.minute
        let cutoffs = try retentionCutoffs()
        var fold = BucketFold(bucketMs: bucketMs)
        func rollups(_ size: Int64, fromMs: Int64, toMs: Int64) throws -> [RollupBucket] {
            switch series {
            case .usage(let id): try snapshotRollups(sourceID: id, bucketMs: size, fromMs: fromMs, toMs: toMs)
            case .component(let id): try componentRollups(componentID: id, bucketMs: size, fromMs: fromMs, toMs: toMs)
            }
        }
        if bucketMs % hour == 0 {
            fold.add(try rollups(hour, fromMs: window.fromMs, toMs: window.toMs))
            fold.add(try headBuckets(series, fromMs: window.fromMs, toMs: window.toMs, bucketMs: hour))
            return fold.buckets
        }
        if window.fromMs < cutoffs.rawMs {
            let archiveEnd = min(window.toMs, cutoffs.rawMs - 1)
            let size = bucketMs % minute == 0 && window.fromMs >= cutoffs.minuteMs ? minute : hour
            fold.add(try rollups(size, fromMs: window.fromMs, toMs: archiveEnd).filter { $0.startMs <= archiveEnd })
        }
        let rawFromMs = max(window.fromMs, cutoffs.rawMs)
        if bucketMs % ChunkSlotsCodec.slotMs == 0, let slotted = try slotBuckets(series, fromMs: rawFromMs, toMs: window.toMs, bucketMs: bucketMs) {
            fold.add(slotted)
            return fold.buckets
        }
        try forEachRawSample(series, fromMs: rawFromMs, toMs: window.toMs) { fold.add(samples: $0) }
        return fold.buckets
    }
}
