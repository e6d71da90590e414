/// Whether a series of memory samples is leaking, since when, how fast, and
/// the figures that decided it.
///
/// Every verdict explains itself: `explanation` is a sentence for a person,
/// `checks` lists each test with its figures, and `rejectedBy` names the check
/// that said no for a non-leak. "How fast" has one answer: `rateBytesPerHour`,
/// the fitted rate of the current regime (since `regimeStartMs`, which is
/// `growingSinceMs` when leaking).
public struct TrendVerdict: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case leaking
        case notLeaking = "not_leaking"
        /// Fewer samples than a trend needs.
        case insufficientData = "insufficient_data"
        /// No sample at all in the window.
        case noData = "no_data"
    }

    /// How the runs of the series were put together for the fit.
    public enum Analysis: String, Sendable, Codable {
        /// One run only.
        case singleRun = "single_run"
        /// Several runs, each shifted so it starts where the previous one ended:
        /// a drop at a restart is neither a deallocation nor negative growth.
        case joinedRuns = "joined_runs"
    }

    /// The sawtooth the trend was read under, when the series oscillates.
    public struct EnvelopeSummary: Sendable, Codable, Equatable {
        /// Troughs (memory after each collection) the trend was fitted to.
        public var troughs: Int
        public var periodSecs: Double
        /// Median size of a fall.
        public var amplitudeBytes: Int64

        enum CodingKeys: String, CodingKey {
            case troughs
            case periodSecs = "period_secs"
            case amplitudeBytes = "amplitude_bytes"
        }
    }

    /// One regime of the piecewise-linear fit.
    public struct Segment: Sendable, Codable, Equatable {
        public var startMs: Int64
        public var endMs: Int64
        public var rateBytesPerHour: Double
        /// The fitted line's value at the start and the end.
        public var startBytes: Int64
        public var endBytes: Int64

        enum CodingKeys: String, CodingKey {
            case startMs = "start_ms"
            case endMs = "end_ms"
            case rateBytesPerHour = "rate_bytes_per_hour"
            case startBytes = "start_bytes"
            case endBytes = "end_bytes"
        }
    }

    public var status: Status
    public var isLeaking: Bool { status == .leaking }
    /// The check that said no, for a non-leak (`nil` when leaking).
    public var rejectedBy: TrendCheck.Kind?
    public var explanation: String
    /// Samples the verdict is based on, after the warm-up.
    public var sampleCount: Int
    public var runCount: Int
    public var analysis: Analysis
    public var spanSecs: Double
    /// Where the current regime (the last segment, with earlier ones that
    /// grow alike) begins.
    public var regimeStartMs: Int64?
    /// When the leak began: the regime's start, for a leaking verdict only.
    public var growingSinceMs: Int64?
    /// The fitted (Theil–Sen) rate of the current regime, bytes per hour.
    public var rateBytesPerHour: Double
    /// The standard error of that rate (the regime's residual noise, its
    /// autocorrelation allowed for), bytes per hour; `nil` when it cannot be known.
    public var rateErrorBytesPerHour: Double?
    /// The fitted model's net rate over the whole series (after the warm-up):
    /// its growth from the first sample to the last over the span, bytes per
    /// hour. For a series that does not leak, what it did over the window.
    public var netRateBytesPerHour: Double?
    /// The standard error of that net rate; `nil` when it cannot be known.
    public var netRateErrorBytesPerHour: Double?
    /// The rate as a percent of the regime's median level, per hour.
    public var ratePercentPerHour: Double
    /// Rate × the regime's span: how much the current regime grew.
    public var growthSinceOnsetBytes: Int64
    /// Spread of the regime's samples around its fit (1.4826 × median absolute deviation).
    public var noiseBytes: Int64
    /// Seconds until the configured memory limit at the rate, if a limit is set and usage rises.
    public var timeToLimitSecs: Double?
    public var envelope: EnvelopeSummary?
    public var segments: [Segment]
    public var checks: [TrendCheck]

    /// The rate in MiB per hour.
    public var slopeMBPerHour: Double { rateBytesPerHour / Double(ByteSize.bytesPerMB) }
    /// The rate for a reader, in the unit that reads best: `+38.20 MiB/h`, `+4.00 MiB/s`.
    public var rateText: String { AnalysisText.rate(bytesPerHour: rateBytesPerHour) }

    package enum CodingKeys: String, CodingKey {
        case status
        case isLeaking = "is_leaking"
        case rejectedBy = "rejected_by"
        case explanation
        case sampleCount = "sample_count"
        case runCount = "run_count"
        case analysis
        case spanSecs = "span_secs"
        case regimeStartMs = "regime_start_ms"
        case growingSinceMs = "growing_since_ms"
        case growingSince = "growing_since"
        case rateBytesPerHour = "rate_bytes_per_hour"
        case rateText = "rate_text"
        case rateErrorBytesPerHour = "rate_error_bytes_per_hour"
        case netRateBytesPerHour = "net_rate_bytes_per_hour"
        case netRateErrorBytesPerHour = "net_rate_error_bytes_per_hour"
        case ratePercentPerHour = "rate_percent_per_hour"
        case growthSinceOnsetBytes = "growth_since_onset_bytes"
        case noiseBytes = "noise_bytes"
        case timeToLimitSecs = "time_to_limit_secs"
        case envelope
        case segments
        case checks
    }

    /// A verdict with no figures yet: the analysis fills them in.
    package init(status: Status, explanation: String, sampleCount: Int, runCount: Int, analysis: Analysis, spanSecs: Double) {
        self.status = status
        self.explanation = explanation
        self.sampleCount = sampleCount
        self.runCount = runCount
        self.analysis = analysis
        self.spanSecs = spanSecs
        rateBytesPerHour = 0
        ratePercentPerHour = 0
        growthSinceOnsetBytes = 0
        noiseBytes = 0
        segments = []
        checks = []
    }

    /// The verdict for a window without a single sample.
    public static func noData(subject: String = "usage") -> TrendVerdict {
        var verdict = TrendVerdict(status: .noData, explanation: "no data: no sample of \(subject) in this window",
                                   sampleCount: 0, runCount: 0, analysis: .singleRun, spanSecs: 0)
        verdict.rejectedBy = .samples
        return verdict
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        status = try c.decode(Status.self, forKey: .status)
        rejectedBy = try c.decodeIfPresent(TrendCheck.Kind.self, forKey: .rejectedBy)
        explanation = try c.decode(String.self, forKey: .explanation)
        sampleCount = try c.decode(Int.self, forKey: .sampleCount)
        runCount = try c.decode(Int.self, forKey: .runCount)
        analysis = try c.decode(Analysis.self, forKey: .analysis)
        spanSecs = try c.decode(Double.self, forKey: .spanSecs)
        regimeStartMs = try c.decodeIfPresent(Int64.self, forKey: .regimeStartMs)
        growingSinceMs = try c.decodeIfPresent(Int64.self, forKey: .growingSinceMs)
        rateBytesPerHour = try c.decode(Double.self, forKey: .rateBytesPerHour)
        rateErrorBytesPerHour = try c.decodeIfPresent(Double.self, forKey: .rateErrorBytesPerHour)
        netRateBytesPerHour = try c.decodeIfPresent(Double.self, forKey: .netRateBytesPerHour)
        netRateErrorBytesPerHour = try c.decodeIfPresent(Double.self, forKey: .netRateErrorBytesPerHour)
        ratePercentPerHour = try c.decode(Double.self, forKey: .ratePercentPerHour)
        growthSinceOnsetBytes = try c.decode(Int64.self, forKey: .growthSinceOnsetBytes)
        noiseBytes = try c.decode(Int64.self, forKey: .noiseBytes)
        timeToLimitSecs = try c.decodeIfPresent(Double.self, forKey: .timeToLimitSecs)
        envelope = try c.decodeIfPresent(EnvelopeSummary.self, forKey: .envelope)
        segments = try c.decode([Segment].self, forKey: .segments)
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
        try c.encode(regimeStartMs, forKey: .regimeStartMs)
        try c.encode(growingSinceMs, forKey: .growingSinceMs)
        try c.encode(growingSinceMs.map { AnalysisText.timestamp(ms: $0) }, forKey: .growingSince)
        try c.encode(rateBytesPerHour, forKey: .rateBytesPerHour)
        try c.encode(rateText, forKey: .rateText)
        try c.encode(rateErrorBytesPerHour, forKey: .rateErrorBytesPerHour)
        try c.encode(netRateBytesPerHour, forKey: .netRateBytesPerHour)
        try c.encode(netRateErrorBytesPerHour, forKey: .netRateErrorBytesPerHour)
        try c.encode(ratePercentPerHour, forKey: .ratePercentPerHour)
        try c.encode(growthSinceOnsetBytes, forKey: .growthSinceOnsetBytes)
        try c.encode(noiseBytes, forKey: .noiseBytes)
        try c.encode(timeToLimitSecs, forKey: .timeToLimitSecs)
        try c.encode(envelope, forKey: .envelope)
        try c.encode(segments, forKey: .segments)
        try c.encode(checks, forKey: .checks)
    }
}

