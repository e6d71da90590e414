/// The rule that says whether one version (or run) is worse than another.
///
/// The newer side is worse when its pooled rate exceeds the older side's by
/// more than the threshold: the larger of `floorBytesPerHour` and either
/// side's spread (the runs' own disagreement, or their standard error). One
/// noisy run therefore widens the threshold instead of making a regression.
public struct RegressionRule: Sendable, Equatable {
    /// The least difference of rates that can count, bytes per hour (default 1 MiB/h).
    public var floorBytesPerHour: Double

    public static let defaultFloorBytesPerHour = Double(ByteSize.bytesPerMB)

    public init(floorBytesPerHour: Double = RegressionRule.defaultFloorBytesPerHour) {
        self.floorBytesPerHour = floorBytesPerHour
    }

    /// The larger of the floor and the two spreads.
    public func threshold(_ baseSpread: Double, _ targetSpread: Double) -> Double {
        max(floorBytesPerHour, baseSpread, targetSpread)
    }
}

/// One side against the other: which changed, by how much, and in plain
/// words ("leak introduced in 1.4.2: usage +38.00 MiB/h (1.4.1: flat);
/// grows in `sessions` (+35.00 MiB/h)").
///
/// ```swift
/// let comparison = RunComparison(source: "api", basis: .versions, base: old, target: new, rule: RegressionRule())
/// print(comparison.summary)
/// ```
public struct RunComparison: Sendable, Equatable, Encodable {
    /// What the sides are.
    public enum Basis: String, Sendable, Encodable {
        case runs, versions
    }

    /// The regression verdict: the rule applied to the two rates.
    public enum Verdict: String, Sendable, Encodable {
        case regression
        case improvement
        case noChange = "no_change"
        case insufficientData = "insufficient_data"
    }

    /// The verdict with the two sides' own verdicts: what happened.
    public enum Change: String, Sendable, Encodable {
        case leakIntroduced = "leak_introduced"
        case leakWorse = "leak_worse"
        /// Faster growth that the newer side's own verdict does not call a leak.
        case worse
        case looksFixed = "looks_fixed"
        case leakSlowed = "leak_slowed"
        case better
        case sameLeak = "same_leak"
        case noChange = "no_change"
        case insufficientData = "insufficient_data"
    }

    public var source: String
    public var basis: Basis
    /// The older side (the reference).
    public var base: PooledFigures
    /// The newer side, judged against `base`.
    public var target: PooledFigures
    public var verdict: Verdict
    public var change: Change
    /// Target rate minus base rate.
    public var rateChangeBytesPerHour: Double
    public var thresholdBytesPerHour: Double
    public var floorBytesPerHour: Double
    /// Per component, the change of its rate, largest rise first.
    public var components: [ComponentChange]
    /// The difference in plain words.
    public var summary: String
    /// The figures of the regression verdict in a sentence.
    public var reason: String

    public init(source: String, basis: Basis, base: PooledFigures, target: PooledFigures, rule: RegressionRule) {
        self.source = source
        self.basis = basis
        self.base = base
        self.target = target
        floorBytesPerHour = rule.floorBytesPerHour
        thresholdBytesPerHour = rule.threshold(base.spreadBytesPerHour, target.spreadBytesPerHour)
        rateChangeBytesPerHour = target.rateBytesPerHour - base.rateBytesPerHour

        let names = Set(base.components.map(\.name)).union(target.components.map(\.name))
        components = names.map { ComponentChange(name: $0, base: base.component($0), target: target.component($0), rule: rule) }
            .sorted { $0.changeBytesPerHour != $1.changeBytesPerHour ? $0.changeBytesPerHour > $1.changeBytesPerHour : $0.name < $1.name }

        let threshold = thresholdBytesPerHour
        if !base.isJudged || !target.isJudged {
            verdict = .insufficientData
        } else if rateChangeBytesPerHour > threshold {
            verdict = .regression
        } else if rateChangeBytesPerHour < -threshold {
            verdict = .improvement
        } else {
            verdict = .noChange
        }
        switch verdict {
        case .insufficientData: change = .insufficientData
        case .regression: change = base.isLeaking ? .leakWorse : (target.isLeaking ? .leakIntroduced : .worse)
        case .improvement: change = target.isLeaking ? .leakSlowed : (base.isLeaking ? .looksFixed : .better)
        case .noChange: change = base.isLeaking && target.isLeaking ? .sameLeak : .noChange
        }
        summary = ""
        reason = ""
        summary = words()
        reason = reasonText()
    }

    /// `flat`, or the rate of a leaking side: how a side reads in a summary.
    private func state(_ side: PooledFigures) -> String {
        let rate = AnalysisText.rate(bytesPerHour: side.rateBytesPerHour)
        if side.isLeaking { return rate }
        if !side.isJudged { return side.status == .noData ? "no data" : "too few samples" }
        return abs(side.rateBytesPerHour) <= thresholdBytesPerHour ? "flat" : "no leak, \(rate)"
    }

    private static func names(_ list: [(String, Double)]) -> String {
        let shown = list.prefix(3).map { "`\($0.0)` (\(AnalysisText.rate(bytesPerHour: $0.1)))" }
        return shown.joined(separator: ", ") + (list.count > 3 ? " and \(list.count - 3) more" : "")
    }

