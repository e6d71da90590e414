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
        guard bytes.count >= 5 else { throw ChunkCorruption(reason: "\(bytes.count) bytes is too short for a chunk") }
        let body = bytes[..<(bytes.count - 4)]
        let stored = bytes[(bytes.count - 4)...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard fnv1a(body) == stored else { throw ChunkCorruption(reason: "checksum mismatch (the bytes were changed)") }
        var reader = BitReader(bytes: body)
        let version = try reader.byte()
        guard version == format else { throw ChunkCorruption(reason: "unknown chunk format \(version)") }
        let count = try reader.varint()
        guard count >= 1 && count <= UInt64(maxSamples) else { throw ChunkCorruption(reason: "sample count \(count) out of range") }
        let n = Int(count)
        let presence = try reader.byte()
        guard presence & 0b1100_0000 == 0 else { throw ChunkCorruption(reason: "unknown presence bits") }
        let ts = try reader.stream(count: n)
        let values = try reader.stream(count: n)
        var optional: [[Int64?]] = []
        for index in 0..<3 {
            switch (presence >> UInt8(2 * index)) & 3 {
            case 0:
                optional.append([Int64?](repeating: nil, count: n))
            case 1:
                optional.append(try reader.stream(count: n).map { $0 })
            case 2:
                var present: [Bool] = []
                present.reserveCapacity(n)
                for _ in 0..<n { present.append(try reader.bit()) }
                reader.alignToByte()
                var stream = try reader.stream(count: present.filter { $0 }.count).makeIterator()
                optional.append(present.map { $0 ? stream.next() : nil })
            default:
                throw ChunkCorruption(reason: "unknown presence mode")
            }
        }
        reader.alignToByte()
        guard reader.isAtEnd else { throw ChunkCorruption(reason: "\(reader.remainingBytes) bytes after the last column") }
        var samples: [ChunkSample] = []
        samples.reserveCapacity(n)
        for i in 0..<n {
            if i > 0 && ts[i] <= ts[i - 1] { throw ChunkCorruption(reason: "times out of order at sample \(i)") }
            samples.append(ChunkSample(tsMs: ts[i], bytes: values[i], allocations: optional[0][i],
                                       deallocations: optional[1][i], events: optional[2][i]))
        }
        return samples
    }

    static func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt32 {
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

    fileprivate static var escape: UInt64 { escapeQuotient }
}

/// Bits written most significant first into bytes.
private struct BitWriter {
    var bytes: [UInt8] = []
    private var current: UInt8 = 0
    private var used: UInt8 = 0

    init() { bytes.reserveCapacity(512) }

    mutating func bit(_ on: Bool) {
        current = current << 1 | (on ? 1 : 0)
        used += 1
        if used == 8 {
            bytes.append(current)
            current = 0
            used = 0
        }
    }

    mutating func bits(_ value: UInt64, count: Int) {
        var remaining = count
        while remaining > 0 {
            if used == 0 && remaining >= 8 {
                remaining -= 8
                bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(remaining)))
            } else {
                remaining -= 1
                bit((value >> UInt64(remaining)) & 1 == 1)
            }
        }
    }

    mutating func alignToByte() {
        while used != 0 { bit(false) }
    }

    mutating func byte(_ b: UInt8) {
        alignToByte()
        bytes.append(b)
    }

    mutating func varint(_ value: UInt64) {
        alignToByte()
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// One integer column: see `SampleChunkCodec`.
    mutating func stream(_ values: [Int64]) {
        varint(SampleChunkCodec.zigzag(values[0]))
        if values.allSatisfy({ $0 == values[0] }) {
            byte(0)
            return
        }
        var best: (order: Int, divisor: UInt64, k: Int, bits: Int, u: [UInt64]) = (1, 1, 0, .max, [])
        for order in 1...2 where values.count > order {
            let residuals = SampleChunkCodec.residuals(values, order: order)
            var divisor: UInt64 = 0
            for r in residuals where r != 0 { divisor = gcd(divisor, r.magnitude) }
            if divisor == 0 || divisor > UInt64(Int64.max) { divisor = 1 }
            let u = residuals.map { SampleChunkCodec.zigzag($0 / Int64(divisor)) }
            let (k, bits) = SampleChunkCodec.riceParameter(u)
            if bits < best.bits { best = (order, divisor, k, bits, u) }
        }
        byte(UInt8(best.order))
        if best.order == 2 { varint(SampleChunkCodec.zigzag(values[1] &- values[0])) }
        varint(best.divisor)
        byte(UInt8(best.k))
        let k = best.k
        for value in best.u {
            let q = value >> UInt64(k)
            if q >= SampleChunkCodec.escape {
                bits(UInt64.max, count: Int(SampleChunkCodec.escape))
                bits(value, count: 64)
            } else {
                bits(UInt64.max, count: Int(q))
                bit(false)
                bits(value, count: k)
            }
        }
    }

    private func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}

