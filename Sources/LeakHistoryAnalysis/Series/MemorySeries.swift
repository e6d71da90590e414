// The analysis core (this folder): pure code, series in, verdict and report
// out. Nothing here opens a file, reads a clock or touches SQLite; the live
// detector, the window reports and the watcher feed it what they read.

/// One sample of a memory series: when, how many bytes, in which run.
public struct TrendPoint: Sendable, Equatable {
    public var tMs: Int64
    public var bytes: Int64
    public var runID: Int64

    public init(tMs: Int64, bytes: Int64, runID: Int64 = 0) {
        self.tMs = tMs
        self.bytes = bytes
        self.runID = runID
    }
}

/// The one series type of the analysis: samples of usage or of a component,
/// oldest first, cut into runs by restarts.
///
/// ```swift
/// let series = MemorySeries(points: points, runStarts: [1: startMs])
/// let verdict = TrendAnalyzer(config: config).verdict(for: series)
/// ```
///
/// A series is *sampled* (every point is a reading: snapshots, a watcher's
/// samples) or *stepwise* (stored only when it changes: a component's
/// counters; each value holds until the next one).
public struct MemorySeries: Sendable, Equatable {
    /// Time order, stable for equal timestamps (insertion order).
    public private(set) var points: [TrendPoint]
    /// Each run's start in Unix ms, for the warm-up; a run missing here starts at its first sample.
    public var runStarts: [Int64: Int64]
    /// Values hold until the next sample (stored on change).
    public var stepwise: Bool
    /// For a stepwise series: the time its last value is known to hold until
    /// (the source's newest sample), so a flat tail counts.
    public var endMs: Int64?
    /// For a stepwise series: how many readings the source took over the
    /// series' span (a gauge sampled every interval but stored on change is
    /// judged on its samples, not its stored changes).
    public var observedSamples: Int?

    public init(points: [TrendPoint], runStarts: [Int64: Int64] = [:], stepwise: Bool = false,
                endMs: Int64? = nil, observedSamples: Int? = nil) {
        if zip(points, points.dropFirst()).contains(where: { $0.tMs > $1.tMs }) {
            self.points = points.enumerated()
                .sorted { ($0.element.tMs, $0.offset) < ($1.element.tMs, $1.offset) }.map(\.element)
        } else {
            self.points = points
        }
        self.runStarts = runStarts
        self.stepwise = stepwise
        self.endMs = endMs
        self.observedSamples = observedSamples
    }

    public var isEmpty: Bool { points.isEmpty }

    /// The runs in the series, in order of appearance.
    public var runCount: Int {
        var count = 0
        var current: Int64?
        for p in points where p.runID != current {
            count += 1
            current = p.runID
        }
        return count
    }

    /// The series without the first `warmupMs` of each run.
    public func afterWarmup(_ warmupMs: Int64) -> MemorySeries {
        guard warmupMs > 0 else { return self }
        var firstSeen: [Int64: Int64] = [:]
        for p in points where firstSeen[p.runID] == nil { firstSeen[p.runID] = p.tMs }
        var copy = self
        copy.points = points.filter { p in p.tMs - (runStarts[p.runID] ?? firstSeen[p.runID]!) >= warmupMs }
        return copy
    }

    /// Times and values with each run after the first shifted to start where
    /// the previous one ended: a drop at a restart is neither a deallocation
    /// nor negative growth, and growth in every run adds up. The one place
    /// runs are joined.
    public func joined() -> JoinedValues {
        var times: [Double] = []
        var values: [Double] = []
        times.reserveCapacity(points.count)
        values.reserveCapacity(points.count)
        var runs = 0
        var runFirstIndices: [Int] = []
        var currentRun: Int64?
        var offset = 0.0
        var growth = 0.0
        var runFirst = 0.0
        for p in points {
            let v = Double(p.bytes)
            if p.runID != currentRun {
                if let last = values.last {
                    growth += last - runFirst
                    offset = last - v
                }
                runFirst = v + offset
                currentRun = p.runID
                runs += 1
                runFirstIndices.append(times.count)
            }
            times.append(Double(p.tMs))
            values.append(v + offset)
        }
        if let last = values.last { growth += last - runFirst }
        return JoinedValues(times: times, values: values, runCount: runs, growthBytes: growth, runFirstIndices: runFirstIndices)
    }

    /// For a stepwise series: points on an even grid from the first sample to
    /// `endMs` (or the last sample), each holding the newest value at or
    /// before it. The one resampling function.
    public func resampled(gridPoints: Int) -> MemorySeries {
        guard let first = points.first, let last = points.last else { return self }
        let end = max(last.tMs, endMs ?? last.tMs)
        guard end > first.tMs else { return self }
        let count = max(2, gridPoints)
        var result: [TrendPoint] = []
        result.reserveCapacity(count)
        var index = 0
        let span = end - first.tMs
        for g in 0..<count {
            // span < 2^63 and g < count: split the product so it cannot overflow.
            let t = first.tMs + span / Int64(count - 1) * Int64(g) + span % Int64(count - 1) * Int64(g) / Int64(count - 1)
            while index + 1 < points.count && points[index + 1].tMs <= t { index += 1 }
            result.append(TrendPoint(tMs: t, bytes: points[index].bytes, runID: points[index].runID))
        }
        var copy = self
        copy.points = result
        copy.stepwise = false
        return copy
    }

