// The bit-level writer and reader of the stored encodings (SampleChunkCodec,
// ChunkSlotsCodec): integer streams of deltas, divisors and Rice codes.

/// Bits written most significant first into bytes, through a 64-bit
/// accumulator: a run of bits is shifted in at once, whole bytes leave it.
struct BitWriter {
    /// The whole bytes written so far; up to 7 more bits wait in `pending`.
    private(set) var bytes: [UInt8] = []
    /// The bits not yet in a whole byte, right-aligned (`used` of them, under 8 between calls).
    private var pending: UInt64 = 0
    private var used = 0

    init() { bytes.reserveCapacity(512) }

    mutating func bit(_ on: Bool) {
        bits(on ? 1 : 0, count: 1)
    }

    /// The low `count` bits of `value` (0…64), the most significant first.
    mutating func bits(_ value: UInt64, count: Int) {
        var remaining = count
        while remaining > 0 {
            // At most 56 at a time, so the accumulator (under 8 bits when we start) never overflows.
            let take = min(remaining, 56)
            remaining -= take
            let piece = (value >> UInt64(remaining)) & (UInt64.max >> UInt64(64 - take))
            pending = pending << UInt64(take) | piece
            used += take
            while used >= 8 {
                used -= 8
                bytes.append(UInt8(truncatingIfNeeded: pending >> UInt64(used)))
            }
            pending &= (1 << UInt64(used)) &- 1
        }
    }

    mutating func alignToByte() {
        if used != 0 { bits(0, count: 8 - used) }
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
            } else if Int(q) + 1 + k <= 56 {
                // q ones, a zero, the low k bits: one shift into the accumulator.
                let low = k == 0 ? 0 : value & (UInt64.max >> UInt64(64 - k))
                bits((1 << q &- 1) << UInt64(1 + k) | low, count: Int(q) + 1 + k)
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
struct BitReader {
    /// The bytes read, borrowed: a reader lives inside the `withUnsafeBytes` that lends them.
    private let bytes: UnsafeRawBufferPointer
    private let endBit: Int
    private var position = 0

    /// A reader of the first `count` bytes of `raw`.
    init(raw: UnsafeRawBufferPointer, count: Int) {
        precondition(count >= 0 && count <= raw.count)
        bytes = UnsafeRawBufferPointer(rebasing: raw[..<count])
        endBit = count * 8
    }

    var isAtEnd: Bool { position == endBit }
    var remainingBytes: Int { (endBit - position) / 8 }

    /// The 64 bits from the current position (zeros past the end).
    private func window() -> UInt64 { Self.window(bytes, at: position) }

    /// The 64 bits of `bytes` from bit `position` (zeros past the end).
    @inline(__always)
    private static func window(_ bytes: UnsafeRawBufferPointer, at position: Int) -> UInt64 {
        let start = position >> 3
        guard start + 9 <= bytes.count else { return tailWindow(bytes, at: position) }
        // One unaligned load of eight bytes, and the ninth for the bits a shift brings in.
        let word = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))
        let shift = UInt64(position & 7)
        return shift == 0 ? word : word << shift | UInt64(bytes[start + 8]) >> (8 - shift)
    }

    /// The window within the last nine bytes: assembled a byte at a time, zeros after them.
    @inline(never)
    private static func tailWindow(_ bytes: UnsafeRawBufferPointer, at position: Int) -> UInt64 {
        let start = position >> 3
        var word: UInt64 = 0
        for i in 0..<8 { word = word << 8 | UInt64(start + i < bytes.count ? bytes[start + i] : 0) }
        let ninth = UInt64(start + 8 < bytes.count ? bytes[start + 8] : 0)
        let shift = UInt64(position & 7)
        return shift == 0 ? word : word << shift | ninth >> (8 - shift)
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
        var values: [Int64] = []
        values.reserveCapacity(count)
        try stream(count: count, appendingTo: &values)
        return values
    }

    /// Reads one integer column of `count` values onto the end of `values`.
    mutating func stream(count: Int, appendingTo values: inout [Int64]) throws(ChunkCorruption) {
        guard count > 0 else { return }
        let first = values.count
        values.append(SampleChunkCodec.unzigzag(try varint()))
        let order = try byte()
        guard order <= 2 else { throw ChunkCorruption(reason: "unknown column order \(order)") }
        if order == 0 {
            values.append(contentsOf: repeatElement(values[first], count: count - 1))
            return
        }
        guard count > Int(order) - 1 else { throw ChunkCorruption(reason: "a column of order \(order) with \(count) value") }
        var delta: Int64 = 0
        if order == 2 {
            delta = SampleChunkCodec.unzigzag(try varint())
            values.append(values[first] &+ delta)
        }
        let divisor = try varint()
        guard divisor >= 1 && divisor <= UInt64(Int64.max) else { throw ChunkCorruption(reason: "divisor \(divisor) out of range") }
        let k = Int(try byte())
        guard k <= 62 else { throw ChunkCorruption(reason: "Rice parameter \(k) out of range") }
        let g = Int64(divisor)
        var last = values[values.count - 1]
        let start = values.count, end = first + count
        guard start < end else { return }
        // The codes are written into the column's place, sized once, by a
        // loop on locals (the reader's fields written back after it).
        values.append(contentsOf: repeatElement(0, count: end - start))
        var failure: ChunkCorruption?
        let source = bytes, endBit = endBit
        var position = position
        values.withUnsafeMutableBufferPointer { out in
            var i = start
            while i < end {
                // Most codes fit one window: the ones, their zero and the k low bits read from it at once.
                let w = Self.window(source, at: position)
                if k == 0 && w >> 63 == 0 {
                    // With k = 0 each zero bit is a residual of 0 (regular timestamps, a
                    // still gauge's steady climb): a run of them is taken from the window at once.
                    let run = min(w.leadingZeroBitCount, end - i, endBit - position)
                    if run > 0 {
                        position += run
                        if order == 2 {
                            for j in i..<(i + run) {
                                last = last &+ delta
                                out[j] = last
                            }
                        } else {
                            for j in i..<(i + run) { out[j] = last }
                        }
                        i += run
                        continue
                    }
                }
                let ones = (~w).leadingZeroBitCount
                let u: UInt64
                if UInt64(ones) < SampleChunkCodec.escape && ones + 1 + k <= 64 && position + ones + 1 + k <= endBit {
                    let low = k == 0 ? 0 : (w << UInt64(ones + 1)) >> UInt64(64 - k)
                    position += ones + 1 + k
                    u = UInt64(ones) << UInt64(k) | low
                } else {
                    // An escaped or a final code: the careful reads, through the reader.
                    self.position = position
                    do throws(ChunkCorruption) {
                        let q = try unary(limit: SampleChunkCodec.escape)
                        u = q == SampleChunkCodec.escape ? try bits(count: 64) : q << UInt64(k) | (try bits(count: k))
                    } catch {
                        failure = error
                        return
                    }
                    position = self.position
                }
                let residual = SampleChunkCodec.unzigzag(u) &* g
                if order == 2 {
                    delta = delta &+ residual
                    last = last &+ delta
                } else {
                    last = last &+ residual
                }
                out[i] = last
                i += 1
            }
        }
        self.position = position
        if let failure { throw failure }
    }
}
