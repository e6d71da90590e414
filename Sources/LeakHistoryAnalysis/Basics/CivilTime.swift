/// A Unix time in ms as the proleptic Gregorian calendar's date and the
/// time of day, in UTC (days to year, month, day after H. Hinnant's
/// `civil_from_days`): what the report text, the ISO timestamps and the CSV
/// export write, without a formatter.
package struct CivilTime: Equatable, Sendable {
    package var year: Int64
    package var month: Int64
    package var day: Int64
    /// Milliseconds since midnight, 0 ..< 86,400,000.
    package var msOfDay: Int64

    package init(ms: Int64) {
        var days = ms / 86_400_000, msOfDay = ms % 86_400_000
        if msOfDay < 0 {
            days -= 1
            msOfDay += 86_400_000
        }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.msOfDay = msOfDay
    }

    /// `YYYY-MM-DDTHH:MM:SS.fffZ` onto `bytes` (a year past 9999 with all its
    /// digits, a negative one as `-` and its digits).
    package func appendISO(to bytes: inout [UInt8]) {
        func digits(_ value: Int64, _ width: Int) {
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            let magnitude = value.magnitude
            var divisor: UInt64 = 1
            var count = 1
            while divisor <= magnitude / 10 {
                divisor *= 10
                count += 1
            }
            if value >= 0 { for _ in count..<max(count, width) { bytes.append(UInt8(ascii: "0")) } }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
                divisor /= 10
            }
        }
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: "T"))
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.timeOfDayBytes) { buffer in
            let start = buffer.baseAddress!
            bytes.append(contentsOf: UnsafeBufferPointer(start: start, count: Self.writeTimeOfDay(msOfDay, to: start) - start))
        }
    }

    /// The length of `HH:MM:SS.fffZ`.
    package static let timeOfDayBytes = 13

    /// `msOfDay` (0 ..< 86,400,000) as `HH:MM:SS.fffZ` at `out`; the address after it.
    @inlinable
    package static func writeTimeOfDay(_ msOfDay: Int64, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        precondition((0..<86_400_000).contains(msOfDay), "writeTimeOfDay: \(msOfDay) ms is not a time of day")
        let ms = Int(msOfDay % 1000)
        var out = DecimalDigits.twoDigits(Int(msOfDay / 3_600_000), to: out)
        out.pointee = UInt8(ascii: ":")
        out = DecimalDigits.twoDigits(Int(msOfDay / 60_000 % 60), to: out + 1)
        out.pointee = UInt8(ascii: ":")
        out = DecimalDigits.twoDigits(Int(msOfDay / 1000 % 60), to: out + 1)
        out[0] = UInt8(ascii: ".")
        out[1] = UInt8(ascii: "0") &+ UInt8(ms / 100)
        out = DecimalDigits.twoDigits(ms % 100, to: out + 2)
        out.pointee = UInt8(ascii: "Z")
        return out + 1
    }
}
