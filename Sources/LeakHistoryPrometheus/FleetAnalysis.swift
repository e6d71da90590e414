import Foundation
import LeakHistory

/// The verdict on one member of a fleet, as `fleet` prints it.
public struct FleetVerdict: Sendable, Codable, Equatable {
    public var name: String
    public var labels: SeriesLabels
    public var status: TrendVerdict.Status
    /// Growth since the onset (robust slope), in bytes per hour.
    public var rateBytesPerHour: Double
    /// When the growth began: the onset found in the window, else its first sample.
    public var growingSinceMs: Int64?
    public var limitBytes: Int64?
    public var timeToLimitSecs: Double?
    public var lastBytes: Int64
    public var samples: Int
    public var runs: Int
    public var explanation: String
    public var rejectedBy: String?
    /// The full verdict of the part of the series judged (since the onset when one was found).
    public var trend: TrendVerdict

    enum CodingKeys: String, CodingKey {
        case name, labels, status, samples, runs, explanation, trend
        case rateBytesPerHour = "rate_bytes_per_hour"
        case growingSinceMs = "growing_since_ms"
        case limitBytes = "limit_bytes"
        case timeToLimitSecs = "time_to_limit_secs"
        case lastBytes = "last_bytes"
        case rejectedBy = "rejected_by"
    }
}

/// The fleet's analysis: one adapter from a `FleetSeries` to the trend pipeline.
///
/// `verdict(for:config:limitBytes:)` is the only place that calls the trend
/// analysis; switching `fleet` and the benchmark to another pipeline is a
/// change to that function alone.
public enum FleetAnalysis {
    /// The verdict on `series`: the trend pipeline over the whole window; when
    /// the series was flat and then began to grow, over the part since that onset.
    public static func verdict(for series: FleetSeries, config: LeakDetectionConfig, limitBytes: Int64? = nil) -> FleetVerdict {
        var config = config
        if let limitBytes { config.memoryLimitBytes = limitBytes }
        let analyzer = TrendAnalyzer(config: config)
        var judged = analyzer.verdict(for: series.points, runStarts: series.runStarts)
        var since = series.points.first?.tMs
        if let onset = onsetIndex(series.points, minSamples: max(config.trendMinSamples, 3)), onset > 0 {
            let tail = analyzer.verdict(for: Array(series.points[onset...]), runStarts: series.runStarts)
            if tail.isLeaking {
                judged = tail
                since = series.points[onset].tMs
            }
        }
        let leaking = judged.isLeaking
        return FleetVerdict(
            name: series.name, labels: series.labels, status: judged.status,
            rateBytesPerHour: judged.slopeMBPerHour * Double(ByteSize.bytesPerMB),
            growingSinceMs: leaking ? since : nil, limitBytes: config.memoryLimitBytes,
            timeToLimitSecs: leaking ? judged.timeToLimitSecs : nil, lastBytes: series.points.last?.bytes ?? 0,
            samples: series.points.count, runs: series.runCount, explanation: judged.explanation,
            rejectedBy: judged.rejectedBy, trend: judged
        )
    }

    /// Verdicts for every series, on every core, ranked worst first.
    public static func verdicts(for series: [FleetSeries], config: LeakDetectionConfig,
                                limits: [String: Int64] = [:]) async -> [FleetVerdict] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 16))
        let slices = stride(from: 0, to: series.count, by: max(1, (series.count + workers - 1) / workers)).map {
            Array(series[$0..<min(series.count, $0 + max(1, (series.count + workers - 1) / workers))])
        }
        var all: [FleetVerdict] = []
        await withTaskGroup(of: [FleetVerdict].self) { group in
            for slice in slices {
                group.addTask { slice.map { verdict(for: $0, config: config, limitBytes: limits[$0.name]) } }
            }
            for await part in group { all += part }
        }
        return ranked(all)
    }

    /// Leaks first, soonest to reach the limit then fastest; then the rest, fastest first.
    public static func ranked(_ verdicts: [FleetVerdict]) -> [FleetVerdict] {
        func group(_ v: FleetVerdict) -> Int {
            switch v.status {
            case .leaking: return 0
            case .notLeaking: return 1
            case .insufficientData: return 2
            }
        }
        return verdicts.sorted { a, b in
            if group(a) != group(b) { return group(a) < group(b) }
            let ta = a.timeToLimitSecs ?? .infinity, tb = b.timeToLimitSecs ?? .infinity
            if ta != tb { return ta < tb }
            if a.rateBytesPerHour != b.rateBytesPerHour { return a.rateBytesPerHour > b.rateBytesPerHour }
            return a.name < b.name
        }
    }

    /// Where a flat series began to grow: the hinge (flat, then a straight
    /// rise) that fits the runs, joined end to start, far better than one line
    /// does. `nil` when one line fits about as well (a steady leak, a flat
    /// series, a sawtooth), or the rise is too short to judge on its own.
    static func onsetIndex(_ points: [TrendPoint], minSamples: Int) -> Int? {
        let n = points.count
        guard n >= 4 * minSamples, let first = points.first?.tMs, let lastT = points.last?.tMs, lastT > first else { return nil }
        var t = [Double](repeating: 0, count: n)
        var v = [Double](repeating: 0, count: n)
        var offset = 0.0
        for i in 0..<n {
            t[i] = Double(points[i].tMs - first) / 3_600_000
            if i > 0, points[i].runID != points[i - 1].runID { offset = v[i - 1] - Double(points[i].bytes) }
            v[i] = Double(points[i].bytes) + offset
        }
        let meanV = v.reduce(0, +) / Double(n)
        let svv = v.reduce(0) { $0 + ($1 - meanV) * ($1 - meanV) }
        guard svv > 0 else { return nil }
        /// Residual sum of squares of v ≈ a + b·max(0, t − knot); b must be positive.
        func residual(_ knot: Double) -> Double {
            var sx = 0.0, sxx = 0.0, sxv = 0.0
            for i in 0..<n {
                let x = max(0, t[i] - knot)
                sx += x
                sxx += x * x
                sxv += x * v[i]
            }
            let meanX = sx / Double(n)
            let varX = sxx - meanX * sx
            guard varX > 0 else { return svv }
            let cov = sxv - meanX * meanV * Double(n)
            guard cov > 0 else { return svv }
            return svv - cov * cov / varX
        }
        let span = t[n - 1]
        let lineFit = residual(t[0])
        // A knot leaves at least a tenth of the window, and enough samples, after it.
        let latest = min(span * 0.9, t[n - minSamples * 2])
        guard latest > span * 0.05 else { return nil }
        var best = (knot: 0.0, sse: lineFit)
        let coarse = 64
        for k in 1...coarse {
            let knot = span * 0.05 + (latest - span * 0.05) * Double(k) / Double(coarse)
            let sse = residual(knot)
            if sse < best.sse { best = (knot, sse) }
        }
        let width = (latest - span * 0.05) / Double(coarse)
        for k in -10...10 {
            let knot = min(latest, max(0, best.knot + width * Double(k) / 10))
            let sse = residual(knot)
            if sse < best.sse { best = (knot, sse) }
        }
        // The hinge must explain most of what one line leaves unexplained.
        guard best.knot > 0, best.sse <= 0.25 * lineFit else { return nil }
        return t.firstIndex { $0 >= best.knot }
    }
}
