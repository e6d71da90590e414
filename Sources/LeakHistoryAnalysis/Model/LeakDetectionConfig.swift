/// Tuning of leak detection: the seed's four fields with their defaults, plus
/// the thresholds the seed hard-coded, made configurable.
///
/// ```swift
/// var config = LeakDetectionConfig(growthThreshold: 2.0, timeWindowSecs: 60)
/// config.memoryLimitBytes = 4 << 30   // report the time left until 4 GiB
/// let detector = LeakDetector(config: config)
/// ```
///
/// Encodes with snake_case keys; every key is optional when decoding, a missing
/// one takes its default.
public struct LeakDetectionConfig: Sendable, Codable, Equatable {
    /// Overall growth, in percent, above which growth alone reports a leak.
    public var growthThreshold: Double
    /// How far back, in seconds, the history counts for overall growth.
    public var timeWindowSecs: UInt64
    /// How many usage samples the live detector keeps.
    public var maxHistorySamples: Int
    /// Allocation count from which the allocation pattern can make a candidate.
    public var minAllocationsForLeak: UInt64

    /// Rule (a): net allocations above which a component's pattern looks leaky.
    public var minNetAllocations: Int64 = 5
    /// Rule (a): retained share of allocations, in percent, above which the pattern looks leaky.
    public var retentionPercent: Double = 10
    /// Rule (b): a component whose growth reaches this percent of the baseline
    /// (of current usage without a baseline) is a candidate whatever its pattern.
    public var sizeGrowthPercent: Double = 20
    /// Severity thresholds, in MiB held and in percent share of the growth.
    public var severity: SeverityThresholds = .init()

    /// Fewest samples for the trend test; with fewer, the threshold alone decides.
    public var trendMinSamples: Int = 10
    /// Fitted growth over a window must exceed this many bytes to be a leak.
    public var growthFloorBytes: Int64 = 1_048_576
    /// The trailing share of the current regime whose slope must not be
    /// significantly below `tailMinSlopeRatio` of the regime's (a plateau).
    public var tailFraction: Double = 0.5
    /// The tail's slope must be at least this share of the whole window's slope.
    public var tailMinSlopeRatio: Double = 0.25
    /// Seconds after a run starts that the trend ignores, and at whose end a
    /// restarted run takes its component references.
    public var warmupSecs: UInt64 = 0
    /// A memory limit; when set, reports say how long until usage reaches it.
    public var memoryLimitBytes: Int64? = nil

    public init(
        growthThreshold: Double = 5.0,
        timeWindowSecs: UInt64 = 600,
        maxHistorySamples: Int = 100,
        minAllocationsForLeak: UInt64 = 10
    ) {
        self.growthThreshold = growthThreshold
        self.timeWindowSecs = timeWindowSecs
        self.maxHistorySamples = maxHistorySamples
        self.minAllocationsForLeak = minAllocationsForLeak
    }

    package enum CodingKeys: String, CodingKey {
        case growthThreshold = "growth_threshold"
        case timeWindowSecs = "time_window_secs"
        case maxHistorySamples = "max_history_samples"
        case minAllocationsForLeak = "min_allocations_for_leak"
        case minNetAllocations = "min_net_allocations"
        case retentionPercent = "retention_percent"
        case sizeGrowthPercent = "size_growth_percent"
        case severity
        case trendMinSamples = "trend_min_samples"
        case growthFloorBytes = "growth_floor_bytes"
        case tailFraction = "tail_fraction"
        case tailMinSlopeRatio = "tail_min_slope_ratio"
        case warmupSecs = "warmup_secs"
        case memoryLimitBytes = "memory_limit_bytes"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var config = LeakDetectionConfig()
        func take<T: Decodable>(_ key: CodingKeys, _ path: WritableKeyPath<LeakDetectionConfig, T>) throws {
            if let value = try c.decodeIfPresent(T.self, forKey: key) { config[keyPath: path] = value }
        }
        try take(.growthThreshold, \.growthThreshold)
        try take(.timeWindowSecs, \.timeWindowSecs)
        try take(.maxHistorySamples, \.maxHistorySamples)
        try take(.minAllocationsForLeak, \.minAllocationsForLeak)
        try take(.minNetAllocations, \.minNetAllocations)
        try take(.retentionPercent, \.retentionPercent)
        try take(.sizeGrowthPercent, \.sizeGrowthPercent)
        try take(.severity, \.severity)
        try take(.trendMinSamples, \.trendMinSamples)
        try take(.growthFloorBytes, \.growthFloorBytes)
        try take(.tailFraction, \.tailFraction)
        try take(.tailMinSlopeRatio, \.tailMinSlopeRatio)
        try take(.warmupSecs, \.warmupSecs)
        config.memoryLimitBytes = try c.decodeIfPresent(Int64.self, forKey: .memoryLimitBytes)
        try config.validate()
        self = config
    }

