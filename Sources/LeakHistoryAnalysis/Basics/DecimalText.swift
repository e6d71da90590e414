/// Fixed-point decimal text for report lines, without Foundation's
/// `String(format:)` (a few microseconds a call on Linux, and a report has
/// several such numbers).
package enum DecimalText {
    /// `value` with `digits` decimals (0...9), exactly as printf's `%.Nf` and
    /// Rust's `{:.N}` print it: rounded from the double's exact binary value,
    /// ties to even, a minus sign whenever the sign bit is set (`-0.00`).
    static package func fixed(_ value: Double, _ digits: Int) -> String {
        precondition((0...9).contains(digits), "DecimalText.fixed supports 0 to 9 decimals")
        guard value.isFinite else {
            return value.isNaN ? (value.sign == .minus ? "-nan" : "nan") : (value < 0 ? "-inf" : "inf")
        }
        // |value| = m × 2^e exactly.
        let bits = value.significandBitPattern
        let biased = Int(value.exponentBitPattern)
        let m = biased == 0 ? bits : bits | (1 << 52)
        let e = (biased == 0 ? 1 : biased) - 1075
        var scale: UInt128 = 1
        for _ in 0..<digits { scale *= 10 }
        // The scaled value m × 10^digits × 2^e, rounded to an integer.
        let n = UInt128(m) * scale  // < 2^53 × 10^9 < 2^83
        var q: UInt128
        if e >= 0 {
            guard e <= 127 - 83 else { return wide(value, digits) }
            q = n << e
        } else if -e >= 128 {
            q = 0  // n < 2^83 ≤ half of 2^-e: rounds to zero
        } else {
            let shift = -e
            q = n >> shift
            let remainder = n & ((1 << shift) - 1)
            let half: UInt128 = 1 << (shift - 1)
            if remainder > half || (remainder == half && q & 1 == 1) { q += 1 }
        }
        // Report figures fit 64 bits; their division and text are far cheaper there.
        let (whole, fraction) = q <= UInt128(UInt64.max)
            ? (String(UInt64(q) / UInt64(scale)), String(UInt64(q) % UInt64(scale)))
            : (String(q / scale), String(q % scale))
        var text = value.sign == .minus ? "-" : ""
        text += whole
        if digits > 0 {
            text += "."
            if fraction.utf8.count < digits { text += String(repeating: "0", count: digits - fraction.utf8.count) }
            text += fraction
        }
        return text
    }

    /// Values of 2^97 and more (never a memory figure): an integer m × 2^e,
    /// written by long division of its binary words.
    private static func wide(_ value: Double, _ digits: Int) -> String {
        let m = value.significandBitPattern | (1 << 52)
        let e = Int(value.exponentBitPattern) - 1075  // ≥ 45 here
        // Little-endian 64-bit words of m << e.
        var words = [UInt64](repeating: 0, count: (53 + e) / 64 + 2)
        words[e / 64] = m << UInt64(e % 64)
        if e % 64 > 0 { words[e / 64 + 1] = m >> UInt64(64 - e % 64) }
        var decimal: [UInt8] = []
        while words.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for i in words.indices.reversed() {
                let (q, r) = UInt64(10).dividingFullWidth((remainder, words[i]))
                words[i] = q
                remainder = r
            }
            decimal.append(UInt8(ascii: "0") + UInt8(remainder))
        }
        var text = value.sign == .minus ? "-" : ""
        text += String(decoding: decimal.reversed(), as: UTF8.self)
        if digits > 0 { text += "." + String(repeating: "0", count: digits) }
        return text
    }
}

/// Integers in decimal, written into bytes two digits a step: every number
/// of the CSV export and of the server's JSON, and the ISO times' digits.
/// (Inlinable: the export calls it a few times a row, from another module.)
package enum DecimalDigits {
    /// The most bytes `write` takes: a sign and twenty digits.
    static package let maxBytes = 21

    /// "00"…"99".
    @usableFromInline static let pairs: [UInt8] = (0..<100).flatMap { [UInt8(ascii: "0") + UInt8($0 / 10), UInt8(ascii: "0") + UInt8($0 % 10)] }

    /// `value` (0…99) as two digits at `out`; the address after them.
    @inlinable @inline(__always)
    static package func twoDigits(_ value: Int, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        pairs.withUnsafeBufferPointer { table in
            out[0] = table[2 * value]
            out[1] = table[2 * value + 1]
        }
        return out + 2
    }

    /// `value` in decimal at `out`, `maxBytes` at the most; the address after it.
    @inlinable
    static package func write(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        write(magnitude: value.magnitude, negative: value < 0, to: out)
    }

    /// `magnitude` in decimal at `out`, after a minus sign when `negative`.
    @inlinable
    static package func write(magnitude: UInt64, negative: Bool, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var out = out
        if negative {
            out.pointee = UInt8(ascii: "-")
            out += 1
        }
        var v = magnitude
        var count = 1
        var probe = v
        while probe >= 10 {
            probe /= 10
            count += 1
        }
        var i = count
        while v >= 100 {
            i -= 2
            _ = twoDigits(Int(v % 100), to: out + i)
            v /= 100
        }
        if v >= 10 {
            _ = twoDigits(Int(v), to: out)
        } else {
            out.pointee = UInt8(ascii: "0") &+ UInt8(v)
        }
        return out + count
    }

    /// `value` in decimal, onto `bytes`.
    @inlinable
    static package func append(_ value: Int64, to bytes: inout [UInt8]) {
        append(magnitude: value.magnitude, negative: value < 0, to: &bytes)
    }

    /// `magnitude` in decimal, after a minus sign when `negative`, onto `bytes`.
    @inlinable
    static package func append(magnitude: UInt64, negative: Bool, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxBytes) { buffer in
            let start = buffer.baseAddress!
            bytes.append(contentsOf: UnsafeBufferPointer(start: start, count: write(magnitude: magnitude, negative: negative, to: start) - start))
        }
    }
}
