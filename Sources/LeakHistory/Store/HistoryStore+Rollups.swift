import LeakHistoryAnalysis
import SQLiteStore

/// Rollups, retention and settings.
///
/// Rollups are kept from what each write adds, never by re-reading the raw
/// samples of the buckets it touched:
/// - **hour** rollups from the summaries of the chunks an hour is sealed into
///   (`putHourRollup`, in the same transaction as the sealing), so they hold
///   every sealed hour; a series' open hour (its head rows) is folded in when
///   it is read;
/// - **minute** rollups are the archive of raw samples that retention drops:
///   a prune folds the samples leaving the raw retention into them
///   (`archiveMinutes`). While raw samples are kept, finer reads fold them.
extension HistoryStore {
    private func rollupStatements(_ series: SeriesID) throws -> (put: Statement, merge: Statement) {
        switch series {
        case .usage:
            (try db.cachedStatement(sql: Queries.snapshotRollupPut), try db.cachedStatement(sql: Queries.snapshotRollupMerge))
        case .component:
            (try db.cachedStatement(sql: Queries.componentRollupPut), try db.cachedStatement(sql: Queries.componentRollupMerge))
        }
    }

    private func bind(_ b: RollupBucket, series: SeriesID, size: Int64) -> StatementArguments {
        var arguments: StatementArguments = [series.id, size, b.startMs, b.runID, b.minBytes, b.maxBytes, b.lastBytes,
                                             b.sumBytes, b.count, b.firstTsMs, b.lastTsMs]
        // A snapshot bucket has no counts.
        if case .component = series { arguments.values += [b.lastAllocations.databaseValue, b.lastDeallocations.databaseValue] }
        return arguments
    }

    /// Writes the hour rollup of `hourMs` after the hour was sealed: folded
    /// from the summaries of its chunks, exact, when the whole hour is within
    /// the raw retention; otherwise (a historic write into an hour retention
    /// already thinned), or when `sealed` was `appended` after every chunk of
    /// the open hour (whose rollup holds those), `sealed`'s samples are added
    /// to what the bucket held. An hour that is over is sealed once more, and
    /// its rollup then folded from its chunks again.
    func putHourRollup(_ series: SeriesID, hourMs: Int64, sealed: [RawSample], appended: Bool = false) throws {
        let hour = RetentionPolicy.hour
        let statements = try rollupStatements(series)
        if !appended, hourMs >= (try retentionCutoffs().rawMs) {
            let sql = switch series {
            case .usage: Queries.snapshotChunkSummaries
            case .component: Queries.componentChunkSummaries
            }
            var bucket: RollupBucket?
            try db.cachedStatement(sql: sql).forEachRow([series.id, hourMs, hourMs + hour]) { row in
                let chunk = RollupBucket(startMs: hourMs, runID: row.int64(2), minBytes: row.int64(4), maxBytes: row.int64(5),
                                         lastBytes: row.int64(6), sumBytes: row.double(7), count: row.int64(3),
                                         firstTsMs: row.int64(0), lastTsMs: row.int64(1),
                                         lastAllocations: row.optionalInt64(8), lastDeallocations: row.optionalInt64(9))
                if bucket == nil { bucket = chunk } else { bucket!.merge(chunk) }
            }
            if let bucket { try statements.put.execute(bind(bucket, series: series, size: hour)) }
        } else {
            for bucket in RollupBucket.fold(sealed, bucketMs: hour) {
                try statements.merge.execute(bind(bucket, series: series, size: hour))
            }
        }
    }