    private func words() -> String {
        let a = base.label, b = target.label
        let usage = "usage \(AnalysisText.rate(bytesPerHour: target.rateBytesPerHour)) (\(a): \(state(base)))"
        let risen = components.filter(\.isRegression).map { ($0.name, $0.targetRateBytesPerHour) }
        let growing = (target.components.filter(\.isLeaking)).map { ($0.name, $0.rateBytesPerHour) }
        let stopped = components.filter(\.isFixed).map(\.name)
        func grows(_ list: [(String, Double)], _ prefix: String = "grows in") -> String {
            list.isEmpty ? "" : "; \(prefix) \(Self.names(list))"
        }
        switch change {
        case .leakIntroduced:
            return "leak introduced in \(b): \(usage)" + grows(risen.isEmpty ? growing : risen)
        case .leakWorse:
            return "leak got worse in \(b): \(usage)" + grows(risen.isEmpty ? growing : risen)
        case .worse:
            return "usage grows faster in \(b), though its verdict is no leak: \(usage)" + grows(risen)
        case .looksFixed:
            let gone = stopped.isEmpty ? "" : "; " + stopped.prefix(3).map { "`\($0)`" }.joined(separator: ", ")
                + (stopped.count == 1 ? " no longer grows" : " no longer grow")
            return "looks fixed in \(b): usage \(state(target)), \(AnalysisText.rate(bytesPerHour: target.rateBytesPerHour)) (\(a): \(state(base)))" + gone
        case .leakSlowed:
            return "leak slowed in \(b): \(usage)" + grows(growing, "still grows in")
        case .better:
            return "usage grows slower in \(b): \(usage)"
        case .sameLeak:
            return "no change: \(b) leaks as \(a) did, \(usage)" + grows(growing)
        case .noChange:
            return "no change: \(b) \(state(target) == "flat" ? "is flat" : "says \(state(target))"), \(usage)"
        case .insufficientData:
            let missing = [base, target].filter { !$0.isJudged }.map(\.label)
            return "cannot compare: \(missing.joined(separator: " and ")) \(missing.count == 1 ? "has" : "have") no run with enough samples for a verdict"
        }
    }

    private func reasonText() -> String {
        guard verdict != .insufficientData else { return summary }
        let rule = "the threshold of \(AnalysisText.rate(bytesPerHour: thresholdBytesPerHour).dropFirst()) (the larger of the floor, \(AnalysisText.rate(bytesPerHour: floorBytesPerHour).dropFirst()), and the runs' spread, ±\(AnalysisText.rate(bytesPerHour: max(base.spreadBytesPerHour, target.spreadBytesPerHour)).dropFirst()))"
        let compared = "\(target.label) \(AnalysisText.rate(bytesPerHour: target.rateBytesPerHour)) vs \(base.label) \(AnalysisText.rate(bytesPerHour: base.rateBytesPerHour)): a change of \(AnalysisText.rate(bytesPerHour: rateChangeBytesPerHour))"
        switch verdict {
        case .regression: return "\(compared), over \(rule)"
        case .improvement: return "\(compared), below minus \(rule)"
        default: return "\(compared), within \(rule)"
        }
    }

    package enum CodingKeys: String, CodingKey {
        case source, basis, base, target, verdict, change, summary, reason, components
        case rateChangeBytesPerHour = "rate_change_bytes_per_hour"
        case thresholdBytesPerHour = "threshold_bytes_per_hour"
        case floorBytesPerHour = "floor_bytes_per_hour"
        case otherComponents = "other_components"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(basis, forKey: .basis)
        try c.encode(base, forKey: .base)
        try c.encode(target, forKey: .target)
        try c.encode(verdict, forKey: .verdict)
        try c.encode(change, forKey: .change)
        try c.encode(summary, forKey: .summary)
        try c.encode(reason, forKey: .reason)
        try c.encode(rateChangeBytesPerHour, forKey: .rateChangeBytesPerHour)
        try c.encode(thresholdBytesPerHour, forKey: .thresholdBytesPerHour)
        try c.encode(floorBytesPerHour, forKey: .floorBytesPerHour)
        try c.encodeListed(components, limit: PooledFigures.listedComponents, forKey: .components, othersKey: .otherComponents)
    }
}

/// How one component's rate changed from one side to the other.
public struct ComponentChange: Sendable, Equatable, Encodable {
    public var name: String
    /// 0 when the side did not record it.
    public var baseRateBytesPerHour: Double
    public var targetRateBytesPerHour: Double
    public var changeBytesPerHour: Double
    public var thresholdBytesPerHour: Double
    public var baseLeaking: Bool
    public var targetLeaking: Bool
    /// It leaks in the target and its rate rose by more than its threshold.
    public var isRegression: Bool
    /// It leaked in the base and no longer does, its rate fallen by more than its threshold.
    public var isFixed: Bool

    package init(name: String, base: PooledComponent?, target: PooledComponent?, rule: RegressionRule) {
        self.name = name
        baseRateBytesPerHour = base?.rateBytesPerHour ?? 0
        targetRateBytesPerHour = target?.rateBytesPerHour ?? 0
        changeBytesPerHour = targetRateBytesPerHour - baseRateBytesPerHour
        thresholdBytesPerHour = rule.threshold(base?.spreadBytesPerHour ?? 0, target?.spreadBytesPerHour ?? 0)
        baseLeaking = base?.isLeaking ?? false
        targetLeaking = target?.isLeaking ?? false
        isRegression = targetLeaking && changeBytesPerHour > thresholdBytesPerHour
        isFixed = baseLeaking && !targetLeaking && changeBytesPerHour < -thresholdBytesPerHour
    }

    package enum CodingKeys: String, CodingKey {
        case name
        case baseRateBytesPerHour = "base_rate_bytes_per_hour"
        case targetRateBytesPerHour = "target_rate_bytes_per_hour"
        case changeBytesPerHour = "change_bytes_per_hour"
        case thresholdBytesPerHour = "threshold_bytes_per_hour"
        case baseLeaking = "base_leaking"
        case targetLeaking = "target_leaking"
        case isRegression = "is_regression"
        case isFixed = "is_fixed"
    }
}
