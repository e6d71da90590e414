import Foundation

/// Size conversions. Inside LeakHistory every size is bytes (`Int64`); "MB" in
/// the seed-compatible fields means MiB, rounded down for integer fields.
public enum ByteSize {
    /// Bytes in one MiB, the unit the seed's "MB" fields use.
    public static let bytesPerMB: Int64 = 1_048_576

    /// Whole MiB in `bytes`, rounded down (toward zero for the rare negative value).
    @inlinable
    public static func wholeMB(_ bytes: Int64) -> Int {
        Int(bytes / bytesPerMB)
    }

    /// `mb` MiB in bytes, saturating instead of overflowing.
    @inlinable
    public static func bytes(mb: Int) -> Int64 {
        let (product, overflow) = Int64(mb).multipliedReportingOverflow(by: bytesPerMB)
        if overflow { return mb < 0 ? Int64.min : Int64.max }
        return product
    }

    /// Fractional MiB, for rates.
    @inlinable
    public static func mb(_ bytes: Int64) -> Double {
        Double(bytes) / Double(bytesPerMB)
    }
}

/// Time conversions: inside LeakHistory time is Unix milliseconds (`Int64`).
public enum UnixTime {
    /// Milliseconds since 1970 for `date`, rounded down.
    @inlinable
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The date of `ms` milliseconds since 1970.
    @inlinable
    public static func date(milliseconds ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }
}
