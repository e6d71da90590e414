/// What one run's verdict said, for comparing runs and versions: its usage
/// verdict after the warm-up (status, the rate since onset and its standard
/// error, growing since, time to the memory limit) and, per component, the
/// rate and the bytes held at the end.
public struct RunFigures: Sendable, Equatable, Encodable {
    public var source: String
    public var runID: Int64
    public var startedMs: Int64
    public var endedMs: Int64?
    public var deployment: RunDeployment
    public var version: String? { deployment.version }
    /// Usage samples the verdict read (after the warm-up).
    public var sampleCount: Int
    public var status: TrendVerdict.Status
    /// How fast the run grew: since onset (the current regime) when it
    /// leaks; else the net fitted rate over the whole run, since a run that
    /// does not leak has no onset (its last regime may be a short wander).
    public var rateBytesPerHour: Double
    /// Its standard error, when the verdict could give one.
    public var rateErrorBytesPerHour: Double?
    public var growingSinceMs: Int64?
    public var timeToLimitSecs: Double?
    /// Usage at the run's last sample.
    public var usageBytes: Int64
    public var explanation: String
    /// Every component the run recorded, fastest-growing first (JSON lists the first 20).
    public var components: [ComponentRate]

    /// Whether the verdict had enough samples to say leaking or not.
    public var isJudged: Bool { status == .leaking || status == .notLeaking }

    public init(source: String, runID: Int64, startedMs: Int64, endedMs: Int64?, deployment: RunDeployment, verdict: TrendVerdict,
                usageBytes: Int64, components: [ComponentRate]) {
        self.source = source
        self.runID = runID
        self.startedMs = startedMs
        self.endedMs = endedMs
        self.deployment = deployment
        sampleCount = verdict.sampleCount
        status = verdict.status
        (rateBytesPerHour, rateErrorBytesPerHour) = verdict.comparableRate
        growingSinceMs = verdict.growingSinceMs
        timeToLimitSecs = verdict.timeToLimitSecs
        self.usageBytes = usageBytes
        explanation = verdict.explanation
        self.components = components.sorted { $0.rateBytesPerHour != $1.rateBytesPerHour ? $0.rateBytesPerHour > $1.rateBytesPerHour : $0.name < $1.name }
    }

    package enum CodingKeys: String, CodingKey {
        case source
        case runID = "run_id"
        case startedMs = "started_ms"
        case endedMs = "ended_ms"
        case version, labels
        case sampleCount = "sample_count"
        case status
        case rateBytesPerHour = "rate_bytes_per_hour"
        case rateText = "rate_text"
        case rateErrorBytesPerHour = "rate_error_bytes_per_hour"
        case growingSinceMs = "growing_since_ms"
        case timeToLimitSecs = "time_to_limit_secs"
        case usageBytes = "usage_bytes"
        case explanation
        case components
        case otherComponents = "other_components"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(runID, forKey: .runID)
        try c.encode(startedMs, forKey: .startedMs)
        try c.encode(endedMs, forKey: .endedMs)
        try c.encode(deployment.version, forKey: .version)
        try c.encode(deployment.labels, forKey: .labels)
        try c.encode(sampleCount, forKey: .sampleCount)
        try c.encode(status, forKey: .status)
        try c.encodeRate(rateBytesPerHour, forKey: .rateBytesPerHour, textKey: .rateText)
        try c.encode(rateErrorBytesPerHour, forKey: .rateErrorBytesPerHour)
        try c.encode(growingSinceMs, forKey: .growingSinceMs)
        try c.encode(timeToLimitSecs, forKey: .timeToLimitSecs)
        try c.encode(usageBytes, forKey: .usageBytes)
        try c.encode(explanation, forKey: .explanation)
        try c.encodeListed(components, limit: PooledFigures.listedComponents, forKey: .components, othersKey: .otherComponents)
    }
}

/// One component's rate and held bytes in one run.
public struct ComponentRate: Sendable, Equatable, Encodable {
    public var name: String
    public var kind: ComponentKind
    /// Bytes held at the component's last sample in the run.
    public var heldBytes: Int64
    /// Its own verdict's rate (0 for a component that did not grow).
    public var rateBytesPerHour: Double
    public var rateErrorBytesPerHour: Double?
    /// Its own verdict says leaking.
    public var isLeaking: Bool

    public init(name: String, kind: ComponentKind, heldBytes: Int64, verdict: TrendVerdict?) {
        self.name = name
        self.kind = kind
        self.heldBytes = heldBytes
        let judged = verdict.map { $0.status == .leaking || $0.status == .notLeaking } ?? false
        (rateBytesPerHour, rateErrorBytesPerHour) = judged ? verdict!.comparableRate : (0, nil)
        isLeaking = verdict?.isLeaking ?? false
    }

    package enum CodingKeys: String, CodingKey {
        case name, kind
        case heldBytes = "held_bytes"
        case rateBytesPerHour = "rate_bytes_per_hour"
        case rateText = "rate_text"
        case rateErrorBytesPerHour = "rate_error_bytes_per_hour"
        case isLeaking = "is_leaking"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind.name, forKey: .kind)
        try c.encode(heldBytes, forKey: .heldBytes)
        try c.encodeRate(rateBytesPerHour, forKey: .rateBytesPerHour, textKey: .rateText)
        try c.encode(rateErrorBytesPerHour, forKey: .rateErrorBytesPerHour)
        try c.encode(isLeaking, forKey: .isLeaking)
    }
}

extension TrendVerdict {
    /// The rate a comparison reads, with its standard error: since onset for
    /// a leak, else the net fitted rate over the series.
    package var comparableRate: (Double, Double?) {
        if isLeaking { return (rateBytesPerHour, rateErrorBytesPerHour) }
        return (netRateBytesPerHour ?? rateBytesPerHour, netRateBytesPerHour == nil ? rateErrorBytesPerHour : netRateErrorBytesPerHour)
    }
}
