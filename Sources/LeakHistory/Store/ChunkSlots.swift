import LeakHistoryAnalysis

/// The five-minute summaries stored beside each chunk (`slots`, format 1), so
/// a window read in buckets of 5, 10, 15 or 30 minutes takes a few numbers a
/// slot instead of decoding every sample.
///
/// ```text
/// byte 0     format (1: slots of 5 minutes, aligned to the clock)
/// varint     slot count m (1…SampleChunkCodec.maxSamples)
/// byte       presence of the counts: bit 0 allocations, bit 1 deallocations
/// columns    each an integer stream of SampleChunkCodec's kind (deltas, a divisor, Rice codes), m values:
///              slot index from the slot of the chunk's first sample
///              sample count
///              first sample time, ms after the slot's start; last sample time − first
///              sum of (bytes − the slot's least bytes)
///              least bytes − the chunk's first bytes, most − least, last − least
///              [last allocations], [last deallocations]
/// 4 bytes    FNV-1a of everything before
/// ```
///
/// The chunk's row holds its start time and first bytes, the bases of these
/// columns. A chunk whose figures do not fit (a sum beyond Int64, a count
/// column only some samples have), or with fewer than two samples a slot (as
/// cheap to decode as to summarise), gets no summary: readers decode it.
enum ChunkSlotsCodec {
    static let format: UInt8 = 1
    static let slotMs: Int64 = 300_000

    // MARK: Encoding

    /// The summary of `samples` (one chunk, in time order), or nil where its figures do not fit.
    static func encode(_ samples: [ChunkSample]) -> [UInt8]? {
        guard let first = samples.first, samples.count <= SampleChunkCodec.maxSamples else { return nil }
        let hasAllocations = samples.allSatisfy { $0.allocations != nil }
        let hasDeallocations = samples.allSatisfy { $0.deallocations != nil }
        guard hasAllocations || samples.allSatisfy({ $0.allocations == nil }),
              hasDeallocations || samples.allSatisfy({ $0.deallocations == nil }) else { return nil }
        let baseSlot = floor(first.tsMs, slotMs)
        guard baseSlot != .min else { return nil }
        var columns = [[Int64]](repeating: [], count: 10)
        var index = 0
        while index < samples.count {
            let slotStart = floor(samples[index].tsMs, slotMs)
            var end = index
            var low = Int64.max, high = Int64.min
            while end < samples.count && floor(samples[end].tsMs, slotMs) == slotStart {
                low = min(low, samples[end].bytes)
                high = max(high, samples[end].bytes)
                end += 1
            }
            // The sum above the slot's least value: non-negative, and small beside a sum of the values.
            var sum: Int64 = 0
            for sample in samples[index..<end] {
                let (above, o1) = sample.bytes.subtractingReportingOverflow(low)
                let (total, o2) = sum.addingReportingOverflow(above)
                if o1 || o2 { return nil }
                sum = total
            }
            let last = samples[end - 1]
            let (lowRelative, o1) = low.subtractingReportingOverflow(first.bytes)
            let (range, o2) = high.subtractingReportingOverflow(low)
            let (slotIndex, o3) = slotStart.subtractingReportingOverflow(baseSlot)
            if o1 || o2 || o3 { return nil }
            columns[0].append(slotIndex / slotMs)
            columns[1].append(Int64(end - index))
            columns[2].append(samples[index].tsMs - slotStart)
            columns[3].append(last.tsMs - samples[index].tsMs)
            columns[4].append(sum)
            columns[5].append(lowRelative)
            columns[6].append(range)
            columns[7].append(last.bytes - low)
            if hasAllocations { columns[8].append(last.allocations!) }
            if hasDeallocations { columns[9].append(last.deallocations!) }
            index = end
        }
        // Fewer than two samples a slot: decoding them costs no more than reading slots.
        guard samples.count >= 2 * columns[0].count else { return nil }
        var writer = BitWriter()
        writer.byte(format)
        writer.varint(UInt64(columns[0].count))
        writer.byte((hasAllocations ? 1 : 0) | (hasDeallocations ? 2 : 0))
        for column in columns where !column.isEmpty { writer.stream(column) }
        writer.alignToByte()
        let checksum = SampleChunkCodec.fnv1a(writer.bytes[...])
        for shift in stride(from: 24, through: 0, by: -8) { writer.byte(UInt8(truncatingIfNeeded: checksum >> UInt32(shift))) }
        return writer.bytes
    }

    // MARK: Decoding

    /// The slots of a chunk of run `runID` that starts at `startMs` with
    /// `firstBytes` and holds `sampleCount` samples, each as the bucket its
    /// samples fold into, or `ChunkCorruption` saying what is wrong; never traps.
    static func decode(_ bytes: [UInt8], startMs: Int64, firstBytes: Int64, sampleCount: Int,
                       runID: Int64) throws(ChunkCorruption) -> [RollupBucket] {
        var decoder = ChunkSlotsDecoder()
        var slots: [RollupBucket] = []
        do {
            try bytes.withUnsafeBytes { raw in
                try decoder.decode(raw, startMs: startMs, firstBytes: firstBytes, sampleCount: sampleCount, runID: runID) { slots.append($0) }
            }
        } catch let error as ChunkCorruption {
            throw error
        } catch {
            throw ChunkCorruption(reason: "\(error)")
        }
        return slots
    }
}