/// One test of the trend verdict: which, whether it passed, the figures it
/// compared and a sentence saying so. Adding a check is one new `Kind`, its
/// computation in `TrendAnalyzer` and its test.
public struct TrendCheck: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Enough samples after the warm-up for a trend.
        case samples
        /// The current regime is not one level shift followed by a flat stretch.
        case step
        /// The regime's robust slope is positive.
        case slope
        /// The regime grew at least the configured absolute floor.
        case growthFloor = "growth_floor"
        /// The slope stands out of the noise: its t statistic clears the bar for its effective sample count.
        case noise
        /// The last part of the regime still rises at a good share of its rate (no plateau).
        case tail

        /// Why a series failing this check is not a leak, for a person.
        func reason(subject: String) -> String {
            switch self {
            case .samples: "too few samples for a trend"
            case .step: "the growth is one step, flat since"
            case .slope: "\(subject) does not rise"
            case .growthFloor: "the growth is below the floor"
            case .noise: "the rise does not stand out of the noise"
            case .tail: "growth has stopped (a plateau)"
            }
        }
    }

    public var kind: Kind
    public var passed: Bool
    /// The figures compared, as a sentence.
    public var detail: String
    /// The same figures as numbers (bytes, bytes per hour, counts, ratios).
    public var figures: [String: Double]

    public var name: String { kind.rawValue }

    public init(_ kind: Kind, passed: Bool, detail: String, figures: [String: Double] = [:]) {
        self.kind = kind
        self.passed = passed
        self.detail = detail
        // JSON has no infinity: a figure that is not finite (t of a noiseless fit) is left out.
        self.figures = figures.filter { $0.value.isFinite }
    }

    package enum CodingKeys: String, CodingKey {
        case name, passed, detail, figures
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .name)
        passed = try c.decode(Bool.self, forKey: .passed)
        detail = try c.decode(String.self, forKey: .detail)
        figures = try c.decodeIfPresent([String: Double].self, forKey: .figures) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .name)
        try c.encode(passed, forKey: .passed)
        try c.encode(detail, forKey: .detail)
        try c.encode(figures, forKey: .figures)
    }
}
