import SQLiteStore

/// One chunk row as read from the file: its span, run, sample count and encoded samples.
struct StoredChunk: Sendable {
    var startMs: Int64
    var endMs: Int64
    var runID: Int64
    var count: Int
    var data: [UInt8]

    /// The chunk of a `*_chunk_range*.sql` row whose start_ms, end_ms,
    /// run_id, sample_count and data are columns `from` to `from + 4`.
    init(row: Row, from first: Int) {
        self.init(startMs: row.int64(first), endMs: row.int64(first + 1), runID: row.int64(first + 2),
                  count: row.int(first + 3), data: row.blob(first + 4))
    }

    init(startMs: Int64, endMs: Int64, runID: Int64, count: Int, data: [UInt8]) {
        self.startMs = startMs
        self.endMs = endMs
        self.runID = runID
        self.count = count
        self.data = data
    }

    /// The samples of `data`, checked against what its row says (`expectedCount` from `startMs`).
    static func decode(_ data: [UInt8], startMs: Int64, expectedCount: Int) throws(ChunkDamage) -> [ChunkSample] {
        var columns = SampleColumns()
        try decode(data, startMs: startMs, expectedCount: expectedCount, into: &columns)
        return columns.samples
    }

    /// The same, as columns, into storage kept from the last chunk.
    static func decode(_ data: [UInt8], startMs: Int64, expectedCount: Int, into columns: inout SampleColumns) throws(ChunkDamage) {
        do {
            try SampleChunkCodec.decode(data, into: &columns)
        } catch {
            throw ChunkDamage(startMs: startMs, reason: error.reason)
        }
        guard columns.count == expectedCount, columns.ts.first == startMs else {
            throw ChunkDamage(startMs: startMs, reason: "it holds \(columns.count) samples from ts_ms \(columns.ts.first ?? 0), its row says \(expectedCount) from \(startMs)")
        }
    }

    /// Appends this chunk's samples in `[fromMs, toMs]`, decoded into `columns`, to `points`.
    func appendPoints(from fromMs: Int64, to toMs: Int64, to points: inout [SeriesPoint], columns: inout SampleColumns) throws(ChunkDamage) {
        try Self.decode(data, startMs: startMs, expectedCount: count, into: &columns)
        let inside = startMs >= fromMs && endMs <= toMs
        let counted = columns.optional[0] != nil || columns.optional[1] != nil
        for i in 0..<columns.count {
            let ts = columns.ts[i]
            guard inside || (ts >= fromMs && ts <= toMs) else { continue }
            points.append(SeriesPoint(tsMs: ts, bytes: columns.bytes[i], runID: runID,
                                      allocations: counted ? columns.allocations(i) : nil,
                                      deallocations: counted ? columns.deallocations(i) : nil))
        }
    }
}

/// A chunk that does not decode, by the time its row says it starts; the
/// store names its series (`StoredChunkCorruption`), which takes the connection.
struct ChunkDamage: Error, Sendable {
    var startMs: Int64
    var reason: String
}

/// A series' points over a range as read from the file, its chunks not yet
/// decoded (`HistoryStore.storedPoints`): decoding is pure work, so it can
/// run off the connection's thread, many series side by side.
struct StoredPoints: Sendable {
    let series: SeriesID
    private let content: Content

    private enum Content: Sendable {
        case points([SeriesPoint])
        /// Chunks, oldest first, with the head rows after them (every head row newer than every chunk).
        case chunks([StoredChunk], head: [RawSample], fromMs: Int64, toMs: Int64)
    }

    /// Points already in hand (buckets, or samples merged from head rows among the chunks).
    init(series: SeriesID, points: [SeriesPoint]) {
        self.series = series
        content = .points(points)
    }

    init(series: SeriesID, chunks: [StoredChunk], head: [RawSample], fromMs: Int64, toMs: Int64) {
        self.series = series
        content = .chunks(chunks, head: head, fromMs: fromMs, toMs: toMs)
    }

    /// Every point in the range, oldest first.
    func decoded() throws(ChunkDamage) -> [SeriesPoint] {
        switch content {
        case .points(let points):
            return points
        case .chunks(let chunks, let head, let fromMs, let toMs):
            var points: [SeriesPoint] = []
            points.reserveCapacity(chunks.reduce(head.count) { $0 + $1.count })
            var columns = SampleColumns()
            for chunk in chunks { try chunk.appendPoints(from: fromMs, to: toMs, to: &points, columns: &columns) }
            points.append(contentsOf: head.lazy.map(SeriesPoint.init))
            return points
        }
    }
}

extension RawSample {
    /// The head row of a `component_head_range*.sql` row whose ts_ms, run_id,
    /// allocated_bytes, allocations, deallocations and events are columns `from` to `from + 5`.
    init(componentRow row: Row, from first: Int) {
        self.init(tsMs: row.int64(first), runID: row.int64(first + 1), bytes: row.int64(first + 2),
                  allocations: row.optionalInt64(first + 3), deallocations: row.optionalInt64(first + 4),
                  events: row.optionalInt64(first + 5))
    }
}

extension SeriesPoint {
    init(_ sample: RawSample) {
        self.init(tsMs: sample.tsMs, bytes: sample.bytes, runID: sample.runID,
                  allocations: sample.allocations, deallocations: sample.deallocations)
    }
}
