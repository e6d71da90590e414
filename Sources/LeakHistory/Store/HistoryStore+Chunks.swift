import LeakHistoryAnalysis
import SQLiteStore

/// A stored series: a source's usage snapshots, or one component's samples.
enum SeriesID: Hashable, Sendable {
    case usage(sourceID: Int64)
    case component(Int64)

    var id: Int64 {
        switch self {
        case .usage(let id), .component(let id): id
        }
    }
}

/// One raw sample of a series with its run, from a chunk or a head row.
struct RawSample: Sendable, Equatable {
    var tsMs: Int64
    var runID: Int64
    var bytes: Int64
    var allocations: Int64? = nil
    var deallocations: Int64? = nil
    /// How many counted events the sample sums up (ingest), `nil` from a recorder.
    var events: Int64? = nil

    var chunkSample: ChunkSample {
        ChunkSample(tsMs: tsMs, bytes: bytes, allocations: allocations, deallocations: deallocations, events: events)
    }
}

/// A stored chunk that does not decode, named by its series and the time it starts.
public struct StoredChunkCorruption: Error, CustomStringConvertible, Sendable {
    public var series: String
    public var startMs: Int64
    public var reason: String
    public var path: String

    public var description: String {
        "the stored samples of \(series) from \(TimestampText.iso(startMs)) (ts_ms \(startMs)) in '\(path)' are damaged: \(reason); "
            + "other series and hours still read"
    }
}

/// Raw samples as chunks and head rows.
///
/// Each series keeps its newest five-minute slot as rows (`snapshot`,
/// `component_sample`: the head) and everything older as chunks
/// (`snapshot_chunk`, `component_chunk`): an hour that is over as one chunk
/// a run, the open hour as a chunk for each slot sealed so far. A write
/// lands in the head; `seal` then appends the head's older slots as chunks,
/// and re-encodes each hour that is over, or that a head row falls among the
/// chunks of, with that hour's chunks: so an out-of-order or historic write
/// re-encodes the chunks of its hour, and a head row supersedes a chunk's
/// sample at the same millisecond.
extension HistoryStore {
    static let chunkHourMs = RetentionPolicy.hour
    /// Head rows are sealed a five-minute slot at a time (the chunks' slots).
    static let sealSlotMs = ChunkSlotsCodec.slotMs
    /// At most this many samples to a chunk (a second-by-second hour is two chunks).
    static let maxSamplesPerChunk = 2048

    private struct SeriesQueries {
        let headRange, headSummary, headBuckets, headNewest, headBucketNewest, headDeleteBefore: String
        let chunkRange, chunkBefore, chunkInsert, chunkDeleteRange, chunkUnsummarised, chunkSlotsPut, extent: String
        /// Whether the head rows carry counts (a component's do).
        let counted: Bool
    }

    private func queries(_ series: SeriesID) -> SeriesQueries {
        switch series {
        case .usage:
            SeriesQueries(headRange: Queries.snapshotHeadRange, headSummary: Queries.snapshotHeadSummary, headBuckets: Queries.snapshotHeadBuckets,
                          headNewest: Queries.snapshotHeadNewest, headBucketNewest: Queries.snapshotHeadBucketNewest, headDeleteBefore: Queries.snapshotHeadDeleteBefore,
                          chunkRange: Queries.snapshotChunkRange, chunkBefore: Queries.snapshotChunkBefore,
                          chunkInsert: Queries.snapshotChunkInsert, chunkDeleteRange: Queries.snapshotChunkDeleteRange,
                          chunkUnsummarised: Queries.snapshotChunkUnsummarised, chunkSlotsPut: Queries.snapshotChunkSlotsPut,
                          extent: Queries.snapshotSeriesExtent, counted: false)
        case .component:
            SeriesQueries(headRange: Queries.componentHeadRange, headSummary: Queries.componentHeadSummary, headBuckets: Queries.componentHeadBuckets,
                          headNewest: Queries.componentHeadNewest, headBucketNewest: Queries.componentHeadBucketNewest, headDeleteBefore: Queries.componentHeadDeleteBefore,
                          chunkRange: Queries.componentChunkRange, chunkBefore: Queries.componentChunkBefore,
                          chunkInsert: Queries.componentChunkInsert, chunkDeleteRange: Queries.componentChunkDeleteRange,
                          chunkUnsummarised: Queries.componentChunkUnsummarised, chunkSlotsPut: Queries.componentChunkSlotsPut,
                          extent: Queries.componentSeriesExtent, counted: true)
        }
    }

