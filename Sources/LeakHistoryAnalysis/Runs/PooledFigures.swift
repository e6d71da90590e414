/// Several runs of one version (restarts, hosts), or one run, read as one:
/// the median of the runs' rates with their spread, so one noisy run moves
/// neither the rate nor the verdict.
///
/// ```swift
/// let pooled = PooledFigures(label: "1.4.2", version: "1.4.2", runs: figures)
/// print(pooled.status, pooled.rateBytesPerHour, pooled.spreadBytesPerHour)
/// ```
///
/// Only runs whose verdict could judge (leaking or not leaking) are pooled.
/// The status is leaking when more than half of them leak. The spread is
/// the larger of the runs' rates' robust spread (1.4826 × their median
/// absolute deviation) and their median standard error, so a single run or
/// two runs that agree by chance still carry their own noise.
public struct PooledFigures: Sendable, Equatable, Encodable {
    /// `1.4.2`, or `run 7` for a single run.
    public var label: String
    public var version: String?
    public var runs: [RunFigures]
    public var judgedRuns: Int
    public var leakingRuns: Int
    public var status: TrendVerdict.Status
    /// The median of the judged runs' rates since onset.
    public var rateBytesPerHour: Double
    public var spreadBytesPerHour: Double
    /// The median time to the memory limit of the leaking runs, when a limit is set.
    public var timeToLimitSecs: Double?
    /// Every component of the judged runs, fastest first.
    public var components: [PooledComponent]

    public var isLeaking: Bool { status == .leaking }
    public var isJudged: Bool { judgedRuns > 0 }

    /// Components and runs listed in JSON; `other_components` counts the rest.
    public static let listedComponents = 20

    public init(label: String, version: String?, runs: [RunFigures]) {
        self.label = label
        self.version = version
        self.runs = runs
        let judged = runs.filter(\.isJudged)
        judgedRuns = judged.count
        leakingRuns = judged.filter { $0.status == .leaking }.count
        if judged.isEmpty {
            status = runs.contains { $0.sampleCount > 0 } ? .insufficientData : .noData
        } else {
            status = leakingRuns * 2 > judged.count ? .leaking : .notLeaking
        }
        rateBytesPerHour = RobustStatistics.median(judged.map(\.rateBytesPerHour))
        spreadBytesPerHour = Self.spread(rates: judged.map(\.rateBytesPerHour), errors: judged.map(\.rateErrorBytesPerHour))
        let limits = judged.filter { $0.status == .leaking }.compactMap(\.timeToLimitSecs)
        timeToLimitSecs = limits.isEmpty || status != .leaking ? nil : RobustStatistics.median(limits)

        var byName: [String: [ComponentRate]] = [:]
        for run in judged {
            for component in run.components { byName[component.name, default: []].append(component) }
        }
        components = byName.map { name, rates in PooledComponent(name: name, rates: rates) }
            .sorted { $0.rateBytesPerHour != $1.rateBytesPerHour ? $0.rateBytesPerHour > $1.rateBytesPerHour : $0.name < $1.name }
    }

    /// The larger of the rates' robust spread and their median standard error.
    static package func spread(rates: [Double], errors: [Double?]) -> Double {
        let spreadOfRates = rates.count >= 2 ? RobustStatistics.robustSpread(rates) : 0
        let known = errors.compactMap { $0 }.filter(\.isFinite)
        return max(spreadOfRates, known.isEmpty ? 0 : RobustStatistics.median(known))
    }

    /// The component named `name`, if a judged run recorded it.
    public func component(_ name: String) -> PooledComponent? {
        components.first { $0.name == name }
    }

    package enum CodingKeys: String, CodingKey {
        case label, version, runs, status
        case judgedRuns = "judged_runs"
        case leakingRuns = "leaking_runs"
        case rateBytesPerHour = "rate_bytes_per_hour"
        case rateText = "rate_text"
        case spreadBytesPerHour = "spread_bytes_per_hour"
        case timeToLimitSecs = "time_to_limit_secs"
        case components
        case otherComponents = "other_components"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(label, forKey: .label)
        try c.encode(version, forKey: .version)
        try c.encode(runs, forKey: .runs)
        try c.encode(status, forKey: .status)
        try c.encode(judgedRuns, forKey: .judgedRuns)
        try c.encode(leakingRuns, forKey: .leakingRuns)
        try c.encodeRate(rateBytesPerHour, forKey: .rateBytesPerHour, textKey: .rateText)
        try c.encode(spreadBytesPerHour, forKey: .spreadBytesPerHour)
        try c.encode(timeToLimitSecs, forKey: .timeToLimitSecs)
        try c.encodeListed(components, limit: Self.listedComponents, forKey: .components, othersKey: .otherComponents)
    }
}

/// One component over the judged runs of a version.
public struct PooledComponent: Sendable, Equatable, Encodable {
    public var name: String
    public var kind: ComponentKind
    /// Runs that recorded it.
    public var runs: Int
    public var leakingRuns: Int
    /// Its own verdict says leaking in more than half of those runs.
    public var isLeaking: Bool
    public var rateBytesPerHour: Double
    public var spreadBytesPerHour: Double
    /// The median of the bytes it held at the end of each run.
    public var heldBytes: Int64

    package init(name: String, rates: [ComponentRate]) {
        self.name = name
        kind = rates[0].kind
        runs = rates.count
        leakingRuns = rates.filter(\.isLeaking).count
        isLeaking = leakingRuns * 2 > rates.count
        rateBytesPerHour = RobustStatistics.median(rates.map(\.rateBytesPerHour))
        spreadBytesPerHour = PooledFigures.spread(rates: rates.map(\.rateBytesPerHour), errors: rates.map(\.rateErrorBytesPerHour))
        heldBytes = Int64(clampingDouble: RobustStatistics.median(rates.map { Double($0.heldBytes) }).rounded())
    }

    package enum CodingKeys: String, CodingKey {
        case name, kind, runs
        case leakingRuns = "leaking_runs"
        case isLeaking = "is_leaking"
        case rateBytesPerHour = "rate_bytes_per_hour"
        case rateText = "rate_text"
        case spreadBytesPerHour = "spread_bytes_per_hour"
        case heldBytes = "held_bytes"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind.name, forKey: .kind)
        try c.encode(runs, forKey: .runs)
        try c.encode(leakingRuns, forKey: .leakingRuns)
        try c.encode(isLeaking, forKey: .isLeaking)
        try c.encodeRate(rateBytesPerHour, forKey: .rateBytesPerHour, textKey: .rateText)
        try c.encode(spreadBytesPerHour, forKey: .spreadBytesPerHour)
        try c.encode(heldBytes, forKey: .heldBytes)
    }
}
