import LeakHistoryAnalysis
import Foundation

extension HistoryReader {
    /// The leak report of `source` over `window` of the stored history: the
    /// live report's shape and classifier, decided by trend verdicts.
    ///
    /// ```swift
    /// let window = try TimeWindow(since: "1h", nowMs: now)
    /// let report = try reader.report(source: "api", window: window, nowMs: now)
    /// print(report.trend?.explanation ?? "")
    /// ```
    ///
    /// `has_leaks` is true when the usage verdict says leaking or a component
    /// is a candidate; a component is a candidate only when its own verdict
    /// says leaking (and, for a counted one, the pattern or size rule holds).
    /// Restarts split runs, which are joined at their offsets.
    public func report(source: String = "default", window: TimeWindow, config: LeakDetectionConfig = .init(),
                       nowMs: Int64 = UnixTime.milliseconds(Date())) throws -> LeakReport {
        try windowAnalysis(source: source, window: window, config: config, nowMs: nowMs, onlyCandidates: true).report
    }

    /// The report of `report(source:window:config:nowMs:)` with the figures
    /// of every component it read (its held bytes and, for one that grew,
    /// its own verdict), candidate or not: what a comparison of runs reads.
    /// `onlyCandidates`: the report shows only the verdicts that say leaking,
    /// so a component that provably cannot grow the floor gets the short
    /// verdict of `TrendAnalyzer.screensBelowFloor` (never a candidate either way).
    func windowAnalysis(source: String, window: TimeWindow, config: LeakDetectionConfig,
                        nowMs: Int64, onlyCandidates: Bool = false) throws -> (report: LeakReport, components: [ComponentFigures]) {
        try config.validate()
        let sourceID = try requireSource(source)
        // Overlapping components are history to look at, not shares of the growth.
        let components = try store.components(sourceID: sourceID).filter { !$0.overlaps }
        let plan = ReadPlan.choose(window: window, seriesCount: components.count + 1,
                                   samplesPerSeries: try store.samplesPerSeries(sourceID: sourceID, window: window),
                                   cutoffs: try store.retentionCutoffs())
        let runs = try store.runs(sourceID: sourceID)
        let runStarts = Dictionary(runs.map { ($0.id, $0.startedMs) }, uniquingKeysWith: { a, _ in a })
        let analyzer = TrendAnalyzer(config: config)
        var componentAnalyzer = analyzer
        componentAnalyzer.subject = "held bytes"
        componentAnalyzer.screensBelowFloor = onlyCandidates

        // Read on the connection, then decoded side by side.
        let stored = try store.storedComponentSeriesPoints(sourceID: sourceID, componentIDs: components.map(\.id), window: window, plan: plan)
            + [try store.storedSeriesPoints(.usage(sourceID: sourceID), window: window, plan: plan)]
        var decoded = try store.points(stored)
        var usage = decoded.removeLast()
        let componentSeries = zip(components, decoded).filter { !$0.1.isEmpty }
        let usageIsSummed = usage.isEmpty
        if usageIsSummed { usage = Self.summedUsage(componentSeries.map(\.1)) }
        // Components are written when they change; their last value holds until
        // the source's last sample in the window, if they are of its last run.
        let sourceLast = (componentSeries.map { $0.1.last! } + (usage.last.map { [$0] } ?? [])).max { $0.tsMs < $1.tsMs }
        func carryEnd(_ series: [SeriesPoint]) -> Int64? {
            guard let sourceLast, let last = series.last, last.runID == sourceLast.runID else { return nil }
            return sourceLast.tsMs
        }

        let usageSeries = MemorySeries(points: usage.map(Self.trendPoint), runStarts: runStarts, stepwise: usageIsSummed,
                                       endMs: carryEnd(usage))
        let currentBytes = usage.last?.bytes ?? 0
        let endMs = min(window.toMs, nowMs)
        // A gauge sampled at every reading but stored on change is judged on
        // the readings: the source's samples over the component's span.
        let sampleTimes = usage.map(\.tsMs)
        func readings(from firstMs: Int64) -> Int {
            var lo = 0, hi = sampleTimes.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if sampleTimes[mid] < firstMs { lo = mid + 1 } else { hi = mid }
            }
            return sampleTimes.count - lo
        }

        // The verdicts share nothing: the usage's and every component's are
        // computed side by side, the usage first (it is the longest).
        let judged = SideBySide.map(count: componentSeries.count + 1) { index -> (usage: TrendVerdict?, component: ComponentFigures?) in
            guard index > 0 else { return (usage.isEmpty ? nil : analyzer.verdict(for: usageSeries), nil) }
            let (component, series) = componentSeries[index - 1]
            let last = series.last!
            let lastRunStart = (series.lastIndex { $0.runID != last.runID }).map { $0 + 1 } ?? 0
            var totals = ComponentTotals(allocatedBytesTotal: last.bytes, deallocatedBytesTotal: 0,
                                         allocations: nil, deallocations: nil, firstEventMs: series[lastRunStart].tsMs)
            if component.kind == .counted {
                let counts = Self.windowCounts(series, runStarts: runStarts, window: window)
                totals.allocations = counts.allocations
                totals.deallocations = counts.deallocations
            }
            let componentSeries = MemorySeries(points: series.map(Self.trendPoint), runStarts: runStarts, stepwise: true,
                                               endMs: carryEnd(series), observedSamples: readings(from: series[0].tsMs))
            let growth = Int64(clampingDouble: componentSeries.joined().growthBytes)
            // Only a growing component can be a candidate: the fit is spent on those alone.
            return (nil, ComponentFigures(
                name: component.name, kind: component.kind, totals: totals, growthBytes: growth,
                ageSecs: UInt64(max(0, endMs - series[lastRunStart].tsMs) / 1000),
                trend: growth > 0 ? componentAnalyzer.verdict(for: componentSeries) : nil))
        }
        let usageVerdict = judged[0].usage ?? TrendVerdict.noData(subject: "'\(source)'")
        let figures = judged.dropFirst().compactMap(\.component)
        let baseline = try store.currentBaseline(sourceID: sourceID)
        let usageReference = (baseline?.usageBytes ?? 0) > 0 ? baseline!.usageBytes : currentBytes
        let candidates = LeakClassifier.candidates(figures, usageReferenceBytes: usageReference, config: config, mode: .window)