    // MARK: Reading

    /// The head rows of `series` in `[fromMs, toMs]`, oldest first.
    func headSamples(_ series: SeriesID, fromMs: Int64, toMs: Int64) throws -> [RawSample] {
        let statement = try db.cachedStatement(sql: queries(series).headRange)
        switch series {
        case .usage:
            return try statement.fetchAll([series.id, fromMs, toMs]) { RawSample(tsMs: $0.int64(0), runID: $0.int64(1), bytes: $0.int64(2)) }
        case .component:
            return try statement.fetchAll([series.id, fromMs, toMs]) { RawSample(componentRow: $0, from: 0) }
        }
    }

    /// The head rows of `series` in `[fromMs, toMs]` folded into buckets of
    /// `bucketMs` — what `RollupBucket.fold(headSamples(…))` gives — summed up
    /// by SQLite (a count, total, least, most and the newest row of each
    /// bucket) instead of stepping every row: a source's open hour is up to
    /// 360 rows a series, 360,000 for 1,000 components.
    func headBuckets(_ series: SeriesID, fromMs: Int64, toMs: Int64, bucketMs: Int64) throws -> [RollupBucket] {
        guard fromMs <= toMs, bucketMs > 0 else { return [] }
        let sql = queries(series)
        let arguments: StatementArguments = [series.id, fromMs, toMs, bucketMs]
        func bucket(_ row: Row, start: Int64, from column: Int) -> RollupBucket {
            RollupBucket(startMs: start, runID: 0, minBytes: row.int64(column + 2), maxBytes: row.int64(column + 3), lastBytes: 0,
                         sumBytes: row.double(column + 1), count: row.int64(column), firstTsMs: row.int64(column + 4),
                         lastTsMs: row.int64(column + 5), lastAllocations: nil, lastDeallocations: nil)
        }
        // All the rows at once first (no grouping, no sort): the usual head is one bucket.
        guard let all = try db.cachedStatement(sql: sql.headSummary).fetchOne([series.id, fromMs, toMs], { row -> RollupBucket? in
            row.int64(0) > 0 ? bucket(row, start: floor(row.int64(4), bucketMs), from: 0) : nil
        }) ?? nil else { return [] }
        var out = floor(all.lastTsMs, bucketMs) == all.startMs ? [all]
            : try db.cachedStatement(sql: sql.headBuckets).fetchAll(arguments) { bucket($0, start: $0.int64(0), from: 1) }
        if out.count == 1 {
            // One bucket (an hour read of the open hour): its newest row is one index seek.
            guard let newest = try db.cachedStatement(sql: sql.headNewest).fetchOne([series.id, fromMs, toMs], { row in
                (tsMs: row.int64(0), runID: row.int64(1), bytes: row.int64(2),
                 allocations: sql.counted ? row.optionalInt64(3) : nil, deallocations: sql.counted ? row.optionalInt64(4) : nil)
            }), newest.tsMs == out[0].lastTsMs else {
                return RollupBucket.fold(try headSamples(series, fromMs: fromMs, toMs: toMs), bucketMs: bucketMs)
            }
            out[0].runID = newest.runID
            out[0].lastBytes = newest.bytes
            out[0].lastAllocations = newest.allocations
            out[0].lastDeallocations = newest.deallocations
            return out
        }
        var index = 0, paired = true
        try db.cachedStatement(sql: sql.headBucketNewest).forEachRow(arguments) { row in
            // Both queries group the same rows the same way, so their buckets pair up in order.
            guard index < out.count, out[index].startMs == row.int64(0), out[index].lastTsMs == row.int64(1) else {
                paired = false
                return
            }
            out[index].runID = row.int64(2)
            out[index].lastBytes = row.int64(3)
            if sql.counted {
                out[index].lastAllocations = row.optionalInt64(4)
                out[index].lastDeallocations = row.optionalInt64(5)
            }
            index += 1
        }
        // A write between the two queries (outside a transaction, another
        // connection's): the rows are folded as they are now instead.
        guard paired && index == out.count else { return RollupBucket.fold(try headSamples(series, fromMs: fromMs, toMs: toMs), bucketMs: bucketMs) }
        return out
    }

