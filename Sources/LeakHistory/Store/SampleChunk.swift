import LeakHistoryAnalysis

/// One sample of a stored series, as a chunk holds it: the time, the bytes,
/// and for a counted component its cumulative counts and how many counted
/// events the sample sums up (each `nil` where the series has none).
struct ChunkSample: Sendable, Equatable {
    var tsMs: Int64
    var bytes: Int64
    var allocations: Int64? = nil
    var deallocations: Int64? = nil
    var events: Int64? = nil
}

/// A decoded chunk as columns: times and bytes, and the optional counts
/// (each nil where no sample of the chunk has one).
struct SampleColumns {
    var ts: [Int64] = []
    var bytes: [Int64] = []
    /// Allocations, deallocations, events.
    var optional: [[Int64?]?] = [nil, nil, nil]

    var count: Int { ts.count }

    func allocations(_ i: Int) -> Int64? { optional[0]?[i] ?? nil }
    func deallocations(_ i: Int) -> Int64? { optional[1]?[i] ?? nil }

    var samples: [ChunkSample] {
        (0..<count).map { i in
            ChunkSample(tsMs: ts[i], bytes: bytes[i], allocations: allocations(i), deallocations: deallocations(i),
                        events: optional[2]?[i] ?? nil)
        }
    }
}

/// A chunk that cannot be decoded: what is wrong with its bytes.
struct ChunkCorruption: Error, Equatable {
    var reason: String
}

/// The compact encoding of a run of samples of one series (format 1).
///
/// ```text
/// byte 0        format (1)
/// varint        sample count n (1…maxSamples)
/// byte          presence of allocations, deallocations, events: 2 bits each
///               (0 none, 1 all, 2 some: an n-bit presence map precedes the column)
/// columns       ts_ms, bytes, then each present optional column, each an integer stream:
///                 zigzag varint  the first value
///                 byte           order: 0 constant, 1 deltas, 2 deltas of deltas
///                 [zigzag varint the first delta, for order 2]
///                 varint         divisor g: every residual is a multiple of it (4096 for page-sized values)
///                 byte           Rice parameter k
///                 bits           each residual / g, zigzagged, Rice-coded: q = u >> k as q one-bits and
///                                a zero, then the low k bits; q ≥ 32 is 32 one-bits and u in 64 bits
/// 4 bytes       FNV-1a of everything before, so a damaged chunk is an error, never wrong figures
/// ```
///
/// Differences wrap (Int64 modular arithmetic), so any values round-trip.
/// Regular timestamps cost a bit each (deltas of deltas of 0); values that
/// move by a few pages cost a few bits; a still gauge costs nothing.
enum SampleChunkCodec {
    static let format: UInt8 = 1
    /// The most samples a chunk may hold; a decoder refuses a count above it.
    static let maxSamples = 8192
    private static let escapeQuotient: UInt64 = 32

    // MARK: Encoding

    static func encode(_ samples: [ChunkSample]) -> [UInt8] {
        precondition(!samples.isEmpty && samples.count <= maxSamples, "a chunk holds 1…\(maxSamples) samples")
        var writer = BitWriter()
        writer.byte(format)
        writer.varint(UInt64(samples.count))
        let optional: [[Int64?]] = [samples.map(\.allocations), samples.map(\.deallocations), samples.map(\.events)]
        var presence: UInt8 = 0
        for (index, column) in optional.enumerated() {
            let present = column.filter { $0 != nil }.count
            let mode: UInt8 = present == 0 ? 0 : present == column.count ? 1 : 2
            presence |= mode << UInt8(2 * index)
        }
        writer.byte(presence)
        writer.stream(samples.map(\.tsMs))
        writer.stream(samples.map(\.bytes))
        for (index, column) in optional.enumerated() {
            switch (presence >> UInt8(2 * index)) & 3 {
            case 1:
                writer.stream(column.map { $0! })
            case 2:
                for value in column { writer.bit(value != nil) }
                writer.alignToByte()
                writer.stream(column.compactMap { $0 })
            default:
                break
            }
        }
        writer.alignToByte()
        let checksum = fnv1a(writer.bytes[...])
        for shift in stride(from: 24, through: 0, by: -8) { writer.byte(UInt8(truncatingIfNeeded: checksum >> UInt32(shift))) }
        return writer.bytes
    }

    // MARK: Decoding

