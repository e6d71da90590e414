import LeakHistoryAnalysis
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
    /// Buckets of whole hours are built from hour rollups (and the open hour's
    /// rows), finer ones from raw samples, and before the raw retention from
    /// minute rollups (hour rollups where those are gone too).
    public func trend(source: String = "default", component: String? = nil, window: TimeWindow, bucketMs: Int64,
                      config: LeakDetectionConfig = .init(), nowMs: Int64 = UnixTime.milliseconds(Date())) throws -> TrendSeries {
        guard bucketMs >= 1000 else { throw InputError(field: "bucket", message: "buckets must be at least 1 s") }
        guard window.spanMs / bucketMs <= 100_000 else {
            throw InputError(field: "bucket", message: "\(window.spanMs / bucketMs) buckets is too many; use a larger bucket (at most 100,000 per window)")
        }
        let sourceID = try requireSource(source)
        let series: SeriesID
        if let component {
            guard let stored = try store.component(sourceID: sourceID, name: component) else {
                throw InputError(field: "component", message: "source '\(source)' has no component '\(component)'")
            }
            series = .component(stored.id)
        } else {
            series = .usage(sourceID: sourceID)
        }
        let cutoffs = try store.retentionCutoffs()
        let hour = RetentionPolicy.hour
        let resolution: SeriesResolution = bucketMs % hour == 0 ? .hour
            : window.fromMs >= cutoffs.rawMs ? .raw
            : bucketMs % RetentionPolicy.minute == 0 && window.fromMs >= cutoffs.minuteMs ? .minute : .hour
        let buckets = try store.buckets(series, window: window, bucketMs: bucketMs).map {
            TrendSeries.Bucket(startMs: $0.startMs, minBytes: $0.minBytes, maxBytes: $0.maxBytes, lastBytes: $0.lastBytes,
                               meanBytes: $0.meanBytes, count: $0.count, runID: $0.runID)
        }
        let runs = try store.runs(sourceID: sourceID)
        let runStarts = Dictionary(runs.map { ($0.id, $0.startedMs) }, uniquingKeysWith: { a, _ in a })
        // The verdict reads the series as a report would (raw samples, or
        // bucket means chosen by cost), not the display buckets, so a few wide buckets still get one.
        let plan = ReadPlan.choose(window: window, seriesCount: 1, samplesPerSeries: try store.sampleCount(series, window: window),
                                   cutoffs: cutoffs)
        let trendPoints = try store.seriesPoints(series, window: window, plan: plan).map {
            TrendPoint(tMs: $0.tsMs, bytes: $0.bytes, runID: $0.runID)
        }
        var analyzer = TrendAnalyzer(config: config)
        if component != nil { analyzer.subject = "held bytes" }
        let verdict = trendPoints.isEmpty ? TrendVerdict.noData(subject: analyzer.subject) : analyzer.verdict(
            for: MemorySeries(points: trendPoints, runStarts: runStarts, stepwise: component != nil && plan.bucketMs == nil))
        return TrendSeries(source: source, component: component, window: window, bucketMs: bucketMs,
                           resolution: resolution, buckets: buckets, verdict: verdict)
    }
}