    /// The samples of `series` in `[fromMs, toMs]` in buckets of `bucketMs` (a
    /// multiple of the chunks' five-minute slots), from the slot summaries of
    /// the chunks wholly inside the range, decoding only the others (the
    /// range's edges, chunks without summaries), and the head rows summed by
    /// SQLite. `nil` when head rows fall among the chunks (a write not yet
    /// sealed into its hour): those are merged sample by sample instead.
    func slotBuckets(_ series: SeriesID, fromMs: Int64, toMs: Int64, bucketMs: Int64) throws -> [RollupBucket]? {
        precondition(bucketMs % ChunkSlotsCodec.slotMs == 0, "slot buckets are whole slots")
        guard fromMs <= toMs else { return [] }
        let head = try headBuckets(series, fromMs: fromMs, toMs: toMs, bucketMs: bucketMs)
        var fold = BucketFold(bucketMs: bucketMs)
        var chunksEndMs = Int64.min
        var decoder = ChunkSlotsDecoder()
        try db.cachedStatement(sql: queries(series).chunkRange).forEachRow([series.id, floor(fromMs, Self.chunkHourMs), fromMs, toMs]) { row in
            let startMs = row.int64(0), endMs = row.int64(1), runID = row.int64(2), count = row.int(3)
            chunksEndMs = max(chunksEndMs, endMs)
            if startMs >= fromMs && endMs <= toMs && !row.isNull(6) {
                let firstBytes = row.int64(5)
                do {
                    try row.withUnsafeBlob(6) { raw in
                        try decoder.decode(raw, startMs: startMs, firstBytes: firstBytes, sampleCount: count, runID: runID) { fold.add($0) }
                    }
                } catch let error as ChunkCorruption {
                    throw StoredChunkCorruption(series: try seriesName(series), startMs: startMs, reason: error.reason, path: db.path)
                }
            } else {
                fold.add(samples: try decode(row.blob(4), series: series, startMs: startMs, expectedCount: count).lazy
                    .filter { $0.tsMs >= fromMs && $0.tsMs <= toMs }
                    .map { RawSample(tsMs: $0.tsMs, runID: runID, bytes: $0.bytes, allocations: $0.allocations, deallocations: $0.deallocations) })
            }
        }
        if let first = head.first, first.firstTsMs <= chunksEndMs { return nil }
        fold.add(head)
        return fold.buckets
    }

    /// Calls `body` with the samples of `series` in `[fromMs, toMs]`, oldest
    /// first, a chunk (or the head) at a time, so a long window never sits in memory whole.
    func forEachRawSample(_ series: SeriesID, fromMs: Int64, toMs: Int64, _ body: ([RawSample]) throws -> Void) throws {
        guard fromMs <= toMs else { return }
        let head = try headSamples(series, fromMs: fromMs, toMs: toMs)
        var headIndex = 0
        try forEachChunk(series, fromMs: fromMs, toMs: toMs) { chunk, samples in
            // A chunk wholly inside the range (most of a long window's) is taken as it is.
            var piece = chunk.startMs >= fromMs && chunk.endMs <= toMs ? samples : samples.filter { $0.tsMs >= fromMs && $0.tsMs <= toMs }
            // Head rows normally follow every chunk; one that does not (a write
            // not yet sealed into its hour) joins this chunk's samples, and
            // supersedes the chunk's sample at its millisecond.
            var rows: [RawSample] = []
            while headIndex < head.count && head[headIndex].tsMs <= chunk.endMs {
                rows.append(head[headIndex])
                headIndex += 1
            }
            if !rows.isEmpty {
                let written = Set(rows.map(\.tsMs))
                piece = (piece.filter { !written.contains($0.tsMs) } + rows).sorted { $0.tsMs < $1.tsMs }
            }
            if !piece.isEmpty { try body(piece) }
        }
        if headIndex < head.count { try body(Array(head[headIndex...])) }
    }

