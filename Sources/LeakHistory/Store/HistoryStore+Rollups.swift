import SQLiteStore

/// Rollups, retention and settings.
///
/// Rollups are recomputed from the raw samples (chunks and head rows), bucket
/// by bucket, so they always agree with them: after every ingest for the
/// ranges it touched, and from each series' newest rollup bucket on (its
/// watermark) before a query reads them, on a recorder's periodic refresh and
/// before a prune deletes raw samples.
extension HistoryStore {
    static let rollupSizes: [Int64] = [RetentionPolicy.minute, RetentionPolicy.hour]

    /// Recomputes the minute and hour rollups of `series` covering the whole hours of `[fromMs, toMs]`.
    func refreshRollups(_ series: SeriesID, fromMs: Int64, toMs: Int64) throws {
        let minute = RetentionPolicy.minute, hour = RetentionPolicy.hour
        let start = floor(fromMs, hour), end = floor(toMs, hour) + hour
        var buckets: [RollupBucket] = []
        try forEachRawSample(series, fromMs: start, toMs: end - 1) { samples in
            for sample in samples {
                let bucketStart = floor(sample.tsMs, minute)
                if buckets.last?.startMs == bucketStart {
                    buckets[buckets.count - 1].add(sample)
                } else {
                    buckets.append(RollupBucket(startMs: bucketStart, sample: sample))
                }
            }
        }
        let put: Statement, reroll: Statement
        switch series {
        case .usage:
            put = try db.cachedStatement(sql: Queries.snapshotRollupPut)
            reroll = try db.cachedStatement(sql: Queries.snapshotRollupReroll)
        case .component:
            put = try db.cachedStatement(sql: Queries.componentRollupPut)
            reroll = try db.cachedStatement(sql: Queries.componentRollupReroll)
        }
        for b in buckets {
            var arguments: StatementArguments = [series.id, minute, b.startMs, b.runID, b.minBytes, b.maxBytes, b.lastBytes,
                                                 b.sumBytes, b.count, b.firstTsMs, b.lastTsMs]
            // A snapshot bucket has no counts.
            if case .component = series { arguments.values += [b.lastAllocations.databaseValue, b.lastDeallocations.databaseValue] }
            try put.execute(arguments)
        }
        try reroll.execute([series.id, start, end, minute, hour])
    }

    /// Recomputes the rollups of the snapshot series of `sourceID` covering `[fromMs, toMs]`.
    func refreshSnapshotRollups(sourceID: Int64, fromMs: Int64, toMs: Int64) throws {
        try refreshRollups(.usage(sourceID: sourceID), fromMs: fromMs, toMs: toMs)
    }

    /// Recomputes the rollups of component `componentID` covering `[fromMs, toMs]`.
    func refreshComponentRollups(componentID: Int64, fromMs: Int64, toMs: Int64) throws {
        try refreshRollups(.component(componentID), fromMs: fromMs, toMs: toMs)
    }

    /// Brings every rollup of a source up to date from its watermark on.
    func refreshRollups(sourceID: Int64, nowMs: Int64) throws {
        try db.inTransaction {
            let snapshotFrom = try db.cachedStatement(sql: Queries.snapshotRollupWatermark)
                .fetchOne([sourceID, RetentionPolicy.minute]) { $0.optionalInt64(0) } ?? nil
            if let from = try snapshotFrom ?? extent(.usage(sourceID: sourceID))?.oldestMs {
                try refreshSnapshotRollups(sourceID: sourceID, fromMs: from, toMs: Int64.max / 2)
            }
            for component in try components(sourceID: sourceID) {
                let watermark = try db.cachedStatement(sql: Queries.componentRollupWatermark)
                    .fetchOne([component.id, RetentionPolicy.minute]) { $0.optionalInt64(0) } ?? nil
                if let from = try watermark ?? extent(.component(component.id))?.oldestMs {
                    try refreshComponentRollups(componentID: component.id, fromMs: from, toMs: Int64.max / 2)
                }
            }
        }
    }

