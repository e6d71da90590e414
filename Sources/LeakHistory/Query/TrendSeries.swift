import Foundation

/// A memory series in time buckets, with its trend verdict: what `trend` prints and the dashboard charts.
public struct TrendSeries: Sendable, Codable, Equatable {
    public struct Bucket: Sendable, Codable, Equatable {
        public var startMs: Int64
        public var minBytes: Int64
        public var maxBytes: Int64
        public var lastBytes: Int64
        public var meanBytes: Int64
        public var count: Int64
        /// The run of the bucket's newest sample.
        public var runID: Int64

        enum CodingKeys: String, CodingKey {
            case startMs = "start_ms"
            case minBytes = "min_bytes"
            case maxBytes = "max_bytes"
            case lastBytes = "last_bytes"
            case meanBytes = "mean_bytes"
            case count
            case runID = "run_id"
        }
    }

    public var source: String
    /// `nil` for the source's total usage.
    public var component: String?
    public var window: TimeWindow
    public var bucketMs: Int64
    /// Which stored resolution the buckets were built from.
    public var resolution: SeriesResolution
    public var buckets: [Bucket]
    public var verdict: TrendVerdict?

    enum CodingKeys: String, CodingKey {
        case source
        case component
        case window
        case bucketMs = "bucket_ms"
        case resolution
        case buckets
        case verdict
    }
}

extension HistoryReader {
    /// `source`'s usage (or one `component`) over `window` in buckets of `bucketMs`.
    ///
    /// Buckets of whole hours are built from hour rollups, of whole minutes from
    /// minute rollups (when they cover the window), others from raw samples.
    public func trend(source: String = "default", component: String? = nil, window: TimeWindow, bucketMs: Int64,
                      config: LeakDetectionConfig = .init(), nowMs: Int64 = UnixTime.milliseconds(Date())) throws -> TrendSeries {
        guard bucketMs >= 1000 else { throw InputError(field: "bucket", message: "buckets must be at least 1 s") }
        guard window.spanMs / bucketMs <= 100_000 else {
            throw InputError(field: "bucket", message: "\(window.spanMs / bucketMs) buckets is too many; use a larger bucket (at most 100,000 per window)")
        }
        let sourceID = try requireSource(source)
        let cutoffs = try store.retentionCutoffs()
        var resolution: SeriesResolution = .raw
        if bucketMs % RetentionPolicy.hour == 0 { resolution = .hour }
        else if bucketMs % RetentionPolicy.minute == 0 && window.fromMs >= cutoffs.minuteMs { resolution = .minute }
        if resolution == .raw && window.fromMs < cutoffs.rawMs { resolution = .minute }
        if resolution != .raw { try store.refreshRollups(sourceID: sourceID, nowMs: nowMs) }

        var points: [SeriesPoint]
        var rollups: [RollupBucket] = []
        if let component {
            guard let stored = try store.component(sourceID: sourceID, name: component) else {
                throw InputError(field: "component", message: "source '\(source)' has no component '\(component)'")
            }
            if let size = resolution.bucketMs {
                rollups = try store.componentRollups(componentID: stored.id, bucketMs: size, fromMs: window.fromMs, toMs: window.toMs)
            }
            points = rollups.isEmpty ? try store.componentSeries(componentID: stored.id, window: window, resolution: .raw) : []
        } else {
            if let size = resolution.bucketMs {
                rollups = try store.snapshotRollups(sourceID: sourceID, bucketMs: size, fromMs: window.fromMs, toMs: window.toMs)
            }
            points = rollups.isEmpty ? try store.usageSeries(sourceID: sourceID, window: window, resolution: .raw) : []
        }
        if rollups.isEmpty { resolution = .raw }

        // Fold the stored rows (raw samples or finer buckets) into the requested buckets.
        var buckets: [TrendSeries.Bucket] = []
        // Sums are Doubles: a bucket's sum of samples may exceed Int64.
        var sums: [Double] = []
        func add(start: Int64, min: Int64, max: Int64, last: Int64, sum: Double, count: Int64, run: Int64) {
            if var b = buckets.last, b.startMs == start {
                b.minBytes = Swift.min(b.minBytes, min)
                b.maxBytes = Swift.max(b.maxBytes, max)
                b.lastBytes = last
                sums[sums.count - 1] += sum
                b.count += count
                b.meanBytes = Int64(clampingDouble: sums[sums.count - 1] / Double(Swift.max(b.count, 1)))
                b.runID = run
                buckets[buckets.count - 1] = b
            } else {
                sums.append(sum)
                buckets.append(TrendSeries.Bucket(startMs: start, minBytes: min, maxBytes: max, lastBytes: last,
                                      meanBytes: Int64(clampingDouble: sum / Double(Swift.max(count, 1))), count: count, runID: run))
            }
        }
        for r in rollups {
            add(start: floor(r.startMs, bucketMs), min: r.minBytes, max: r.maxBytes, last: r.lastBytes, sum: r.sumBytes,
                count: r.count, run: r.runID)
        }
        for p in points {
            add(start: floor(p.tsMs, bucketMs), min: p.bytes, max: p.bytes, last: p.bytes, sum: Double(p.bytes), count: 1, run: p.runID)
        }
        let runs = try store.runs(sourceID: sourceID)
        let runStarts = Dictionary(runs.map { ($0.id, $0.startedMs) }, uniquingKeysWith: { a, _ in a })
        // The verdict reads the stored series itself (raw samples or the finer
        // rollups), not the display buckets, so a few wide buckets still get one.
        let trendPoints = rollups.isEmpty
            ? points.map { TrendPoint(tMs: $0.tsMs, bytes: $0.bytes, runID: $0.runID) }
            : rollups.map { TrendPoint(tMs: $0.lastTsMs, bytes: $0.meanBytes, runID: $0.runID) }
        var analyzer = TrendAnalyzer(config: config)
        if component != nil { analyzer.subject = "held bytes" }
        let verdict = trendPoints.isEmpty ? TrendVerdict.noData(subject: analyzer.subject) : analyzer.verdict(
            for: MemorySeries(points: trendPoints, runStarts: runStarts, stepwise: component != nil && rollups.isEmpty))
        return TrendSeries(source: source, component: component, window: window, bucketMs: bucketMs,
                           resolution: resolution, buckets: buckets, verdict: verdict)
    }
}