    /// Calls `body` with each chunk of `series` holding samples in `[fromMs, toMs]`, decoded, oldest first.
    private func forEachChunk(_ series: SeriesID, fromMs: Int64, toMs: Int64,
                              _ body: ((startMs: Int64, endMs: Int64, runID: Int64), [RawSample]) throws -> Void) throws {
        for chunk in try chunkRows(series, fromMs: fromMs, toMs: toMs) {
            let samples = try decode(chunk.data, series: series, startMs: chunk.startMs, expectedCount: chunk.count)
            try body((chunk.startMs, chunk.endMs, chunk.runID), samples.map {
                RawSample(tsMs: $0.tsMs, runID: chunk.runID, bytes: $0.bytes, allocations: $0.allocations,
                          deallocations: $0.deallocations, events: $0.events)
            })
        }
    }

    /// The rows of the chunks of `series` holding samples in `[fromMs, toMs]`, oldest first, not yet decoded.
    private func chunkRows(_ series: SeriesID, fromMs: Int64, toMs: Int64) throws -> [StoredChunk] {
        try db.cachedStatement(sql: queries(series).chunkRange).fetchAll([series.id, floor(fromMs, Self.chunkHourMs), fromMs, toMs]) {
            StoredChunk(row: $0, from: 0)
        }
    }

    /// Every sample of `series` in `[fromMs, toMs]` as a point, oldest first:
    /// what `rawSamples` gives, decoded straight into points when no head row
    /// falls among the chunks (a report's last hour reads 101 series so).
    func rawPoints(_ series: SeriesID, fromMs: Int64, toMs: Int64) throws -> [SeriesPoint] {
        try points(storedPoints(series, fromMs: fromMs, toMs: toMs))
    }

    /// What `rawPoints` reads from the file, its chunks not yet decoded:
    /// decoding needs no connection, so a report decodes its series side by
    /// side (`points(_:)`) once every one is read.
    func storedPoints(_ series: SeriesID, fromMs: Int64, toMs: Int64) throws -> StoredPoints {
        guard fromMs <= toMs else { return StoredPoints(series: series, points: []) }
        let head = try headSamples(series, fromMs: fromMs, toMs: toMs)
        let chunks = try chunkRows(series, fromMs: fromMs, toMs: toMs)
        if Self.headFallsAmongChunks(head, chunks) {
            return StoredPoints(series: series, points: try rawSamples(series, fromMs: fromMs, toMs: toMs).map(SeriesPoint.init))
        }
        return StoredPoints(series: series, chunks: chunks, head: head, fromMs: fromMs, toMs: toMs)
    }

    /// What `storedPoints` reads for each of `componentIDs` (components of
    /// source `sourceID`), in their order: the chunks and head rows of all of
    /// them in two statements instead of two a component.
    func storedComponentPoints(sourceID: Int64, componentIDs: [Int64], fromMs: Int64, toMs: Int64) throws -> [StoredPoints] {
        guard fromMs <= toMs else { return componentIDs.map { StoredPoints(series: .component($0), points: []) } }
        var chunks: [Int64: [StoredChunk]] = [:], head: [Int64: [RawSample]] = [:]
        try db.cachedStatement(sql: Queries.componentChunkRangeOfSource).forEachRow([sourceID, floor(fromMs, Self.chunkHourMs), fromMs, toMs]) {
            chunks[$0.int64(0), default: []].append(StoredChunk(row: $0, from: 1))
        }
        try db.cachedStatement(sql: Queries.componentHeadRangeOfSource).forEachRow([sourceID, fromMs, toMs]) {
            head[$0.int64(0), default: []].append(RawSample(componentRow: $0, from: 1))
        }
        return try componentIDs.map { id in
            let series = SeriesID.component(id)
            let rows = head[id] ?? [], sealed = chunks[id] ?? []
            // A head row among the chunks: merged sample by sample, as `storedPoints` does.
            if Self.headFallsAmongChunks(rows, sealed) { return try storedPoints(series, fromMs: fromMs, toMs: toMs) }
            return StoredPoints(series: series, chunks: sealed, head: rows, fromMs: fromMs, toMs: toMs)
        }
    }