/// Reads what `BitWriter` wrote, throwing at the end of the bytes instead of reading past it.
/// Bits are read through a 64-bit window at the current bit position.
private struct BitReader {
    private let bytes: [UInt8]
    private let endBit: Int
    private var position = 0

    init(bytes: ArraySlice<UInt8>) {
        // Zero padding lets the window load its nine bytes without a bounds check of its own.
        self.bytes = Array(bytes) + [UInt8](repeating: 0, count: 9)
        endBit = bytes.count * 8
    }

    var isAtEnd: Bool { position == endBit }
    var remainingBytes: Int { (endBit - position) / 8 }

    /// The 64 bits from the current position (zeros past the end).
    private func window() -> UInt64 {
        let start = position >> 3
        // One unaligned load of the eight bytes (the padding keeps it inside the array).
        precondition(start + 8 < bytes.count)
        let word = bytes.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: start, as: UInt64.self)) }
        let shift = UInt64(position & 7)
        return shift == 0 ? word : word << shift | UInt64(bytes[start + 8]) >> (8 - shift)
    }

    private mutating func consume(_ count: Int) throws(ChunkCorruption) {
        guard position + count <= endBit else { throw ChunkCorruption(reason: "ends in the middle of a column") }
        position += count
    }

    mutating func bit() throws(ChunkCorruption) -> Bool {
        let on = window() >> 63 == 1
        try consume(1)
        return on
    }

    /// `count` (0…57) bits as a number.
    mutating func bits(count: Int) throws(ChunkCorruption) -> UInt64 {
        guard count > 0 else { return 0 }
        if count > 57 {
            let high = try bits(count: count - 32)
            return high << 32 | (try bits(count: 32))
        }
        let value = window() >> UInt64(64 - count)
        try consume(count)
        return value
    }

    /// Leading one-bits, at most `limit` (≤ 32), and the zero after them unless the limit was reached.
    mutating func unary(limit: UInt64) throws(ChunkCorruption) -> UInt64 {
        let ones = UInt64((~window()).leadingZeroBitCount)
        if ones >= limit {
            try consume(Int(limit))
            return limit
        }
        try consume(Int(ones) + 1)
        return ones
    }

    mutating func alignToByte() {
        position = min(endBit, (position + 7) & ~7)
    }

    mutating func byte() throws(ChunkCorruption) -> UInt8 {
        alignToByte()
        guard position < endBit else { throw ChunkCorruption(reason: "ends before its header is complete") }
        defer { position += 8 }
        return bytes[position >> 3]
    }

    mutating func varint() throws(ChunkCorruption) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            let b = try byte()
            guard shift < 63 || b <= 1 else { throw ChunkCorruption(reason: "a number longer than 64 bits") }
            value |= UInt64(b & 0x7F) << UInt64(shift)
            if b & 0x80 == 0 { return value }
        }
        throw ChunkCorruption(reason: "a number longer than 64 bits")
    }

    mutating func stream(count: Int) throws(ChunkCorruption) -> [Int64] {
        guard count > 0 else { return [] }
        var values: [Int64] = []
        values.reserveCapacity(count)
        values.append(SampleChunkCodec.unzigzag(try varint()))
        let order = try byte()
        guard order <= 2 else { throw ChunkCorruption(reason: "unknown column order \(order)") }
        if order == 0 {
            values.append(contentsOf: repeatElement(values[0], count: count - 1))
            return values
        }
        guard count > Int(order) - 1 else { throw ChunkCorruption(reason: "a column of order \(order) with \(count) value") }
        var delta: Int64 = 0
        if order == 2 {
            delta = SampleChunkCodec.unzigzag(try varint())
            values.append(values[0] &+ delta)
        }
        let divisor = try varint()
        guard divisor >= 1 && divisor <= UInt64(Int64.max) else { throw ChunkCorruption(reason: "divisor \(divisor) out of range") }
        let k = Int(try byte())
        guard k <= 62 else { throw ChunkCorruption(reason: "Rice parameter \(k) out of range") }
        let g = Int64(divisor)
        var last = values[values.count - 1]
        while values.count < count {
            let q = try unary(limit: SampleChunkCodec.escape)
            let u = q == SampleChunkCodec.escape ? try bits(count: 64) : q << UInt64(k) | (try bits(count: k))
            let residual = SampleChunkCodec.unzigzag(u) &* g
            if order == 2 {
                delta = delta &+ residual
                last = last &+ delta
            } else {
                last = last &+ residual
            }
            values.append(last)
        }
        return values
    }
}
