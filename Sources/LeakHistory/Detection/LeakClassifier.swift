import Foundation

/// What the classifier knows of one component.
struct ComponentFigures: Sendable {
    var name: String
    var kind: ComponentKind
    var totals: ComponentTotals
    /// Held bytes now minus held bytes at the reference point.
    var growthBytes: Int64
    var ageSecs: UInt64
    /// The component's own trend, in window reports.
    var trend: TrendVerdict?
}

/// The rules that turn component figures into leak candidates, severities and
/// recommendations. The live detector and the window reports share them.
enum LeakClassifier {
    enum Mode {
        /// The live detector: the allocation pattern and size rules decide.
        case live
        /// A window of history: the component's own trend must say leaking too.
        case window
    }

    /// The rules that made a candidate, as bits; `names` holds one shared array
    /// per combination, so thousands of candidates allocate no reason lists.
    private enum Rule {
        static let pattern = 1, size = 2, trend = 4
        static let names: [[String]] = (0..<8).map { bits in
            [(pattern, "pattern"), (size, "size"), (trend, "trend")].filter { bits & $0.0 != 0 }.map(\.1)
        }
    }

    /// Candidates sorted by severity, then bytes held, then name.
    static func candidates(
        _ components: [ComponentFigures], usageReferenceBytes: Int64, config: LeakDetectionConfig, mode: Mode
    ) -> [LeakCandidate] {
        let grossGrowth = components.reduce(Int64(0)) { $0 &+ max(0, $1.growthBytes) }
        let sizeFloor = Double(usageReferenceBytes) * config.sizeGrowthPercent / 100
        var result: [LeakCandidate] = []
        for c in components where c.growthBytes > 0 {
            var rules = 0
            let retention: Double? = c.kind == .counted
                ? (c.totals.allocations.map { $0 > 0 ? Double(c.totals.netAllocations) / Double($0) * 100 : 0 })
                : nil
            if c.kind == .counted, let allocations = c.totals.allocations,
               allocations >= Int64(clamping: config.minAllocationsForLeak),
               c.totals.netAllocations > config.minNetAllocations || (retention ?? 0) > config.retentionPercent {
                rules |= Rule.pattern
            }
            if Double(c.growthBytes) >= sizeFloor {
                rules |= Rule.size
            }
            switch mode {
            case .live:
                if rules == 0 { continue }
            case .window:
                guard c.trend?.isLeaking == true else { continue }
                if c.kind == .counted && rules == 0 { continue }
                rules |= Rule.trend
            }
            let share = grossGrowth > 0 ? Double(c.growthBytes) / Double(grossGrowth) * 100 : 0
            let held = c.totals.heldBytes
            result.append(LeakCandidate(
                component: c.name,
                allocatedMB: ByteSize.wholeMB(held),
                netAllocations: c.totals.netAllocations,
                ageSecs: c.ageSecs,
                severity: config.severity.classify(allocatedBytes: held, sharePercent: share),
                growthRate: share,
                allocatedBytes: held,
                growthBytes: c.growthBytes,
                allocations: c.totals.allocations,
                deallocations: c.totals.deallocations,
                retentionPercent: retention,
                reasons: Rule.names[rules],
                trend: c.trend
            ))
        }
        return ordered(result)
    }

    /// Candidates in report order: by severity, then bytes held, descending, then name.
    static func ordered(_ candidates: [LeakCandidate]) -> [LeakCandidate] {
        // Sort indices, not candidates: a candidate is large and moving it is
        // what a sort of thousands of them would spend its time on.
        let keys = candidates.map { (severity: $0.severity, bytes: $0.allocatedBytes) }
        let order = candidates.indices.sorted { a, b in
            if keys[a].severity != keys[b].severity { return keys[a].severity > keys[b].severity }
            if keys[a].bytes != keys[b].bytes { return keys[a].bytes > keys[b].bytes }
            return candidates[a].component < candidates[b].component
        }
        return order.map { candidates[$0] }
    }

    /// The seed's recommendation lines, in the seed's order, plus LeakHistory's own.
    static func recommendations(
        overallGrowthRate: Double, config: LeakDetectionConfig, candidates: [LeakCandidate],
        usageTrend: TrendVerdict?, notes: [String] = []
    ) -> [String] {
        var lines: [String] = []
        let exceeds = overallGrowthRate > config.growthThreshold
        if exceeds {
            lines.append("Memory growth rate of \(fixed(overallGrowthRate, 2))% exceeds threshold of \(fixed(config.growthThreshold, 2))%")
            lines.append("Consider triggering garbage collection or cleanup")
            if let trend = usageTrend, trend.status == .notLeaking {
                lines.append("The trend test does not confirm a leak: \(trend.explanation)")
            }
        }
        let soleGrower = candidates.count(where: { $0.growthRate > 0 }) == 1
        for c in candidates.prefix(3) {
            switch c.severity {
            case .critical:
                var line = "CRITICAL: Component '\(c.component)' has \(c.allocatedMB) MB allocated with \(fixed(c.growthRate, 1))% growth rate"
                if soleGrower && c.growthRate >= 99.95 {
                    line += " — all the growth comes from it"
                }
                lines.append(line)
            case .high:
                lines.append("HIGH: Component '\(c.component)' shows high memory usage (\(c.allocatedMB) MB)")
            case .medium:
                lines.append("MEDIUM: Monitor component '\(c.component)' (\(c.allocatedMB) MB allocated)")
            case .low:
                lines.append("LOW: Track component '\(c.component)' (\(c.allocatedMB) MB allocated)")
            }
        }
        if let trend = usageTrend, trend.isLeaking, let secs = trend.timeToLimitSecs {
            lines.append("At the current slope (\(fixed(trend.slopeMBPerHour, 2)) MB/h) usage reaches the memory limit in about \(TrendAnalyzer.duration(secs * 1000))")
        }
        if let trend = usageTrend, trend.rejectedBy == "tail" {
            lines.append("Usage has levelled off: growth stopped at the end of the window (plateau)")
        }
        lines += notes
        if candidates.isEmpty && !exceeds {
            lines.append("No memory leaks detected")
        }
        return lines
    }

    /// `value` with `digits` decimals, as Rust's `{:.N}` prints it.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        TrendAnalyzer.fixed(value, digits)
    }
}