    /// Whether a head row lies at or before the last chunk's end (a write not
    /// yet sealed into its hour): then head rows and chunks are merged sample
    /// by sample instead of the head following the chunks.
    private static func headFallsAmongChunks(_ head: [RawSample], _ chunks: [StoredChunk]) -> Bool {
        guard let first = head.first, let last = chunks.last else { return false }
        return first.tsMs <= last.endMs
    }

    /// The points of each of `stored`, decoded side by side; a damaged chunk
    /// throws `StoredChunkCorruption`, named as a serial read names it.
    func points(_ stored: [StoredPoints]) throws -> [[SeriesPoint]] {
        let decoded = SideBySide.map(count: stored.count) { index in Result { () throws(ChunkDamage) in try stored[index].decoded() } }
        return try zip(stored, decoded).map { try named($1, of: $0.series) }
    }

    /// The points of `stored`, decoded here.
    func points(_ stored: StoredPoints) throws -> [SeriesPoint] {
        try named(Result { () throws(ChunkDamage) in try stored.decoded() }, of: stored.series)
    }

    private func named<Decoded>(_ decoded: Result<Decoded, ChunkDamage>, of series: SeriesID) throws -> Decoded {
        switch decoded {
        case .success(let points): return points
        case .failure(let damage):
            throw StoredChunkCorruption(series: try seriesName(series), startMs: damage.startMs, reason: damage.reason, path: db.path)
        }
    }

    /// Every sample of `series` in `[fromMs, toMs]`, oldest first.
    func rawSamples(_ series: SeriesID, fromMs: Int64, toMs: Int64) throws -> [RawSample] {
        var all: [RawSample] = []
        try forEachRawSample(series, fromMs: fromMs, toMs: toMs) { all.append(contentsOf: $0) }
        return all
    }

    /// The sample of `series` at exactly `tsMs`.
    func rawSample(_ series: SeriesID, atMs tsMs: Int64) throws -> RawSample? {
        try rawSamples(series, fromMs: tsMs, toMs: tsMs).first
    }

    /// The newest sample of `series` at or before `ms`, of `runID` when given.
    func latestRawSample(_ series: SeriesID, atOrBeforeMs ms: Int64, runID: Int64? = nil) throws -> RawSample? {
        let head = try headSamples(series, fromMs: .min, toMs: ms).last { runID == nil || $0.runID == runID }
        guard let chunk = try db.cachedStatement(sql: queries(series).chunkBefore).fetchOne([series.id, ms, runID], {
            (startMs: $0.int64(0), runID: $0.int64(2), count: $0.int(3), data: $0.blob(4))
        }) else { return head }
        if let head, head.tsMs >= chunk.startMs { return head }
        let samples = try decode(chunk.data, series: series, startMs: chunk.startMs, expectedCount: chunk.count)
        // The chunk starts at or before ms, so it has a sample there or earlier.
        guard let s = samples.last(where: { $0.tsMs <= ms }) else { return head }
        return RawSample(tsMs: s.tsMs, runID: chunk.runID, bytes: s.bytes, allocations: s.allocations,
                         deallocations: s.deallocations, events: s.events)
    }

