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
    public var reasons: [String]
    /// The component's own trend verdict, in window reports.
    public var trend: TrendVerdict?

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
        self.reasons = reasons
        self.trend = trend
    }

    enum CodingKeys: String, CodingKey {
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
}