        var notes: [String] = []
        let runsInWindow = usageSeries.runCount
        if runsInWindow > 1 {
            notes.append("\(runsInWindow - 1) restart\(runsInWindow > 2 ? "s" : "") in the window: runs are joined at their offsets, the drops are not counted as deallocations")
        }
        if let note = plan.note { notes.append(note) }
        return (ReportBuilder.build(ReportInputs(
            mode: .window, config: config, firstVersusLast: usageSeries.firstVersusLast, sampleCount: usage.count,
            currentBytes: currentBytes, baselineBytes: baseline?.usageBytes, usageTrend: usageVerdict,
            candidates: candidates, notes: notes, timeWindowSecs: UInt64(window.spanMs / 1000),
            timestampSecs: UInt64(max(0, nowMs / 1000)), source: source, windowFromMs: window.fromMs, windowToMs: window.toMs)),
                figures)
    }

    func requireSource(_ name: String) throws -> Int64 {
        guard let id = try store.sourceID(named: name, create: false, nowMs: 0) else {
            let known = try store.sources().map(\.name)
            throw InputError(field: "source", message: "no source '\(name)' in '\(path)'"
                + (known.isEmpty ? " (it holds no history yet)" : " (known: \(known.joined(separator: ", ")))"))
        }
        return id
    }

    static func trendPoint(_ p: SeriesPoint) -> TrendPoint {
        TrendPoint(tMs: p.tsMs, bytes: p.bytes, runID: p.runID)
    }

    /// Allocations and deallocations made inside the window, run by run: from
    /// zero for a run that started inside it, else from its first sample.
    static func windowCounts(_ series: [SeriesPoint], runStarts: [Int64: Int64], window: TimeWindow) -> (allocations: Int64, deallocations: Int64) {
        var allocations: Int64 = 0
        var deallocations: Int64 = 0
        var index = 0
        while index < series.count {
            let run = series[index].runID
            var end = index
            while end + 1 < series.count && series[end + 1].runID == run { end += 1 }
            let startedInside = (runStarts[run] ?? .min) >= window.fromMs
            let first = series[index], last = series[end]
            allocations += (last.allocations ?? 0) - (startedInside ? 0 : first.allocations ?? 0)
            deallocations += (last.deallocations ?? 0) - (startedInside ? 0 : first.deallocations ?? 0)
            index = end + 1
        }
        return (allocations, deallocations)
    }

    /// Usage as the sum of the components' latest values at each sample time,
    /// for a source that records components but no snapshots.
    ///
    /// Each series is already in time order, so they are merged (a min-heap
    /// of each series' next point, ties by series) instead of sorted together.
    static func summedUsage(_ series: [[SeriesPoint]]) -> [SeriesPoint] {
        // Heap entries: the next point's time (order-preserving as unsigned) and its series.
        func key(_ tsMs: Int64, _ component: Int) -> UInt128 {
            UInt128(UInt64(bitPattern: tsMs) ^ (1 << 63)) << 64 | UInt128(component)
        }
        var heap = MinHeap<UInt128>()
        var next = [Int](repeating: 0, count: series.count)
        for (component, points) in series.enumerated() where !points.isEmpty {
            heap.push(key(points[0].tsMs, component))
        }
        var current = [Int64](repeating: 0, count: series.count)
        var run: Int64? = nil
        var total: Int64 = 0
        var result: [SeriesPoint] = []
        while let top = heap.pop() {
            let component = Int(truncatingIfNeeded: top & 0xFFFF_FFFF_FFFF_FFFF)
            let point = series[component][next[component]]
            next[component] += 1
            if next[component] < series[component].count {
                heap.push(key(series[component][next[component]].tsMs, component))
            }
            if point.runID != run {
                // A new run: what the components held in the old one is gone.
                for i in current.indices { current[i] = 0 }
                total = 0
                run = point.runID
            }
            total = total.saturatingAdd(point.bytes - current[component])
            current[component] = point.bytes
            if let last = result.last, last.tsMs == point.tsMs {
                result[result.count - 1].bytes = total
            } else {
                result.append(SeriesPoint(tsMs: point.tsMs, bytes: total, runID: point.runID))
            }
        }
        return result
    }
}

/// A binary min-heap in an array.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return top }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