    /// The samples of `bytes`, or `ChunkCorruption` saying what is wrong; never traps.
    static func decode(_ bytes: [UInt8]) throws(ChunkCorruption) -> [ChunkSample] {
        var columns = SampleColumns()
        try decode(bytes, into: &columns)
        return columns.samples
    }

    /// Decodes `bytes` into `columns` (their old contents replaced, their
    /// storage kept: a read of many chunks decodes each into the same arrays).
    static func decode(_ bytes: [UInt8], into columns: inout SampleColumns) throws(ChunkCorruption) {
        do {
            try bytes.withUnsafeBytes { raw in try decode(raw, into: &columns) }
        } catch let error as ChunkCorruption {
            throw error
        } catch {
            throw ChunkCorruption(reason: "\(error)")
        }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, into columns: inout SampleColumns) throws(ChunkCorruption) {
        guard raw.count >= 5 else { throw ChunkCorruption(reason: "\(raw.count) bytes is too short for a chunk") }
        let bodyCount = raw.count - 4
        let stored = raw[bodyCount...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard fnv1a(raw[..<bodyCount]) == stored else { throw ChunkCorruption(reason: "checksum mismatch (the bytes were changed)") }
        var reader = BitReader(raw: raw, count: bodyCount)
        let version = try reader.byte()
        guard version == format else { throw ChunkCorruption(reason: "unknown chunk format \(version)") }
        let count = try reader.varint()
        guard count >= 1 && count <= UInt64(maxSamples) else { throw ChunkCorruption(reason: "sample count \(count) out of range") }
        let n = Int(count)
        let presence = try reader.byte()
        guard presence & 0b1100_0000 == 0 else { throw ChunkCorruption(reason: "unknown presence bits") }
        columns.ts.removeAll(keepingCapacity: true)
        columns.bytes.removeAll(keepingCapacity: true)
        try reader.stream(count: n, appendingTo: &columns.ts)
        try reader.stream(count: n, appendingTo: &columns.bytes)
        // nil: a column no sample has (a gauge's counts), read as nil without an array of them.
        for index in 0..<3 {
            switch (presence >> UInt8(2 * index)) & 3 {
            case 0:
                columns.optional[index] = nil
            case 1:
                columns.optional[index] = try reader.stream(count: n).map { $0 }
            case 2:
                var present: [Bool] = []
                present.reserveCapacity(n)
                for _ in 0..<n { present.append(try reader.bit()) }
                reader.alignToByte()
                var stream = try reader.stream(count: present.filter { $0 }.count).makeIterator()
                columns.optional[index] = present.map { $0 ? stream.next() : nil }
            default:
                throw ChunkCorruption(reason: "unknown presence mode")
            }
        }
        reader.alignToByte()
        guard reader.isAtEnd else { throw ChunkCorruption(reason: "\(reader.remainingBytes) bytes after the last column") }
        for i in 1..<n where columns.ts[i] <= columns.ts[i - 1] { throw ChunkCorruption(reason: "times out of order at sample \(i)") }
    }

    static func fnv1a<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for b in bytes { hash = (hash ^ UInt32(b)) &* 16_777_619 }
        return hash
    }

    static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    static func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1) }

    /// Residuals of `values` of `order` (1: deltas, 2: deltas of deltas), after the leading values.
    static func residuals(_ values: [Int64], order: Int) -> [Int64] {
        var residuals: [Int64] = []
        residuals.reserveCapacity(values.count)
        var previousDelta: Int64 = 0
        for i in 1..<values.count {
            let delta = values[i] &- values[i - 1]
            if order == 1 || i > 1 { residuals.append(order == 1 ? delta : delta &- previousDelta) }
            previousDelta = delta
        }
        return residuals
    }

    /// The Rice parameter that codes `u` in the fewest bits, and that count.
    static func riceParameter(_ u: [UInt64]) -> (k: Int, bits: Int) {
        guard !u.isEmpty else { return (0, 0) }
        let mean = u.reduce(0.0) { $0 + Double($1) } / Double(u.count)
        let guess = mean < 1 ? 0 : min(62, 63 - UInt64(min(mean, 9.2e18)).leadingZeroBitCount)
        var best = (k: 0, bits: Int.max)
        for k in max(0, guess - 2)...min(62, guess + 2) {
            var bits = 0
            for value in u {
                let q = value >> UInt64(k)
                bits += q >= escapeQuotient ? Int(escapeQuotient) + 64 : Int(q) + 1 + k
            }
            if bits < best.bits { best = (k, bits) }
        }
        return best
    }

    static var escape: UInt64 { escapeQuotient }
}