    /// The oldest and newest sample times of `series` (nil when it has none).
    func extent(_ series: SeriesID) throws -> (oldestMs: Int64, newestMs: Int64)? {
        guard let row = try db.cachedStatement(sql: queries(series).extent).fetchOne([series.id], {
            (headMin: $0.optionalInt64(0), headMax: $0.optionalInt64(1), chunkMaxEnd: $0.optionalInt64(2), chunkMinStart: $0.optionalInt64(3))
        }) else { return nil }
        let oldest = [row.headMin, row.chunkMinStart].compactMap { $0 }.min()
        let newest = [row.headMax, row.chunkMaxEnd].compactMap { $0 }.max()
        guard let oldest, let newest else { return nil }
        return (oldest, newest)
    }

    private func decode(_ data: [UInt8], series: SeriesID, startMs: Int64, expectedCount: Int) throws -> [ChunkSample] {
        try named(Result { () throws(ChunkDamage) in try StoredChunk.decode(data, startMs: startMs, expectedCount: expectedCount) }, of: series)
    }

    /// "component 'cache' of source 'api'", "the usage of source 'api'".
    func seriesName(_ series: SeriesID) throws -> String {
        switch series {
        case .usage(let sourceID):
            let name = try sources().first { $0.id == sourceID }?.name ?? "#\(sourceID)"
            return "the usage of source '\(name)'"
        case .component(let componentID):
            for source in try sources() {
                if let component = try components(sourceID: source.id).first(where: { $0.id == componentID }) {
                    return "component '\(component.name)' of source '\(source.name)'"
                }
            }
            return "component #\(componentID)"
        }
    }

    // MARK: Sealing

    /// Seals the head rows of `series` older than its newest row's five-minute
    /// slot, and, with `beforeMs`, every head row before that time's slot (a
    /// quiet series). The newest clock hour's rows are appended as chunks of
    /// their own (a slot or a few each, no decoding), so the head stays a few
    /// minutes long; an hour that is over is merged, with its chunks, into
    /// one chunk a run (re-encoded once). A head row at or before the newest
    /// chunk's end (a write into sealed time) is merged into its hour's chunks
    /// too, so every head row stays newer than every chunk. Each sealed hour's
    /// hour rollup is written from its chunks (the open hour's so far).
    ///
    /// `adding` are samples not yet written (a batch's, oldest first, each
    /// newer than everything stored): sealed as if they were head rows, but
    /// straight from memory, and only those left in the newest slot are
    /// written as rows. Should the file hold a sample at or after the first
    /// of them after all (another writer's), they are written as head rows
    /// first, as every write was before. Returns how many samples it sealed.
    @discardableResult
    func seal(_ series: SeriesID, beforeMs: Int64? = nil, rollups: HourRollupUpkeep = .fromChunks,
              adding unwritten: ArraySlice<RawSample> = []) throws -> Int {
        guard let row = try db.cachedStatement(sql: queries(series).extent).fetchOne([series.id], {
            (headMin: $0.optionalInt64(0), headMax: $0.optionalInt64(1), chunkMaxEnd: $0.optionalInt64(2))
        }) else { return 0 }
        if let first = unwritten.first, let stored = [row.headMax, row.chunkMaxEnd].compactMap({ $0 }).max(), stored >= first.tsMs {
            try insertHead(series, unwritten)
            return try seal(series, beforeMs: beforeMs, rollups: rollups)
        }
        guard let headMin = row.headMin ?? unwritten.first?.tsMs, let headMax = unwritten.last?.tsMs ?? row.headMax else { return 0 }
        let hour = Self.chunkHourMs, slot = Self.sealSlotMs
        var limit = floor(headMax, slot)
        if let beforeMs { limit = max(limit, floor(beforeMs, slot)) }
        if let end = row.chunkMaxEnd, end >= headMin { limit = max(limit, end == .max ? .max : end + 1) }
        // What is left in the newest slot stays (or becomes) the head.
        let kept = unwritten.firstIndex { $0.tsMs >= limit } ?? unwritten.endIndex
        // Nothing in the head before the limit: the head is the newest slot.
        guard headMin < limit else {
            try insertHead(series, unwritten)
            return 0
        }
        // Hours before this one are over.
        let openHour = max(floor(headMax, hour), beforeMs.map { floor($0, hour) } ?? .min)
        let storedRows = row.headMin.map { $0 < limit } == true
        let head = (storedRows ? try headSamples(series, fromMs: .min, toMs: limit - 1) : []) + unwritten[..<kept]
        var index = 0
        while index < head.count {
            let hourMs = floor(head[index].tsMs, hour)
            var end = index
            while end < head.count && floor(head[end].tsMs, hour) == hourMs { end += 1 }
            let sealed = Array(head[index..<end])
            let appended = hourMs >= openHour && row.chunkMaxEnd.map({ $0 < sealed[0].tsMs }) != false
            if appended {
                try insertChunks(series, sealed)
            } else {
                try sealHour(series, hourMs: hourMs, head: sealed)
            }
            let wholeHourRaw = hourMs >= (try retentionCutoffs().rawMs)
            if rollups == .fromChunks || wholeHourRaw {
                try putHourRollup(series, hourMs: hourMs, sealed: sealed, appended: appended)
            }
            index = end
        }
        if storedRows { try db.cachedStatement(sql: queries(series).headDeleteBefore).execute([series.id, limit]) }
        try insertHead(series, unwritten[kept...])
        return head.count
    }

