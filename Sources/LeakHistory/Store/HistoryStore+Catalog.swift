import LeakHistoryAnalysis
import SQLiteStore

/// What a source holds, run by run, and the lookups that let an ingest
/// recognise rows it already stored.
extension HistoryStore {
    /// Sample counts and first/last times of each run of a source, by run id.
    func runSampleStats(sourceID: Int64) throws -> [Int64: (snapshots: Int, componentSamples: Int, firstMs: Int64, lastMs: Int64)] {
        var stats: [Int64: (snapshots: Int, componentSamples: Int, firstMs: Int64, lastMs: Int64)] = [:]
        try db.cachedStatement(sql: Queries.runSnapshotStats).forEachRow([sourceID]) {
            stats[$0.int64(0)] = (snapshots: $0.int(1), componentSamples: 0, firstMs: $0.int64(2), lastMs: $0.int64(3))
        }
        try db.cachedStatement(sql: Queries.runComponentSampleStats).forEachRow([sourceID]) { row in
            let run = row.int64(0), first = row.int64(2), last = row.int64(3)
            if var entry = stats[run] {
                entry.componentSamples = row.int(1)
                entry.firstMs = min(entry.firstMs, first)
                entry.lastMs = max(entry.lastMs, last)
                stats[run] = entry
            } else {
                stats[run] = (snapshots: 0, componentSamples: row.int(1), firstMs: first, lastMs: last)
            }
        }
        return stats
    }

    func deleteSource(sourceID: Int64) throws {
        try db.cachedStatement(sql: Queries.sourceDelete).execute([sourceID])
        forgetCachedIDs()
    }

    /// Deletes a run that recorded nothing (see `LeakRecorder.closeDiscardingEmptyRun`), then its
    /// source when `deleteEmptySource` and the source holds nothing else. Returns whether the run went.
    func deleteEmptyRun(_ runID: Int64, sourceID: Int64, deleteEmptySource: Bool) throws -> Bool {
        try db.cachedStatement(sql: Queries.runDeleteEmpty).execute([runID])
        guard db.changesCount == 1 else { return false }
        if deleteEmptySource { try db.cachedStatement(sql: Queries.sourceDeleteEmpty).execute([sourceID]) }
        return true
    }

    func renameSource(sourceID: Int64, to name: String) throws {
        try db.cachedStatement(sql: Queries.sourceRename).execute([sourceID, name])
        forgetCachedIDs()
    }

    func newestSnapshotMs(sourceID: Int64) throws -> Int64? {
        try extent(.usage(sourceID: sourceID))?.newestMs
    }

    func newestComponentSampleMs(componentID: Int64) throws -> Int64? {
        try extent(.component(componentID))?.newestMs
    }

    func hasBaseline(sourceID: Int64, atMs tsMs: Int64) throws -> Bool {
        try db.cachedStatement(sql: Queries.baselineAt).fetchOne([sourceID, tsMs]) { $0.int64(0) } != nil
    }

    /// The run of a source that started at exactly `tsMs`, with its version and labels.
    func run(sourceID: Int64, startedAtMs tsMs: Int64) throws -> (id: Int64, deployment: RunDeployment)? {
        guard let (id, version) = try db.cachedStatement(sql: Queries.runStartedAt).fetchOne([sourceID, tsMs], {
            ($0.int64(0), $0.optionalString(1))
        }) else { return nil }
        return (id, try deployment(runID: id, version: version))
    }
}