/// Decodes slot summaries one chunk after another with one scratch buffer
/// (a long window reads thousands of them).
struct ChunkSlotsDecoder {
    private var columns: [Int64] = []

    /// Calls `body` with each slot of the summary in `raw` as the bucket (of
    /// the chunk's run, `runID`) its samples fold into, oldest first, once the
    /// whole summary has been checked.
    mutating func decode(_ raw: UnsafeRawBufferPointer, startMs: Int64, firstBytes: Int64, sampleCount: Int, runID: Int64,
                         _ body: (RollupBucket) -> Void) throws(ChunkCorruption) {
        let slotMs = ChunkSlotsCodec.slotMs
        guard raw.count >= 5 else { throw ChunkCorruption(reason: "its slot summary of \(raw.count) bytes is too short") }
        let bodyCount = raw.count - 4
        let stored = raw[bodyCount...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard SampleChunkCodec.fnv1a(raw[..<bodyCount]) == stored else {
            throw ChunkCorruption(reason: "slot summary checksum mismatch (the bytes were changed)")
        }
        var reader = BitReader(raw: raw, count: bodyCount)
        let version = try reader.byte()
        guard version == ChunkSlotsCodec.format else { throw ChunkCorruption(reason: "unknown slot summary format \(version)") }
        let m = try reader.varint()
        guard m >= 1 && m <= UInt64(min(sampleCount, SampleChunkCodec.maxSamples)) else {
            throw ChunkCorruption(reason: "slot count \(m) out of range for \(sampleCount) samples")
        }
        let n = Int(m)
        let presence = try reader.byte()
        guard presence & ~3 == 0 else { throw ChunkCorruption(reason: "unknown slot presence bits") }
        let width = 8 + (presence & 1 != 0 ? 1 : 0) + (presence & 2 != 0 ? 1 : 0)
        columns.removeAll(keepingCapacity: true)
        columns.reserveCapacity(width * n)
        for _ in 0..<width { try reader.stream(count: n, appendingTo: &columns) }
        reader.alignToByte()
        guard reader.isAtEnd else { throw ChunkCorruption(reason: "\(reader.remainingBytes) bytes after the last slot column") }

        // Every slot is checked before the first one is handed out.
        let baseSlot = floor(startMs, slotMs)
        var total: Int64 = 0
        var previousIndex: Int64 = -1
        for pass in 0..<2 {
            for i in 0..<n {
                let slotIndex = columns[i], count = columns[n + i], firstOffset = columns[2 * n + i], span = columns[3 * n + i]
                let (lastOffset, o0) = firstOffset.addingReportingOverflow(span)
                let (scaled, o1) = slotIndex.multipliedReportingOverflow(by: slotMs)
                let (slotStart, o2) = baseSlot.addingReportingOverflow(scaled)
                let (low, o3) = firstBytes.addingReportingOverflow(columns[5 * n + i])
                let (high, o4) = low.addingReportingOverflow(columns[6 * n + i])
                let (last, o5) = low.addingReportingOverflow(columns[7 * n + i])
                let sum = Double(count) * Double(low) + Double(columns[4 * n + i])
                if pass == 0 {
                    guard slotIndex > previousIndex else { throw ChunkCorruption(reason: "slots out of order at slot \(i)") }
                    previousIndex = slotIndex
                    guard !o0 && !o1 && !o2, count >= 1, count <= Int64(sampleCount) - total, span >= 0,
                          firstOffset >= 0, lastOffset < slotMs, slotStart <= Int64.max - lastOffset else {
                        throw ChunkCorruption(reason: "slot \(i) does not describe samples of its five minutes")
                    }
                    total += count
                    let least = Double(count) * Double(low), most = Double(count) * Double(high)
                    let slack = 1 + 1e-9 * max(least.magnitude, most.magnitude)
                    guard !o3 && !o4 && !o5, columns[4 * n + i] >= 0, columns[6 * n + i] >= 0, columns[7 * n + i] >= 0, last <= high,
                          sum <= most + slack else {
                        throw ChunkCorruption(reason: "slot \(i)'s figures contradict each other")
                    }
                    if i == 0 && slotStart + firstOffset != startMs {
                        throw ChunkCorruption(reason: "its first slot starts at ts_ms \(slotStart + firstOffset), its row at \(startMs)")
                    }
                } else {
                    body(RollupBucket(startMs: slotStart, runID: runID, minBytes: low, maxBytes: high, lastBytes: last,
                                      sumBytes: sum, count: count, firstTsMs: slotStart + firstOffset, lastTsMs: slotStart + lastOffset,
                                      lastAllocations: presence & 1 != 0 ? columns[8 * n + i] : nil,
                                      lastDeallocations: presence & 2 != 0 ? columns[(width - 1) * n + i] : nil))
                }
            }
            if pass == 0 && total != Int64(sampleCount) {
                throw ChunkCorruption(reason: "its slots count \(total) samples, its row says \(sampleCount)")
            }
        }
    }
}