    /// Folds the raw samples of `series` in `[fromMs, toMs)` into its minute rollups, adding to what they hold.
    func archiveMinutes(_ series: SeriesID, fromMs: Int64, toMs: Int64) throws {
        guard fromMs < toMs else { return }
        let merge = try rollupStatements(series).merge
        var pending: RollupBucket?
        try forEachRawSample(series, fromMs: fromMs, toMs: toMs - 1) { samples in
            for sample in samples {
                let start = floor(sample.tsMs, RetentionPolicy.minute)
                if pending?.startMs == start {
                    pending!.add(sample)
                } else {
                    if let done = pending { try merge.execute(bind(done, series: series, size: RetentionPolicy.minute)) }
                    pending = RollupBucket(startMs: start, sample: sample)
                }
            }
        }
        if let done = pending { try merge.execute(bind(done, series: series, size: RetentionPolicy.minute)) }
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

    /// Applies `policy` at `nowMs`, source by source: every series' finished
    /// hours sealed into chunks, the samples leaving the raw retention folded
    /// into minute rollups, then the chunks whose every sample is past it and
    /// the rollups past theirs deleted.
    func prune(policy: RetentionPolicy, nowMs: Int64) throws -> PruneResult {
        var result = PruneResult()
        let rawCutoff = nowMs - policy.rawMs
        // One transaction: the samples folded into minute rollups and the
        // cutoff that says they were are committed together, so a crash never
        // folds them twice.
        try db.inTransaction {
            // Samples before the previous cutoff were folded by the prune that set it.
            let archivedBefore = try retentionCutoffs().rawMs
            for source in try sources() {
                var series: [SeriesID] = [.usage(sourceID: source.id)]
                series += try components(sourceID: source.id).map { .component($0.id) }
                for s in series {
                    try seal(s, beforeMs: nowMs)
                    if rawCutoff > archivedBefore, let oldest = try extent(s)?.oldestMs {
                        try archiveMinutes(s, fromMs: max(archivedBefore, oldest), toMs: rawCutoff)
                    }
                    let deleted = try pruneRaw(s, beforeMs: rawCutoff)
                    let prune: String
                    switch s {
                    case .usage:
                        prune = Queries.snapshotRollupPrune
                        result.snapshotsDeleted += deleted
                    case .component:
                        prune = Queries.componentRollupPrune
                        result.componentSamplesDeleted += deleted
                    }
                    try db.cachedStatement(sql: prune).execute([s.id, RetentionPolicy.minute, nowMs - policy.minuteMs])
                    result.rollupsDeleted += db.changesCount
                    try db.cachedStatement(sql: prune).execute([s.id, RetentionPolicy.hour, nowMs - policy.hourMs])
                    result.rollupsDeleted += db.changesCount
                }
            }
            try putSetting("retention.last_prune_ms", nowMs)
            // Windows starting at or after these are complete at that resolution.
            try putSetting("retention.raw_cutoff_ms", max(archivedBefore, rawCutoff))
            try putSetting("retention.minute_cutoff_ms", max(try setting("retention.minute_cutoff_ms") ?? .min, nowMs - policy.minuteMs))
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

    /// Adds the samples of `other`; the newer last stays the last.
    mutating func merge(_ other: RollupBucket) {
        minBytes = min(minBytes, other.minBytes)
        maxBytes = max(maxBytes, other.maxBytes)
        sumBytes += other.sumBytes
        count += other.count
        firstTsMs = min(firstTsMs, other.firstTsMs)
        if other.lastTsMs >= lastTsMs {
            lastTsMs = other.lastTsMs
            lastBytes = other.lastBytes
            runID = other.runID
            lastAllocations = other.lastAllocations
            lastDeallocations = other.lastDeallocations
        }
    }

    /// `samples` (in time order) folded into buckets of `bucketMs`.
    static func fold(_ samples: [RawSample], bucketMs: Int64) -> [RollupBucket] {
        var fold = BucketFold(bucketMs: bucketMs)
        fold.add(samples: samples)
        return fold.buckets
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

/// Buckets of `bucketMs` gathered in time order from finer buckets and samples:
/// a piece whose start falls in the last bucket joins it.
struct BucketFold {
    let bucketMs: Int64
    private(set) var buckets: [RollupBucket] = []

    init(bucketMs: Int64) {
        self.bucketMs = bucketMs
    }

    /// Adds a finer bucket (a rollup, a slot, a summed stretch of head rows) newer than the ones before.
    mutating func add(_ bucket: RollupBucket) {
        let start = floor(bucket.startMs, bucketMs)
        if buckets.last?.startMs == start {
            buckets[buckets.count - 1].merge(bucket)
        } else {
            var copy = bucket
            copy.startMs = start
            buckets.append(copy)
        }
    }

    mutating func add(_ more: some Sequence<RollupBucket>) {
        for bucket in more { add(bucket) }
    }

    /// Adds samples in time order, newer than every one before.
    mutating func add(samples: some Sequence<RawSample>) {
        for sample in samples {
            let start = floor(sample.tsMs, bucketMs)
            if buckets.last?.startMs == start {
                buckets[buckets.count - 1].add(sample)
            } else {
                buckets.append(RollupBucket(startMs: start, sample: sample))
            }
        }
    }
}

/// `value` rounded down to a multiple of `step` (toward −∞); `Int64.min` when that is below it.
func floor(_ value: Int64, _ step: Int64) -> Int64 {
    let q = value / step
    let (result, overflow) = (value % step < 0 ? q - 1 : q).multipliedReportingOverflow(by: step)
    return overflow ? .min : result
}
