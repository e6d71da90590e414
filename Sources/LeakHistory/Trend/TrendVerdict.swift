/// Whether a series of memory samples is leaking, with the figures that decided it.
///
/// Every verdict explains itself: `explanation` is a sentence for a person,
/// `checks` lists each test with its figures, and `rejectedBy` names the check
/// that said no for a non-leak.
public struct TrendVerdict: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case leaking
        case notLeaking = "not_leaking"
        case insufficientData = "insufficient_data"
    }

    /// How the runs of the series were put together for the fit.
    public enum Analysis: String, Sendable, Codable {
        /// One run only.
        case singleRun = "single_run"
        /// Several runs, each shifted so it starts where the previous one ended:
        /// a drop at a restart is neither a deallocation nor negative growth.
        case joinedRuns = "joined_runs"
    }

    public var status: Status
    public var isLeaking: Bool { status == .leaking }
    /// The check that said no, for a non-leak (`nil` when leaking).
    public var rejectedBy: String?
    public var explanation: String
    public var sampleCount: Int
    public var runCount: Int
    public var analysis: Analysis
    public var spanSecs: Double
    /// Robust (Theil–Sen) slope.
    public var slopeMBPerHour: Double
    public var leastSquaresMBPerHour: Double
    public var rSquared: Double
    /// The robust slope as a percent of the median level, per hour.
    public var slopePercentPerHour: Double
    /// Robust slope over the trailing `tailFraction` of the window.
    public var tailSlopeMBPerHour: Double
    /// Robust slope × span: how much the fit grew over the window.
    public var fittedGrowthBytes: Int64
    /// Spread of the samples around the fit (1.4826 × median absolute deviation).
    public var noiseBytes: Int64
    /// Seconds until the configured memory limit at the robust slope, if a limit is set and usage rises.
    public var timeToLimitSecs: Double?
    public var checks: [TrendCheck]

    enum CodingKeys: String, CodingKey {
        case status
        case isLeaking = "is_leaking"
        case rejectedBy = "rejected_by"
        case explanation
        case sampleCount = "sample_count"
        case runCount = "run_count"
        case analysis
        case spanSecs = "span_secs"
        case slopeMBPerHour = "slope_mb_per_hour"
        case leastSquaresMBPerHour = "least_squares_mb_per_hour"
        case rSquared = "r_squared"
        case slopePercentPerHour = "slope_percent_per_hour"
        case tailSlopeMBPerHour = "tail_slope_mb_per_hour"
        case fittedGrowthBytes = "fitted_growth_bytes"
        case noiseBytes = "noise_bytes"
        case timeToLimitSecs = "time_to_limit_secs"
        case checks
    }

    public init(
        status: Status, rejectedBy: String?, explanation: String, sampleCount: Int, runCount: Int,
        analysis: Analysis, spanSecs: Double, slopeMBPerHour: Double, leastSquaresMBPerHour: Double,
        rSquared: Double, slopePercentPerHour: Double, tailSlopeMBPerHour: Double,
        fittedGrowthBytes: Int64, noiseBytes: Int64, timeToLimitSecs: Double?, checks: [TrendCheck]
    ) {
        self.status = status
        self.rejectedBy = rejectedBy
        self.explanation = explanation
        self.sampleCount = sampleCount
        self.runCount = runCount
        self.analysis = analysis
        self.spanSecs = spanSecs
        self.slopeMBPerHour = slopeMBPerHour
        self.leastSquaresMBPerHour = leastSquaresMBPerHour
        self.rSquared = rSquared
        self.slopePercentPerHour = slopePercentPerHour
        self.tailSlopeMBPerHour = tailSlopeMBPerHour
        self.fittedGrowthBytes = fittedGrowthBytes
        self.noiseBytes = noiseBytes
        self.timeToLimitSecs = timeToLimitSecs
        self.checks = checks
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        status = try c.decode(Status.self, forKey: .status)
        rejectedBy = try c.decodeIfPresent(String.self, forKey: .rejectedBy)
        explanation = try c.decode(String.self, forKey: .explanation)
        sampleCount = try c.decode(Int.self, forKey: .sampleCount)
        runCount = try c.decode(Int.self, forKey: .runCount)
        analysis = try c.decode(Analysis.self, forKey: .analysis)
        spanSecs = try c.decode(Double.self, forKey: .spanSecs)
        slopeMBPerHour = try c.decode(Double.self, forKey: .slopeMBPerHour)
        leastSquaresMBPerHour = try c.decode(Double.self, forKey: .leastSquaresMBPerHour)
        rSquared = try c.decode(Double.self, forKey: .rSquared)
        slopePercentPerHour = try c.decode(Double.self, forKey: .slopePercentPerHour)
        tailSlopeMBPerHour = try c.decode(Double.self, forKey: .tailSlopeMBPerHour)
        fittedGrowthBytes = try c.decode(Int64.self, forKey: .fittedGrowthBytes)
        noiseBytes = try c.decode(Int64.self, forKey: .noiseBytes)
        timeToLimitSecs = try c.decodeIfPresent(Double.self, forKey: .timeToLimitSecs)
        checks = try c.decode([TrendCheck].self, forKey: .checks)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
        try c.encode(isLeaking, forKey: .isLeaking)
        try c.encode(rejectedBy, forKey: .rejectedBy)
        try c.encode(explanation, forKey: .explanation)
        try c.encode(sampleCount, forKey: .sampleCount)
        try c.encode(runCount, forKey: .runCount)
        try c.encode(analysis, forKey: .analysis)
        try c.encode(spanSecs, forKey: .spanSecs)
        try c.encode(slopeMBPerHour, forKey: .slopeMBPerHour)
        try c.encode(leastSquaresMBPerHour, forKey: .leastSquaresMBPerHour)
        try c.encode(rSquared, forKey: .rSquared)
        try c.encode(slopePercentPerHour, forKey: .slopePercentPerHour)
        try c.encode(tailSlopeMBPerHour, forKey: .tailSlopeMBPerHour)
        try c.encode(fittedGrowthBytes, forKey: .fittedGrowthBytes)
        try c.encode(noiseBytes, forKey: .noiseBytes)
        try c.encode(timeToLimitSecs, forKey: .timeToLimitSecs)
        try c.encode(checks, forKey: .checks)
    }
}

/// One test of the trend verdict and the figures it compared.
public struct TrendCheck: Sendable, Codable, Equatable {
    /// `samples`, `slope`, `growth_floor`, `noise`, `spread`, `tail`.
    public var name: String
    public var passed: Bool
    public var detail: String

    public init(name: String, passed: Bool, detail: String) {
        self.name = name
        self.passed = passed
        self.detail = detail
    }
}