    /// Rollup buckets of the snapshot series, oldest first.
    func snapshotRollups(sourceID: Int64, bucketMs: Int64, fromMs: Int64, toMs: Int64) throws -> [RollupBucket] {
        try db.cachedStatement(sql: Queries.snapshotRollupRange).fetchAll([sourceID, bucketMs, floor(fromMs, bucketMs), toMs]) {
            RollupBucket(startMs: $0.int64(0), runID: $0.int64(1), minBytes: $0.int64(2), maxBytes: $0.int64(3),
                         lastBytes: $0.int64(4), sumBytes: $0.double(5), count: $0.int64(6),
                         firstTsMs: $0.int64(7), lastTsMs: $0.int64(8), lastAllocations: nil, lastDeallocations: nil)
        }
    }

    /// Rollup buckets of a component, oldest first.
    func componentRollups(componentID: Int64, bucketMs: Int64, fromMs: Int64, toMs: Int64) throws -> [RollupBucket] {
        try db.cachedStatement(sql: Queries.componentRollupRange).fetchAll([componentID, bucketMs, floor(fromMs, bucketMs), toMs]) {
            RollupBucket(startMs: $0.int64(0), runID: $0.int64(1), minBytes: $0.int64(2), maxBytes: $0.int64(3),
                         lastBytes: $0.int64(4), sumBytes: $0.double(5), count: $0.int64(6),
                         firstTsMs: $0.int64(7), lastTsMs: $0.int64(8),
                         lastAllocations: $0.optionalInt64(9), lastDeallocations: $0.optionalInt64(10))
        }
    }

    // MARK: Settings and retention

    func setting(_ key: String) throws -> Int64? {
        try db.cachedStatement(sql: Queries.settingGet).fetchOne([key]) { $0.int64(0) }
    }

    func putSetting(_ key: String, _ value: Int64) throws {
        try db.cachedStatement(sql: Queries.settingPut).execute([key, value])
    }

    /// How far back each resolution is complete: raw rows and minute rollups
    /// before these times have been pruned (`.min` while nothing was).
    func retentionCutoffs() throws -> (rawMs: Int64, minuteMs: Int64) {
        (try setting("retention.raw_cutoff_ms") ?? .min, try setting("retention.minute_cutoff_ms") ?? .min)
    }

    /// The retention policy stored in the file, or the defaults.
    func retentionPolicy() throws -> RetentionPolicy {
        var policy = RetentionPolicy()
        if let raw = try setting("retention.raw_ms") { policy.rawMs = raw }
        if let minute = try setting("retention.minute_ms") { policy.minuteMs = minute }
        if let hour = try setting("retention.hour_ms") { policy.hourMs = hour }
        return policy
    }

    func storeRetentionPolicy(_ policy: RetentionPolicy) throws {
        try policy.validate()
        try db.inTransaction {
            try putSetting("retention.raw_ms", policy.rawMs)
            try putSetting("retention.minute_ms", policy.minuteMs)
            try putSetting("retention.hour_ms", policy.hourMs)
        }
    }

    /// Applies `policy` at `nowMs`: rollups first brought up to date, every
    /// series' finished hours sealed into chunks, then chunks whose every
    /// sample is past the raw retention and rollups past theirs deleted, source by source.
    func prune(policy: RetentionPolicy, nowMs: Int64) throws -> PruneResult {
        var result = PruneResult()
        let rawCutoff = nowMs - policy.rawMs
        for source in try sources() {
            try refreshRollups(sourceID: source.id, nowMs: nowMs)
            try db.inTransaction {
                try sealSource(source.id, beforeMs: nowMs)
                result.snapshotsDeleted += try pruneRaw(.usage(sourceID: source.id), beforeMs: rawCutoff)
                try db.cachedStatement(sql: Queries.snapshotRollupPrune).execute([source.id, RetentionPolicy.minute, nowMs - policy.minuteMs])
                result.rollupsDeleted += db.changesCount
                try db.cachedStatement(sql: Queries.snapshotRollupPrune).execute([source.id, RetentionPolicy.hour, nowMs - policy.hourMs])
                result.rollupsDeleted += db.changesCount
                for component in try components(sourceID: source.id) {
                    result.componentSamplesDeleted += try pruneRaw(.component(component.id), beforeMs: rawCutoff)
                    try db.cachedStatement(sql: Queries.componentRollupPrune).execute([component.id, RetentionPolicy.minute, nowMs - policy.minuteMs])
                    result.rollupsDeleted += db.changesCount
                    try db.cachedStatement(sql: Queries.componentRollupPrune).execute([component.id, RetentionPolicy.hour, nowMs - policy.hourMs])
                    result.rollupsDeleted += db.changesCount
                }
                try putSetting("retention.last_prune_ms", nowMs)
                // Windows starting at or after these are complete at that resolution.
                try putSetting("retention.raw_cutoff_ms", max(try setting("retention.raw_cutoff_ms") ?? .min, rawCutoff))
                try putSetting("retention.minute_cutoff_ms", max(try setting("retention.minute_cutoff_ms") ?? .min, nowMs - policy.minuteMs))
            }
        }
        // Freed pages are reused by later writes; truncating the WAL returns its space now.
        try? db.checkpoint()
        return result
    }

