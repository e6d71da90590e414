import LeakHistoryAnalysis

/// Bucket sizes chosen for a window when none is asked for.
public enum TrendBuckets {
    /// The smallest round bucket that cuts `spanMs` into at most about `target` buckets.
    public static func automaticMs(spanMs: Int64, target: Int64 = 240) -> Int64 {
        let wanted = max(1000, spanMs / max(1, target))
        return roundMs.first { $0 >= wanted } ?? max(wanted, roundMs.last!)
    }

    /// Bucket sizes a person reads at a glance; whole minutes and hours come from the rollups.
    static let roundMs: [Int64] = [
        1, 2, 5, 10, 15, 30,                                    // seconds
        60, 120, 300, 600, 900, 1800,                          // minutes
        3600, 7200, 10_800, 21_600, 43_200,                    // hours
        86_400, 172_800, 604_800,                              // days
    ].map { $0 * 1000 }
}
