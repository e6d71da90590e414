import Synchronization

/// The seed's design in Swift, as the in-run baseline for tracking and
/// detection: one lock around a dictionary of per-component counters, and a
/// detection pass that walks the dictionary (its `identify_leak_candidates`).
final class SeedStyleTracker: Sendable {
    struct Counters {
        var allocatedBytes: Int64 = 0
        var allocations: Int64 = 0
        var deallocations: Int64 = 0
        var firstSeenMs: Int64 = 0
    }

    private let components = Mutex<[String: Counters]>([:])

    func trackAllocation(_ name: String, bytes: Int64) {
        components.withLock { map in
            map[name, default: Counters()].allocatedBytes += bytes
            map[name, default: Counters()].allocations += 1
        }
    }

    /// The seed's candidate pass: net allocations, a retention rate, a severity, a sort.
    func candidates(nowMs: Int64) -> [(String, Int64, Double)] {
        let snapshot = components.withLock { $0 }
        var result: [(String, Int64, Double)] = []
        for (name, c) in snapshot where c.allocations >= 10 {
            let net = c.allocations - c.deallocations
            let rate = c.deallocations > 0 ? Double(net) / Double(c.allocations) * 100 : 100
            if net > 5 || rate > 10 { result.append((name, c.allocatedBytes >> 20, rate + Double(nowMs - c.firstSeenMs) * 0)) }
        }
        result.sort { ($0.2, $0.1) > ($1.2, $1.1) }
        return result
    }
}