    /// The seed-compatible first-vs-last figures of the series, runs joined:
    /// percent change from the first sample and MiB per minute. Labelled as
    /// such wherever they are shown; "how fast" is the verdict's rate.
    public var firstVersusLast: FirstVersusLast {
        guard points.count >= 2, let first = points.first, let last = points.last else {
            return .zero
        }
        return FirstVersusLast(growthBytes: joined().growthBytes, firstBytes: first.bytes, spanMs: last.tMs - first.tMs)
    }
}

/// A series with its runs joined at their offsets.
public struct JoinedValues: Sendable, Equatable {
    public var times: [Double]
    public var values: [Double]
    public var runCount: Int
    /// Growth summed run by run (each run's last minus its first).
    public var growthBytes: Double
    /// Where each run begins in `times` and `values`.
    public var runFirstIndices: [Int] = []

    /// `values` at `times` — points taken from this series, such as the
    /// troughs of its lower envelope, in time order — with the runs joined
    /// again at those points, by the rule of `joined()`: each run starts at
    /// the level where the previous one ended. A run's level at its end is
    /// its last point carried forward to its last sample, at the median slope
    /// between its consecutive points; its level at its start, its first
    /// point carried back to its first sample.
    ///
    /// Joining a sawtooth at its samples puts a step of up to one tooth into
    /// the troughs at every restart (the old run ends anywhere in its cycle;
    /// the new one starts wherever its own cycle is), and a trend read from
    /// the troughs would see the steps: a leak could look like two levels,
    /// and a flat sawtooth restarted often like a staircase.
    public func rejoined(times pointTimes: [Double], values pointValues: [Double]) -> [Double] {
        let n = pointTimes.count
        guard runFirstIndices.count > 1, n == pointValues.count, n > 0 else { return pointValues }
        // Each point's run, by time against each run's first sample.
        var runOf = [Int](repeating: 0, count: n)
        var run = 0
        for k in 0..<n {
            while run + 1 < runFirstIndices.count && pointTimes[k] >= times[runFirstIndices[run + 1]] { run += 1 }
            runOf[k] = run
        }
        /// The median slope between consecutive points `range` (0 for fewer than two).
        func slope(_ range: Range<Int>) -> Double {
            guard range.count >= 2 else { return 0 }
            var slopes: [Double] = []
            slopes.reserveCapacity(range.count - 1)
            for k in range.dropLast() where pointTimes[k + 1] > pointTimes[k] {
                slopes.append((pointValues[k + 1] - pointValues[k]) / (pointTimes[k + 1] - pointTimes[k]))
            }
            return RobustStatistics.medianInPlace(&slopes)
        }
        var result = pointValues
        var previous: (range: Range<Int>, run: Int, slope: Double)?
        var lo = 0
        while lo < n {
            var hi = lo + 1
            while hi < n && runOf[hi] == runOf[lo] { hi += 1 }
            let range = lo..<hi, groupRun = runOf[lo], groupSlope = slope(range)
            if let previous {
                let lastOld = previous.range.upperBound - 1
                let oldEndMs = times[runFirstIndices[groupRun] - 1], newStartMs = times[runFirstIndices[groupRun]]
                let oldLevel = result[lastOld] + previous.slope * max(0, oldEndMs - pointTimes[lastOld])
                let newLevel = pointValues[lo] - groupSlope * max(0, pointTimes[lo] - newStartMs)
                let correction = oldLevel - newLevel
                for k in range { result[k] = pointValues[k] + correction }
            }
            previous = (range, groupRun, groupSlope)
            lo = hi
        }
        return result
    }
}

/// The seed's growth figures: newest minus oldest.
public struct FirstVersusLast: Sendable, Equatable {
    public var growthBytes: Double
    public var percent: Double
    public var mbPerMinute: Double

    public init(growthBytes: Double, percent: Double, mbPerMinute: Double) {
        self.growthBytes = growthBytes
        self.percent = percent
        self.mbPerMinute = mbPerMinute
    }

    /// SPEC §3: growth / the oldest sample × 100 (0 when it is 0), and MiB
    /// per minute over the span (0 when no time passed).
    public init(growthBytes: Double, firstBytes: Int64, spanMs: Int64) {
        self.growthBytes = growthBytes
        percent = firstBytes > 0 ? growthBytes / Double(firstBytes) * 100 : 0
        let minutes = Double(spanMs) / 60_000
        mbPerMinute = minutes > 0 ? growthBytes / Double(ByteSize.bytesPerMB) / minutes : 0
    }

    public static let zero = FirstVersusLast(growthBytes: 0, percent: 0, mbPerMinute: 0)
}