    /// Deletes the head rows of `series` before `beforeMs` and the chunks
    /// whose every sample is before it (whole chunks: one that straddles the
    /// cutoff stays); returns the samples deleted.
    private func pruneRaw(_ series: SeriesID, beforeMs: Int64) throws -> Int {
        let (head, chunks) = switch series {
        case .usage: (Queries.snapshotHeadDeleteBefore, Queries.snapshotChunkPrune)
        case .component: (Queries.componentHeadDeleteBefore, Queries.componentChunkPrune)
        }
        try db.cachedStatement(sql: head).execute([series.id, beforeMs])
        var deleted = db.changesCount
        try db.cachedStatement(sql: chunks).forEachRow([series.id, beforeMs]) { deleted += $0.int(0) }
        return deleted
    }
}

/// One rollup bucket of a series.
struct RollupBucket: Sendable, Equatable {
    var startMs: Int64
    var runID: Int64
    var minBytes: Int64
    var maxBytes: Int64
    var lastBytes: Int64
    /// A REAL in the file: the sum of a bucket's samples may exceed Int64.
    var sumBytes: Double
    var count: Int64
    var firstTsMs: Int64
    var lastTsMs: Int64
    var lastAllocations: Int64?
    var lastDeallocations: Int64?

    var meanBytes: Int64 { count > 0 ? Int64(clampingDouble: sumBytes / Double(count)) : lastBytes }

    /// A bucket of one sample.
    init(startMs: Int64, sample: RawSample) {
        self.init(startMs: startMs, runID: sample.runID, minBytes: sample.bytes, maxBytes: sample.bytes, lastBytes: sample.bytes,
                  sumBytes: Double(sample.bytes), count: 1, firstTsMs: sample.tsMs, lastTsMs: sample.tsMs,
                  lastAllocations: sample.allocations, lastDeallocations: sample.deallocations)
    }

    init(startMs: Int64, runID: Int64, minBytes: Int64, maxBytes: Int64, lastBytes: Int64, sumBytes: Double, count: Int64,
         firstTsMs: Int64, lastTsMs: Int64, lastAllocations: Int64?, lastDeallocations: Int64?) {
        self.startMs = startMs
        self.runID = runID
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.lastBytes = lastBytes
        self.sumBytes = sumBytes
        self.count = count
        self.firstTsMs = firstTsMs
        self.lastTsMs = lastTsMs
        self.lastAllocations = lastAllocations
        self.lastDeallocations = lastDeallocations
    }

    /// Adds a sample newer than every one in the bucket.
    mutating func add(_ sample: RawSample) {
        minBytes = min(minBytes, sample.bytes)
        maxBytes = max(maxBytes, sample.bytes)
        sumBytes += Double(sample.bytes)
        count += 1
        lastBytes = sample.bytes
        lastTsMs = sample.tsMs
        runID = sample.runID
        lastAllocations = sample.allocations
        lastDeallocations = sample.deallocations
    }
}

/// `value` rounded down to a multiple of `step` (toward −∞); `Int64.min` when that is below it.
func floor(_ value: Int64, _ step: Int64) -> Int64 {
    let q = value / step
    let (result, overflow) = (value % step < 0 ? q - 1 : q).multipliedReportingOverflow(by: step)
    return overflow ? .min : result
}
