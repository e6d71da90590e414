/// A component suspected of leaking, with the seed's fields and a few more.
///
/// JSON keys are the seed's (`component`, `allocated_mb`, `net_allocations`,
/// `age_secs`, `severity`, `growth_rate`) plus LeakHistory's own.
public struct LeakCandidate: Sendable, Codable, Equatable {
    /// The component's name.
    public var component: String
    /// MiB currently held, rounded down.
    public var allocatedMB: Int
    /// Allocation count minus deallocation count (0 for a sampled gauge).
    public var netAllocations: Int64
    /// Whole seconds since the component's first event in this run.
    public var ageSecs: UInt64
    public var severity: LeakSeverity
    /// The component's share, in percent, of all components' growth.
    public var growthRate: Double

    /// Bytes currently held.
    public var allocatedBytes: Int64
    /// Bytes held now minus bytes held at the reference point.
    public var growthBytes: Int64
    /// Allocation and deallocation counts; `nil` for a sampled gauge.
    public var allocations: Int64?
    public var deallocations: Int64?
    /// Net allocations as a percent of allocations; `nil` for a gauge.
    public var retentionPercent: Double?
    /// Which rules made it a candidate: `pattern`, `size`, `trend`.
    public var reasons: [String] {
        get { extras?.reasons ?? LeakClassifier.Rule.names[Int(ruleBits)] }
        set { extras = Extras(reasons: newValue, trend: trend) }
    }

    /// The component's own trend verdict, in window reports.
    public var trend: TrendVerdict? {
        get { extras?.trend }
        set { extras = Extras(reasons: extras?.reasons, trend: newValue) }
    }

    // A live report holds thousands of candidates: the classifier's rules are
    // bits, spelled out on access, and what is rarer (a verdict, reasons set
    // by hand) sits in one shared box, so a candidate holds at most one
    // reference besides its name.
    private var ruleBits: UInt8 = 0
    private var extras: Extras?

    public init(
        component: String, allocatedMB: Int, netAllocations: Int64, ageSecs: UInt64,
        severity: LeakSeverity, growthRate: Double, allocatedBytes: Int64, growthBytes: Int64,
        allocations: Int64?, deallocations: Int64?, retentionPercent: Double?,
        reasons: [String], trend: TrendVerdict? = nil
    ) {
        self.component = component
        self.allocatedMB = allocatedMB
        self.netAllocations = netAllocations
        self.ageSecs = ageSecs
        self.severity = severity
        self.growthRate = growthRate
        self.allocatedBytes = allocatedBytes
        self.growthBytes = growthBytes
        self.allocations = allocations
        self.deallocations = deallocations
        self.retentionPercent = retentionPercent
        self.extras = Extras(reasons: reasons, trend: trend)
    }

    /// The classifier's candidate: figures straight from the component's totals.
    package init(
        component: String, totals: ComponentTotals, growthBytes: Int64, ageSecs: UInt64,
        severity: LeakSeverity, share: Double, retention: Double?, rules: UInt8, trend: TrendVerdict?
    ) {
        let held = totals.heldBytes
        self.component = component
        self.allocatedMB = ByteSize.wholeMB(held)
        self.netAllocations = totals.netAllocations
        self.ageSecs = ageSecs
        self.severity = severity
        self.growthRate = share
        self.allocatedBytes = held
        self.growthBytes = growthBytes
        self.allocations = totals.allocations
        self.deallocations = totals.deallocations
        self.retentionPercent = retention
        self.ruleBits = rules
        self.extras = trend.map { Extras(reasons: nil, trend: $0) }
    }

    package enum CodingKeys: String, CodingKey {
        case component
        case allocatedMB = "allocated_mb"
        case netAllocations = "net_allocations"
        case ageSecs = "age_secs"
        case severity
        case growthRate = "growth_rate"
        case allocatedBytes = "allocated_bytes"
        case growthBytes = "growth_bytes"
        case allocations
        case deallocations
        case retentionPercent = "retention_percent"
        case reasons
        case trend
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        component = try c.decode(String.self, forKey: .component)
        allocatedMB = try c.decode(Int.self, forKey: .allocatedMB)
        netAllocations = try c.decode(Int64.self, forKey: .netAllocations)
        ageSecs = try c.decode(UInt64.self, forKey: .ageSecs)
        severity = try c.decode(LeakSeverity.self, forKey: .severity)
        growthRate = try c.decode(Double.self, forKey: .growthRate)
        if let bytes = try c.decodeIfPresent(Int64.self, forKey: .allocatedBytes) {
            allocatedBytes = bytes
        } else {
            let (bytes, overflow) = Int64(allocatedMB).multipliedReportingOverflow(by: ByteSize.bytesPerMB)
            guard !overflow else {
                throw DecodingError.dataCorruptedError(forKey: .allocatedMB, in: c, debugDescription: "allocated_mb \(allocatedMB) is too large to hold in bytes")
            }
            allocatedBytes = bytes
        }
        growthBytes = try c.decodeIfPresent(Int64.self, forKey: .growthBytes) ?? 0
        allocations = try c.decodeIfPresent(Int64.self, forKey: .allocations)
        deallocations = try c.decodeIfPresent(Int64.self, forKey: .deallocations)
        retentionPercent = try c.decodeIfPresent(Double.self, forKey: .retentionPercent)
        extras = Extras(reasons: try c.decodeIfPresent([String].self, forKey: .reasons) ?? [],
                        trend: try c.decodeIfPresent(TrendVerdict.self, forKey: .trend))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(component, forKey: .component)
        try c.encode(allocatedMB, forKey: .allocatedMB)
        try c.encode(netAllocations, forKey: .netAllocations)
        try c.encode(ageSecs, forKey: .ageSecs)
        try c.encode(severity, forKey: .severity)
        try c.encode(growthRate, forKey: .growthRate)
        try c.encode(allocatedBytes, forKey: .allocatedBytes)
        try c.encode(growthBytes, forKey: .growthBytes)
        try c.encodeIfPresent(allocations, forKey: .allocations)
        try c.encodeIfPresent(deallocations, forKey: .deallocations)
        try c.encodeIfPresent(retentionPercent, forKey: .retentionPercent)
        try c.encode(reasons, forKey: .reasons)
        try c.encodeIfPresent(trend, forKey: .trend)
    }

    public static func == (lhs: LeakCandidate, rhs: LeakCandidate) -> Bool {
        lhs.component == rhs.component && lhs.allocatedMB == rhs.allocatedMB && lhs.netAllocations == rhs.netAllocations
            && lhs.ageSecs == rhs.ageSecs && lhs.severity == rhs.severity && lhs.growthRate == rhs.growthRate
            && lhs.allocatedBytes == rhs.allocatedBytes && lhs.growthBytes == rhs.growthBytes
            && lhs.allocations == rhs.allocations && lhs.deallocations == rhs.deallocations
            && lhs.retentionPercent == rhs.retentionPercent && lhs.reasons == rhs.reasons && lhs.trend == rhs.trend
    }
}

/// The rarer parts of a candidate, shared and immutable: reasons set by
/// hand (`nil`: the rule bits say them) and a trend verdict.
private final class Extras: Sendable {
    package let reasons: [String]?
    package let trend: TrendVerdict?
    package init(reasons: [String]?, trend: TrendVerdict?) {
        self.reasons = reasons
        self.trend = trend
    }
}