    /// Writes `samples` of `series` as head rows (a second write at a stored millisecond replaces it).
    func insertHead(_ series: SeriesID, _ samples: ArraySlice<RawSample>) throws {
        for s in samples {
            switch series {
            case .usage(let sourceID):
                try insertSnapshot(sourceID: sourceID, tsMs: s.tsMs, runID: s.runID, usageBytes: s.bytes)
            case .component(let componentID):
                try insertComponentSample(componentID: componentID, tsMs: s.tsMs, runID: s.runID, allocatedBytes: s.bytes,
                                          allocations: s.allocations, deallocations: s.deallocations, events: s.events)
            }
        }
    }

    /// How sealing keeps hour rollups: from the sealed chunks (every write),
    /// or, for the rows an older version already rolled up, only for hours
    /// wholly within the raw retention (the data step).
    enum HourRollupUpkeep {
        case fromChunks
        case onlyWholeHours
    }

    /// Writes `head` (samples of one clock hour) and the hour's existing chunks as new chunks.
    private func sealHour(_ series: SeriesID, hourMs: Int64, head: [RawSample]) throws {
        let hourEnd = hourMs + Self.chunkHourMs
        var existing: [RawSample] = []
        try forEachChunk(series, fromMs: hourMs, toMs: hourEnd - 1) { existing.append(contentsOf: $1) }
        var samples = head
        if !existing.isEmpty {
            try db.cachedStatement(sql: queries(series).chunkDeleteRange).execute([series.id, hourMs, hourEnd])
            let written = Set(head.map(\.tsMs))
            samples = (existing.filter { !written.contains($0.tsMs) } + head).sorted { $0.tsMs < $1.tsMs }
        }
        try insertChunks(series, samples)
    }

    /// Encodes `samples` (one hour, in time order) as chunks: one per run, at most `maxSamplesPerChunk` each.
    private func insertChunks(_ series: SeriesID, _ samples: [RawSample]) throws {
        var start = 0
        while start < samples.count {
            var end = start
            while end < samples.count && samples[end].runID == samples[start].runID { end += 1 }
            let run = samples[start..<end]
            let pieces = (run.count + Self.maxSamplesPerChunk - 1) / Self.maxSamplesPerChunk
            let size = (run.count + pieces - 1) / pieces
            var pieceStart = run.startIndex
            while pieceStart < run.endIndex {
                try insertChunk(series, Array(run[pieceStart..<min(run.endIndex, pieceStart + size)]))
                pieceStart += size
            }
            start = end
        }
    }

