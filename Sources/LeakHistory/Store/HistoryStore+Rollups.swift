import SQLiteStore

/// Rollups, retention and settings.
///
/// Rollups are recomputed from the raw rows, bucket by bucket, so they always
/// agree with them: after every ingest for the ranges it touched, and from each
/// series' newest rollup bucket on (its watermark) before a query reads them,
/// on a recorder's periodic refresh and before a prune deletes raw rows.
extension HistoryStore {
    static let rollupSizes: [Int64] = [RetentionPolicy.minute, RetentionPolicy.hour]

    /// Recomputes the rollups of the snapshot series of `sourceID` covering `[fromMs, toMs]`.
    func refreshSnapshotRollups(sourceID: Int64, fromMs: Int64, toMs: Int64) throws {
        let minute = RetentionPolicy.minute, hour = RetentionPolicy.hour
        let start = floor(fromMs, hour), end = floor(toMs, hour) + hour
        try db.cachedStatement(sql: Queries.snapshotRollupRefresh).execute([sourceID, start, end, minute])
        try db.cachedStatement(sql: Queries.snapshotRollupReroll).execute([sourceID, start, end, minute, hour])
    }

    /// Recomputes the rollups of component `componentID` covering `[fromMs, toMs]`.
    func refreshComponentRollups(componentID: Int64, fromMs: Int64, toMs: Int64) throws {
        let minute = RetentionPolicy.minute, hour = RetentionPolicy.hour
        let start = floor(fromMs, hour), end = floor(toMs, hour) + hour
        try db.cachedStatement(sql: Queries.componentRollupRefresh).execute([componentID, start, end, minute])
        try db.cachedStatement(sql: Queries.componentRollupReroll).execute([componentID, start, end, minute, hour])
    }

    /// Brings every rollup of a source up to date from its watermark on.
    func refreshRollups(sourceID: Int64, nowMs: Int64) throws {
        try db.inTransaction {
            let snapshotFrom = try db.cachedStatement(sql: Queries.snapshotRollupWatermark)
                .fetchOne([sourceID, RetentionPolicy.minute]) { $0.optionalInt64(0) } ?? nil
            let firstSnapshot = try db.cachedStatement(sql: Queries.snapshotFirstTs).fetchOne([sourceID]) { $0.optionalInt64(0) } ?? nil
            if let from = snapshotFrom ?? firstSnapshot {
                try refreshSnapshotRollups(sourceID: sourceID, fromMs: from, toMs: Int64.max / 2)
            }
            for component in try components(sourceID: sourceID) {
                let watermark = try db.cachedStatement(sql: Queries.componentRollupWatermark)
                    .fetchOne([component.id, RetentionPolicy.minute]) { $0.optionalInt64(0) } ?? nil
                let first = try db.cachedStatement(sql: Queries.componentSampleFirstTs).fetchOne([component.id]) { $0.optionalInt64(0) } ?? nil
                if let from = watermark ?? first {
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

    /// Applies `policy` at `nowMs`: rollups first brought up to date, then raw
    /// rows and rollups past their retention deleted, source by source.
    func prune(policy: RetentionPolicy, nowMs: Int64) throws -> PruneResult {
        var result = PruneResult()
        for source in try sources() {
            try refreshRollups(sourceID: source.id, nowMs: nowMs)
            try db.inTransaction {
                try db.cachedStatement(sql: Queries.snapshotPrune).execute([source.id, nowMs - policy.rawMs])
                result.snapshotsDeleted += db.changesCount
                try db.cachedStatement(sql: Queries.snapshotRollupPrune).execute([source.id, RetentionPolicy.minute, nowMs - policy.minuteMs])
                result.rollupsDeleted += db.changesCount
                try db.cachedStatement(sql: Queries.snapshotRollupPrune).execute([source.id, RetentionPolicy.hour, nowMs - policy.hourMs])
                result.rollupsDeleted += db.changesCount
                for component in try components(sourceID: source.id) {
                    try db.cachedStatement(sql: Queries.componentSamplePrune).execute([component.id, nowMs - policy.rawMs])
                    result.componentSamplesDeleted += db.changesCount
                    try db.cachedStatement(sql: Queries.componentRollupPrune).execute([component.id, RetentionPolicy.minute, nowMs - policy.minuteMs])
                    result.rollupsDeleted += db.changesCount
                    try db.cachedStatement(sql: Queries.componentRollupPrune).execute([component.id, RetentionPolicy.hour, nowMs - policy.hourMs])
                    result.rollupsDeleted += db.changesCount
                }
                try putSetting("retention.last_prune_ms", nowMs)
                // Windows starting at or after these are complete at that resolution.
                try putSetting("retention.raw_cutoff_ms", max(try setting("retention.raw_cutoff_ms") ?? .min, nowMs - policy.rawMs))
                try putSetting("retention.minute_cutoff_ms", max(try setting("retention.minute_cutoff_ms") ?? .min, nowMs - policy.minuteMs))
            }
        }
        // Freed pages are reused by later writes; truncating the WAL returns its space now.
        try? db.checkpoint()
        return result
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
}

/// `value` rounded down to a multiple of `step` (toward −∞).
func floor(_ value: Int64, _ step: Int64) -> Int64 {
    let q = value / step
    return (value % step < 0 ? q - 1 : q) * step
}