    /// Throws a `ConfigurationError` naming the first field out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw ConfigurationError(field: field, message: rule) }
        }
        try check(growthThreshold.isFinite && growthThreshold >= 0, "growth_threshold", "must be a finite percentage ≥ 0")
        try check(timeWindowSecs > 0 && timeWindowSecs <= 10 * 365 * 86_400, "time_window_secs", "must be between 1 s and 10 years")
        try check(maxHistorySamples >= 2 && maxHistorySamples <= 1_000_000, "max_history_samples", "must be between 2 and 1,000,000")
        try check(minNetAllocations >= 0, "min_net_allocations", "must be ≥ 0")
        try check(retentionPercent.isFinite && retentionPercent >= 0, "retention_percent", "must be a finite percentage ≥ 0")
        try check(sizeGrowthPercent.isFinite && sizeGrowthPercent > 0, "size_growth_percent", "must be a finite percentage > 0")
        try check(trendMinSamples >= 3, "trend_min_samples", "must be ≥ 3")
        try check(growthFloorBytes >= 0, "growth_floor_bytes", "must be ≥ 0")
        try check(tailFraction > 0 && tailFraction < 1, "tail_fraction", "must be between 0 and 1")
        try check(tailMinSlopeRatio.isFinite && tailMinSlopeRatio >= 0, "tail_min_slope_ratio", "must be ≥ 0")
        try check(warmupSecs <= 30 * 86_400, "warmup_secs", "must be at most 30 days")
        try check(memoryLimitBytes.map { $0 > 0 } ?? true, "memory_limit_bytes", "must be > 0 when set")
        try severity.validate()
    }
}

/// The severity ladder: a candidate is Critical when it holds more than
/// `criticalMB` or has more than `criticalSharePercent` of the growth, and so on
/// down; below every Medium threshold it is Low. Defaults are the seed's.
public struct SeverityThresholds: Sendable, Codable, Equatable {
    public var criticalMB: Int64 = 1000
    public var criticalSharePercent: Double = 80
    public var highMB: Int64 = 500
    public var highSharePercent: Double = 50
    public var mediumMB: Int64 = 100
    public var mediumSharePercent: Double = 20

    public init() {}

    package enum CodingKeys: String, CodingKey {
        case criticalMB = "critical_mb"
        case criticalSharePercent = "critical_share_percent"
        case highMB = "high_mb"
        case highSharePercent = "high_share_percent"
        case mediumMB = "medium_mb"
        case mediumSharePercent = "medium_share_percent"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        criticalMB = try c.decodeIfPresent(Int64.self, forKey: .criticalMB) ?? criticalMB
        criticalSharePercent = try c.decodeIfPresent(Double.self, forKey: .criticalSharePercent) ?? criticalSharePercent
        highMB = try c.decodeIfPresent(Int64.self, forKey: .highMB) ?? highMB
        highSharePercent = try c.decodeIfPresent(Double.self, forKey: .highSharePercent) ?? highSharePercent
        mediumMB = try c.decodeIfPresent(Int64.self, forKey: .mediumMB) ?? mediumMB
        mediumSharePercent = try c.decodeIfPresent(Double.self, forKey: .mediumSharePercent) ?? mediumSharePercent
    }

    package func validate() throws {
        guard criticalMB >= highMB, highMB >= mediumMB, mediumMB >= 0 else {
            throw ConfigurationError(field: "severity", message: "MiB thresholds must satisfy critical ≥ high ≥ medium ≥ 0")
        }
        guard criticalSharePercent >= highSharePercent, highSharePercent >= mediumSharePercent, mediumSharePercent >= 0 else {
            throw ConfigurationError(field: "severity", message: "share thresholds must satisfy critical ≥ high ≥ medium ≥ 0")
        }
    }

    /// The severity of a component holding `allocatedBytes` with `sharePercent` of the growth.
    /// Sizes compare in bytes, so just over 1000 MiB is "> 1000 MB".
    public func classify(allocatedBytes: Int64, sharePercent: Double) -> LeakSeverity {
        let mb = ByteSize.bytesPerMB
        if allocatedBytes > criticalMB * mb || sharePercent > criticalSharePercent { return .critical }
        if allocatedBytes > highMB * mb || sharePercent > highSharePercent { return .high }
        if allocatedBytes > mediumMB * mb || sharePercent > mediumSharePercent { return .medium }
        return .low
    }
}

/// A configuration value out of range.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let message: String
    public var description: String { "invalid configuration: \(field) \(message)" }
}
