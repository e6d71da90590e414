/// Whether a component's figures come from counted events or from sampling.
public enum ComponentKind: Int, Sendable, Codable {
    /// Allocations and deallocations are tracked; held bytes are their difference.
    case counted = 0
    /// Held bytes are sampled (a process watcher); there are no counts.
    case gauge = 1

    /// The kind's name in JSON, CSV and labels: `counted` or `gauge`.
    public var name: String {
        switch self {
        case .counted: "counted"
        case .gauge: "gauge"
        }
    }
}

/// A component's figures at one moment.
public struct ComponentTotals: Sendable, Equatable {
    /// Bytes ever allocated (a gauge: the sampled value).
    public var allocatedBytesTotal: Int64
    /// Bytes ever deallocated (a gauge: 0).
    public var deallocatedBytesTotal: Int64
    /// Counts; `nil` for a gauge.
    public var allocations: Int64?
    public var deallocations: Int64?
    public var firstEventMs: Int64?

    package init(allocatedBytesTotal: Int64, deallocatedBytesTotal: Int64,
                 allocations: Int64?, deallocations: Int64?, firstEventMs: Int64?) {
        self.allocatedBytesTotal = allocatedBytesTotal
        self.deallocatedBytesTotal = deallocatedBytesTotal
        self.allocations = allocations
        self.deallocations = deallocations
        self.firstEventMs = firstEventMs
    }

    /// Bytes held now: allocations − deallocations, never below 0.
    public var heldBytes: Int64 { max(0, allocatedBytesTotal &- deallocatedBytesTotal) }
    /// Allocation count − deallocation count (0 for a gauge).
    public var netAllocations: Int64 { (allocations ?? 0) &- (deallocations ?? 0) }
}