    private func insertChunk(_ series: SeriesID, _ samples: [RawSample]) throws {
        let first = samples.first!, last = samples.last!
        var low = first.bytes, high = first.bytes
        var sum = 0.0
        for s in samples {
            low = min(low, s.bytes)
            high = max(high, s.bytes)
            sum += Double(s.bytes)
        }
        let chunkSamples = samples.map(\.chunkSample)
        let data = SampleChunkCodec.encode(chunkSamples)
        let statement = try db.cachedStatement(sql: queries(series).chunkInsert)
        try statement.execute([series.id, first.tsMs, last.tsMs, first.runID, Int64(samples.count), low, high, first.bytes,
                               last.bytes, sum, last.allocations, last.deallocations, data, ChunkSlotsCodec.encode(chunkSamples)])
    }

    /// Seals the usage and every component series of one source.
    @discardableResult
    func sealSource(_ sourceID: Int64, beforeMs: Int64?) throws -> Int {
        var sealed = try seal(.usage(sourceID: sourceID), beforeMs: beforeMs)
        for component in try components(sourceID: sourceID) {
            sealed += try seal(.component(component.id), beforeMs: beforeMs)
        }
        return sealed
    }

    /// Runs the data step of the chunk migration once per file: what older
    /// versions stored as rows becomes chunks, each series' newest slot stays
    /// the head; minute rollups of samples still kept raw (reads fold the raw
    /// samples now) are dropped, and the open hours' rollups written again from their chunks.
    func sealRowsOfOlderVersions() throws {
        guard try setting("storage.chunks") == nil else { return }
        try db.inTransaction(.immediate) {
            guard try setting("storage.chunks") == nil else { return }
            let rawCutoff = try retentionCutoffs().rawMs
            for source in try sources() {
                var series: [SeriesID] = [.usage(sourceID: source.id)]
                series += try components(sourceID: source.id).map { .component($0.id) }
                for s in series {
                    let deleteFrom = switch s {
                    case .usage: Queries.snapshotRollupDeleteFrom
                    case .component: Queries.componentRollupDeleteFrom
                    }
                    // The newest hour's rollup, which the older version kept
                    // from its rows: sealing writes it from the chunks (the
                    // rows left in the head are folded in when read).
                    if let headMax = try db.cachedStatement(sql: queries(s).extent).fetchOne([s.id], { $0.optionalInt64(1) }) ?? nil {
                        try db.cachedStatement(sql: deleteFrom).execute([s.id, RetentionPolicy.hour, floor(headMax, RetentionPolicy.hour)])
                    }
                    try seal(s, rollups: .onlyWholeHours)
                    try db.cachedStatement(sql: deleteFrom).execute([s.id, RetentionPolicy.minute, rawCutoff])
                }
            }
            try putSetting("storage.chunks", 1)
        }
    }

    /// Runs the data step of schema 7 once per file: every chunk sealed before
    /// it gets its five-minute summary (each decoded once, a thousand at a time).
    func summariseChunksOfOlderVersions() throws {
        guard try setting("storage.slots") == nil else { return }
        try db.inTransaction(.immediate) {
            guard try setting("storage.slots") == nil else { return }
            for series in [SeriesID.usage(sourceID: 0), .component(0)] {
                let sql = queries(series)
                var afterID: Int64 = 0
                while true {
                    var chunks: [(id: Int64, startMs: Int64, count: Int, data: [UInt8])] = []
                    try db.cachedStatement(sql: sql.chunkUnsummarised).forEachRow([afterID, 1000]) {
                        chunks.append(($0.int64(0), $0.int64(1), $0.int(2), $0.blob(3)))
                    }
                    guard let last = chunks.last else { break }
                    afterID = last.id
                    for chunk in chunks {
                        // A damaged chunk keeps no summary: reading it names it, as before.
                        guard let samples = try? SampleChunkCodec.decode(chunk.data), samples.count == chunk.count,
                              samples.first?.tsMs == chunk.startMs, let slots = ChunkSlotsCodec.encode(samples) else { continue }
                        try db.cachedStatement(sql: sql.chunkSlotsPut).execute([chunk.id, slots])
                    }
                }
            }
            try putSetting("storage.slots", 1)
        }
    }
}
