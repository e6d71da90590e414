/// Arithmetic on figures that come from outside (event sizes, stored
/// samples): it never traps.
///
/// Writes refuse what would overflow (`InputError`, naming the line); reads of
/// what is already stored saturate, so a report over an extreme history still
/// answers, with its figures pinned at `Int64.max` / `Int64.min`.
extension Int64 {
    /// `self + other`, pinned at `Int64.max` / `Int64.min` instead of overflowing.
    public func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, pinned at `Int64.max` / `Int64.min` instead of overflowing.
    public func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }
}

extension Int64 {
    /// `value` rounded toward zero, clamped to Int64 (NaN gives 0): for a
    /// figure computed in Double from stored bytes, which may lie past Int64.
    public init(clampingDouble value: Double) {
        if value.isNaN { self = 0 } else if value >= 9.2233720368547758e18 { self = .max }
        else if value <= -9.2233720368547758e18 { self = .min } else { self = Int64(value) }
    }
}

extension Sequence where Element == Int64 {
    /// The sum, or nil when it does not fit in an Int64.
    public func checkedSum() -> Int64? {
        var total: Int64 = 0
        for value in self {
            let (sum, overflow) = total.addingReportingOverflow(value)
            if overflow { return nil }
            total = sum
        }
        return total
    }
}
