import Foundation

/// What the classifier knows of one component.
package struct ComponentFigures: Sendable {
    package var name: String
    package var kind: ComponentKind
    package var totals: ComponentTotals
    /// Held bytes now minus held bytes at the reference point.
    package var growthBytes: Int64
    package var ageSecs: UInt64
    /// The component's own trend, in window reports.
    package var trend: TrendVerdict?

    package init(name: String,
                 kind: ComponentKind,
                 totals: ComponentTotals,
                 growthBytes: Int64,
                 ageSecs: UInt64,
                 trend: TrendVerdict? = nil) {
        self.name = name
        self.kind = kind
        self.totals = totals
        self.growthBytes = growthBytes
        self.ageSecs = ageSecs
        self.trend = trend
    }
}

/// The rules that turn component figures into leak candidates, severities and
/// recommendations. The live detector and the window reports share them.
package enum LeakClassifier {
    package enum Mode {
        /// The live detector: the allocation pattern and size rules decide.
        case live
        /// A window of history: the component's own trend must say leaking too.
        case window
    }

    /// The rules that made a candidate, as bits (`LeakCandidate` keeps them
    /// so, and spells them out only when asked).
    package enum Rule {
        static let pattern: UInt8 = 1, size: UInt8 = 2, trend: UInt8 = 4
        /// One shared list per combination of bits.
        static let names: [[String]] = (0..<8).map { bits in
            [(pattern, "pattern"), (size, "size"), (trend, "trend")].filter { bits & Int($0.0) != 0 }.map(\.1)
        }
    }

    /// The bytes of growth rule (b) asks for.
    static package func sizeFloor(usageReferenceBytes: Int64, config: LeakDetectionConfig) -> Double {
        Double(usageReferenceBytes) * config.sizeGrowthPercent / 100
    }

    /// Net allocations as a percent of allocations; `nil` for a gauge.
    @inline(__always)
    static package func retention(kind: ComponentKind, totals: ComponentTotals) -> Double? {
        guard kind == .counted, let allocations = totals.allocations else { return nil }
        return allocations > 0 ? Double(totals.netAllocations) / Double(allocations) * 100 : 0
    }

    /// Rules (a) pattern and (b) size of SPEC §3 for a growing component, as bits.
    @inline(__always)
    static package func rules(
        kind: ComponentKind, totals: ComponentTotals, retention: Double?, growthBytes: Int64, sizeFloor: Double,
        config: LeakDetectionConfig
    ) -> UInt8 {
        var rules: UInt8 = 0
        if kind == .counted, let allocations = totals.allocations,
           allocations >= Int64(clamping: config.minAllocationsForLeak),
           totals.netAllocations > config.minNetAllocations || (retention ?? 0) > config.retentionPercent {
            rules |= Rule.pattern
        }
        if Double(growthBytes) >= sizeFloor {
            rules |= Rule.size
        }
        return rules
    }

    /// A candidate's share of the gross growth, in percent.
    @inline(__always)
    static package func share(growthBytes: Int64, grossGrowthBytes: Int64) -> Double {
        grossGrowthBytes > 0 ? Double(growthBytes) / Double(grossGrowthBytes) * 100 : 0
    }

    /// Candidates sorted by severity, then bytes held, then their order in `components`.
    static package func candidates(
        _ components: [ComponentFigures], usageReferenceBytes: Int64, config: LeakDetectionConfig, mode: Mode
    ) -> [LeakCandidate] {
        let grossGrowth = components.reduce(Int64(0)) { $0 &+ max(0, $1.growthBytes) }
        let floor = sizeFloor(usageReferenceBytes: usageReferenceBytes, config: config)
        var result: [LeakCandidate] = []
        for c in components where c.growthBytes > 0 {
            let retention = Self.retention(kind: c.kind, totals: c.totals)
            var rules = Self.rules(kind: c.kind, totals: c.totals, retention: retention, growthBytes: c.growthBytes,
                                   sizeFloor: floor, config: config)
            switch mode {
            case .live:
                if rules == 0 { continue }
            case .window:
                guard c.trend?.isLeaking == true else { continue }
                if c.kind == .counted && rules == 0 { continue }
                rules |= Rule.trend
            }
            let share = share(growthBytes: c.growthBytes, grossGrowthBytes: grossGrowth)
            result.append(LeakCandidate(
                component: c.name, totals: c.totals, growthBytes: c.growthBytes, ageSecs: c.ageSecs,
                severity: config.severity.classify(allocatedBytes: c.totals.heldBytes, sharePercent: share),
                share: share, retention: retention, rules: rules, trend: c.trend))
        }
        return ordered(result)
    }

    /// Candidates in report order: by severity, then bytes held, descending;
    /// ties keep their order in `candidates`.
    static package func ordered(_ candidates: [LeakCandidate]) -> [LeakCandidate] {
        let order = reportOrder(count: candidates.count) { (candidates[$0].severity, candidates[$0].allocatedBytes) }
        return order.map { candidates[$0] }
    }

    /// The positions `0..<count` in report order, given each one's severity
    /// and bytes held: severity, then bytes, descending; ties by position.
    /// Sorts one packed integer key per position (no closure, no string
    /// comparison), then unpacks the positions.
    @inline(__always)
    static package func reportOrder(count: Int, _ key: (Int) -> (LeakSeverity, Int64)) -> ReportOrder {
        precondition(count < 1 << 32, "report order supports fewer than 2^32 candidates")
        var keys = [UInt128](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                let (severity, bytes) = key(i)
                buffer[i] = UInt128(3 - severity.rank) << 96
                    | UInt128(UInt64(Int64.max - max(0, bytes))) << 32
                    | UInt128(i)
            }
            initialized = count
        }
        keys.sort()
        return ReportOrder(keys: keys)
    }

    /// Positions in report order, unpacked from the sorted keys as they are read.
    package struct ReportOrder: RandomAccessCollection {
        let keys: [UInt128]
        package var startIndex: Int { 0 }
        package var endIndex: Int { keys.count }
        package subscript(i: Int) -> Int { Int(truncatingIfNeeded: keys[i] & 0xFFFF_FFFF) }
    }

    /// The seed's recommendation lines, in the seed's order, plus LeakHistory's own.
    static package func recommendations(
        overallGrowthRate: Double, config: LeakDetectionConfig, candidates: [LeakCandidate],
        usageTrend: TrendVerdict?, notes: [String] = []
    ) -> [String] {
        var lines: [String] = []
        let exceeds = overallGrowthRate > config.growthThreshold
        if exceeds {
            lines.append(concat("Memory growth rate of ", fixed(overallGrowthRate, 2), "% exceeds threshold of ",
                                fixed(config.growthThreshold, 2), "%"))
            lines.append("Consider triggering garbage collection or cleanup")
            if let trend = usageTrend, trend.status == .notLeaking {
                lines.append("The trend test does not confirm a leak: \(trend.explanation)")
            }
        }
        // Whether exactly one candidate grew (stops at the second: no copy of thousands).
        var growers = 0
        for i in candidates.indices where candidates[i].growthRate > 0 {
            growers += 1
            if growers > 1 { break }
        }
        let soleGrower = growers == 1
        for c in candidates.prefix(3) {
            switch c.severity {
            case .critical:
                var line = concat("CRITICAL: Component '", c.component, "' has ", String(c.allocatedMB), " MB allocated with ",
                                  fixed(c.growthRate, 1), "% growth rate")
                if soleGrower && c.growthRate >= 99.95 {
                    line += " — all the growth comes from it"
                }
                lines.append(line)
            case .high:
                lines.append(concat("HIGH: Component '", c.component, "' shows high memory usage (", String(c.allocatedMB), " MB)"))
            case .medium:
                lines.append(concat("MEDIUM: Monitor component '", c.component, "' (", String(c.allocatedMB), " MB allocated)"))
            case .low:
                lines.append(concat("LOW: Track component '", c.component, "' (", String(c.allocatedMB), " MB allocated)"))
            }
        }
        if let trend = usageTrend, trend.isLeaking, let secs = trend.timeToLimitSecs {
            lines.append("At the current rate (\(trend.rateText)) usage reaches the memory limit in about \(AnalysisText.duration(ms: secs * 1000))")
        }
        if let trend = usageTrend, trend.rejectedBy == .tail {
            lines.append("Usage has levelled off: growth stopped at the end of the window (plateau)")
        }
        lines += notes
        if candidates.isEmpty && !exceeds {
            lines.append("No memory leaks detected")
        }
        return lines
    }

    /// `parts` joined with one allocation (a report writes a few such lines
    /// every call; interpolation grows its buffer as it goes).
    static package func concat(_ parts: String...) -> String {
        var line = ""
        line.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count })
        for part in parts { line += part }
        return line
    }

    /// `value` with `digits` decimals, as Rust's `{:.N}` prints it.
    static package func fixed(_ value: Double, _ digits: Int) -> String {
        DecimalText.fixed(value, digits)
    }
}
