/// The answer to "is memory leaking?": the seed's report, field for field,
/// plus LeakHistory's additions.
///
/// ```swift
/// let report = detector.detectLeaks(currentUsageMB: 1350)
/// if report.hasLeaks { print(report.recommendations.joined(separator: "\n")) }
/// let json = try JSONEncoder().encode(report)   // the seed's JSON shape
/// ```
///
/// The seed's keys (`has_leaks`, `overall_growth_rate`, `growth_mb_per_minute`,
/// `time_window_secs`, `leak_candidates`, `recommendations`, `baseline_mb`,
/// `current_mb`, `timestamp`) are always present; `baseline_mb` is `null`
/// without a baseline.
public struct LeakReport: Sendable, Codable, Equatable {
    public var hasLeaks: Bool
    /// Percent change from the oldest to the newest sample in the window.
    public var overallGrowthRate: Double
    /// MiB per minute from the oldest to the newest sample in the window.
    public var growthMBPerMinute: Double
    public var timeWindowSecs: UInt64
    /// Sorted by severity, then size held, descending.
    public var leakCandidates: [LeakCandidate]
    public var recommendations: [String]
    public var baselineMB: Int?
    public var currentMB: Int
    /// Unix seconds when the report was made.
    public var timestamp: UInt64

    public var baselineBytes: Int64?
    public var currentBytes: Int64
    /// Samples the overall growth was computed from.
    public var sampleCount: Int
    /// The source the report is about, when it came from the store.
    public var source: String?
    /// The window `[from, to]` in Unix ms, when it came from the store.
    public var windowFromMs: Int64?
    public var windowToMs: Int64?
    /// The usage trend verdict, when there were enough samples for one.
    public var trend: TrendVerdict?

    public init(
        hasLeaks: Bool, overallGrowthRate: Double, growthMBPerMinute: Double, timeWindowSecs: UInt64,
        leakCandidates: [LeakCandidate], recommendations: [String], baselineBytes: Int64?,
        currentBytes: Int64, timestamp: UInt64, sampleCount: Int, source: String? = nil,
        windowFromMs: Int64? = nil, windowToMs: Int64? = nil, trend: TrendVerdict? = nil
    ) {
        self.hasLeaks = hasLeaks
        self.overallGrowthRate = overallGrowthRate
        self.growthMBPerMinute = growthMBPerMinute
        self.timeWindowSecs = timeWindowSecs
        self.leakCandidates = leakCandidates
        self.recommendations = recommendations
        self.baselineMB = baselineBytes.map(ByteSize.wholeMB)
        self.currentMB = ByteSize.wholeMB(currentBytes)
        self.timestamp = timestamp
        self.baselineBytes = baselineBytes
        self.currentBytes = currentBytes
        self.sampleCount = sampleCount
        self.source = source
        self.windowFromMs = windowFromMs
        self.windowToMs = windowToMs
        self.trend = trend
    }

    package enum CodingKeys: String, CodingKey {
        case hasLeaks = "has_leaks"
        case overallGrowthRate = "overall_growth_rate"
        case growthMBPerMinute = "growth_mb_per_minute"
        case timeWindowSecs = "time_window_secs"
        case leakCandidates = "leak_candidates"
        case recommendations
        case baselineMB = "baseline_mb"
        case currentMB = "current_mb"
        case timestamp
        case baselineBytes = "baseline_bytes"
        case currentBytes = "current_bytes"
        case sampleCount = "sample_count"
        case source
        case windowFromMs = "window_from_ms"
        case windowToMs = "window_to_ms"
        case trend
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hasLeaks, forKey: .hasLeaks)
        try c.encode(overallGrowthRate, forKey: .overallGrowthRate)
        try c.encode(growthMBPerMinute, forKey: .growthMBPerMinute)
        try c.encode(timeWindowSecs, forKey: .timeWindowSecs)
        try c.encode(leakCandidates, forKey: .leakCandidates)
        try c.encode(recommendations, forKey: .recommendations)
        // The seed's clients expect the key even without a baseline.
        try c.encode(baselineMB, forKey: .baselineMB)
        try c.encode(currentMB, forKey: .currentMB)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(baselineBytes, forKey: .baselineBytes)
        try c.encode(currentBytes, forKey: .currentBytes)
        try c.encode(sampleCount, forKey: .sampleCount)
        try c.encodeIfPresent(source, forKey: .source)
        try c.encodeIfPresent(windowFromMs, forKey: .windowFromMs)
        try c.encodeIfPresent(windowToMs, forKey: .windowToMs)
        try c.encodeIfPresent(trend, forKey: .trend)
    }
}
