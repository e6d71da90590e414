import Foundation

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

/// Tells a leak from noise in a memory series.
///
/// ```swift
/// let verdict = TrendAnalyzer(config: config).verdict(for: points)
/// print(verdict.explanation)
/// ```
///
/// A series leaks when all of these hold, in this order (the first that fails
/// is `rejectedBy`):
/// - `samples`: at least `trendMinSamples` samples remain after the warm-up;
/// - `slope`: the robust (Theil–Sen) slope is positive;
/// - `growth_floor`: the fitted growth over the window reaches `growthFloorBytes`;
/// - `noise`: the fitted growth is at least twice the noise around the fit, so
///   a GC sawtooth or jitter is not read as growth;
/// - `spread`: both halves of the window rise, so one step is not a leak;
/// - `tail`: the trailing `tailFraction` still rises at `tailMinSlopeRatio` of
///   the overall slope, so a warm-up or a cache that filled and stopped is not a leak.
///
/// Restarts split the series into runs. Runs are joined by their offsets: each
/// run is shifted to start where the previous one ended, so a drop at a restart
/// is never read as a deallocation, and growth in every run adds up.
public struct TrendAnalyzer: Sendable {
    public var minSamples: Int
    public var growthFloorBytes: Int64
    public var tailFraction: Double
    public var tailMinSlopeRatio: Double
    public var warmupMs: Int64
    public var memoryLimitBytes: Int64?
    /// The fitted growth must reach this multiple of the noise.
    public var noiseFactor: Double = 2
    /// Theil–Sen is quadratic in the sample count; longer series are thinned evenly to this many points.
    public var maxFitPoints: Int = 600
    /// Grid size for stepwise series.
    public var stepGridPoints: Int = 240
    /// What the series measures, for the explanation ("usage", "held bytes").
    public var subject: String = "usage"

    public init(config: LeakDetectionConfig) {
        minSamples = config.trendMinSamples
        growthFloorBytes = config.growthFloorBytes
        tailFraction = config.tailFraction
        tailMinSlopeRatio = config.tailMinSlopeRatio
        warmupMs = Int64(clamping: config.warmupSecs) * 1000
        memoryLimitBytes = config.memoryLimitBytes
    }

    /// The verdict for `points` (any order of runs, oldest first within a run).
    /// `runStarts` gives each run's start time in ms for the warm-up; a run
    /// missing from it starts at its first sample.
    ///
    /// `stepwise` is for series recorded only when they change (a component's
    /// counters, a sum of them): each value holds until the next one, so the
    /// series is resampled on an even grid, carried on to `endMs` when given,
    /// before the fit. The sample check still counts the recorded samples.
    public func verdict(for points: [TrendPoint], runStarts: [Int64: Int64] = [:], stepwise: Bool = false,
                        endMs: Int64? = nil) -> TrendVerdict {
        let sorted = points.enumerated().sorted { ($0.element.tMs, $0.offset) < ($1.element.tMs, $1.offset) }.map(\.element)
        var firstSeen: [Int64: Int64] = [:]
        for p in sorted where firstSeen[p.runID] == nil { firstSeen[p.runID] = p.tMs }
        var kept = sorted.filter { p in
            let start = runStarts[p.runID] ?? firstSeen[p.runID]!
            return p.tMs - start >= warmupMs || warmupMs == 0
        }
        let recorded = kept.count
        if stepwise { kept = Self.resampled(kept, endMs: endMs, gridPoints: stepGridPoints) }
        let (times, values, runCount) = joinRuns(kept)
        let analysis: TrendVerdict.Analysis = runCount > 1 ? .joinedRuns : .singleRun
        let spanMs = (times.last ?? 0) - (times.first ?? 0)

        var verdict = TrendVerdict(
            status: .insufficientData, rejectedBy: "samples", explanation: "", sampleCount: recorded,
            runCount: runCount, analysis: analysis, spanSecs: spanMs / 1000, slopeMBPerHour: 0,
            leastSquaresMBPerHour: 0, rSquared: 0, slopePercentPerHour: 0, tailSlopeMBPerHour: 0,
            fittedGrowthBytes: 0, noiseBytes: 0, timeToLimitSecs: nil, checks: []
        )
        let enough = recorded >= max(minSamples, 3) && times.count >= 3 && spanMs > 0
        verdict.checks.append(TrendCheck(
            name: "samples", passed: enough,
            detail: "\(recorded) samples over \(Self.duration(spanMs)) after the warm-up (need \(max(minSamples, 3)))"
        ))
        guard enough else {
            verdict.explanation = "insufficient data: \(verdict.checks[0].detail)"
            return verdict
        }

        let (fitT, fitV) = thinned(times, values)
        let slope = RobustStatistics.theilSenSlope(times: fitT[...], values: fitV[...])
        let lsq = RobustStatistics.leastSquares(times: times, values: values)
        let level = RobustStatistics.median(values)
        let fittedGrowth = slope * spanMs
        let intercept = RobustStatistics.median(fitT.indices.map { fitV[$0] - slope * fitT[$0] })
        var residuals = fitT.indices.map { abs(fitV[$0] - (intercept + slope * fitT[$0])) }
        let noise = 1.4826 * RobustStatistics.medianInPlace(&residuals)

        let mid = (fitT.first! + fitT.last!) / 2
        let firstHalf = fitT.indices.filter { fitT[$0] <= mid }
        let secondHalf = fitT.indices.filter { fitT[$0] >= mid }
        let tailStart = fitT.last! - tailFraction * spanMs
        let tail = fitT.indices.filter { fitT[$0] >= tailStart }
        func slopeOf(_ idx: [Int]) -> Double {
            RobustStatistics.theilSenSlope(times: idx.map { fitT[$0] }[...], values: idx.map { fitV[$0] }[...])
        }
        let firstHalfSlope = slopeOf(firstHalf)
        let secondHalfSlope = slopeOf(secondHalf)
        let tailSlope = tail.count >= 3 ? slopeOf(tail) : slope

        let perHour = 3_600_000.0
        verdict.slopeMBPerHour = slope * perHour / Double(ByteSize.bytesPerMB)
        verdict.leastSquaresMBPerHour = lsq.slope * perHour / Double(ByteSize.bytesPerMB)
        verdict.rSquared = lsq.rSquared
        verdict.slopePercentPerHour = level > 0 ? slope * perHour / level * 100 : 0
        verdict.tailSlopeMBPerHour = tailSlope * perHour / Double(ByteSize.bytesPerMB)
        verdict.fittedGrowthBytes = Int64(clampingDouble: fittedGrowth.rounded())
        verdict.noiseBytes = Int64(clampingDouble: noise.rounded())
        if let limit = memoryLimitBytes, slope > 0 {
            let last = Double(kept.last!.bytes)
            verdict.timeToLimitSecs = max(0, (Double(limit) - last) / slope / 1000)
        }

        let mbh = { (s: Double) in Self.rate(s * perHour) }
        let minSpreadSlope = tailMinSlopeRatio * slope
        let checks: [TrendCheck] = [
            TrendCheck(name: "slope", passed: slope > 0,
                       detail: "robust slope \(mbh(slope)) (least squares \(mbh(lsq.slope)), R² \(Self.fixed(lsq.rSquared, 2)))"),
            TrendCheck(name: "growth_floor", passed: fittedGrowth >= Double(growthFloorBytes),
                       detail: "fitted growth \(Self.size(fittedGrowth)) vs floor \(Self.size(Double(growthFloorBytes)))"),
            TrendCheck(name: "noise", passed: fittedGrowth >= noiseFactor * noise,
                       detail: "fitted growth \(Self.size(fittedGrowth)) vs \(Self.fixed(noiseFactor, 0))× noise \(Self.size(noise))"),
            TrendCheck(name: "spread", passed: firstHalfSlope > 0 && firstHalfSlope >= minSpreadSlope && secondHalfSlope >= minSpreadSlope && secondHalfSlope > 0,
                       detail: "first half \(mbh(firstHalfSlope)), second half \(mbh(secondHalfSlope)) (need ≥ \(mbh(minSpreadSlope)) each)"),
            TrendCheck(name: "tail", passed: tailSlope > 0 && tailSlope >= minSpreadSlope,
                       detail: "last \(Self.fixed(tailFraction * 100, 0))% \(mbh(tailSlope)) (need ≥ \(mbh(minSpreadSlope)))"),
        ]
        verdict.checks += checks
        if let failed = checks.first(where: { !$0.passed }) {
            verdict.status = .notLeaking
            verdict.rejectedBy = failed.name
            verdict.explanation = "not leaking: \(Self.reason(failed.name, subject: subject)) — \(failed.detail)"
        } else {
            verdict.status = .leaking
            verdict.rejectedBy = nil
            var text = "leaking: \(subject) rises \(mbh(slope)) (\(Self.fixed(verdict.slopePercentPerHour, 2))%/h), "
                + "\(Self.size(fittedGrowth)) over \(Self.duration(spanMs)), still rising in the last \(Self.fixed(tailFraction * 100, 0))% (\(mbh(tailSlope)))"
            if let secs = verdict.timeToLimitSecs {
                text += "; the memory limit is reached in about \(Self.duration(secs * 1000))"
            }
            verdict.explanation = text
        }
        if analysis == .joinedRuns {
            verdict.explanation += " [\(runCount) runs joined at their restarts]"
        }
        return verdict
    }

    /// Points on an even grid from the first sample to `endMs` (or the last
    /// sample), each holding the value of the newest sample at or before it.
    static func resampled(_ points: [TrendPoint], endMs: Int64?, gridPoints: Int) -> [TrendPoint] {
        guard let first = points.first, let last = points.last else { return points }
        let end = max(last.tMs, endMs ?? last.tMs)
        guard end > first.tMs else { return points }
        let count = max(2, gridPoints)
        var result: [TrendPoint] = []
        result.reserveCapacity(count)
        var index = 0
        for g in 0..<count {
            let t = first.tMs + (end - first.tMs) * Int64(g) / Int64(count - 1)
            while index + 1 < points.count && points[index + 1].tMs <= t { index += 1 }
            result.append(TrendPoint(tMs: t, bytes: points[index].bytes, runID: points[index].runID))
        }
        return result
    }

    /// Times and values with each run after the first shifted to start where the previous one ended.
    private func joinRuns(_ points: [TrendPoint]) -> (times: [Double], values: [Double], runs: Int) {
        var times: [Double] = []
        var values: [Double] = []
        times.reserveCapacity(points.count)
        values.reserveCapacity(points.count)
        var runs = 0
        var currentRun: Int64? = nil
        var offset = 0.0
        for p in points {
            let v = Double(p.bytes)
            if p.runID != currentRun {
                if let last = values.last { offset = last - v }
                currentRun = p.runID
                runs += 1
            }
            times.append(Double(p.tMs))
            values.append(v + offset)
        }
        return (times, values, runs)
    }

    private func thinned(_ times: [Double], _ values: [Double]) -> ([Double], [Double]) {
        guard times.count > maxFitPoints else { return (times, values) }
        let step = Double(times.count - 1) / Double(maxFitPoints - 1)
        let idx = (0..<maxFitPoints).map { Int((Double($0) * step).rounded()) }
        return (idx.map { times[$0] }, idx.map { values[$0] })
    }

    private static func reason(_ check: String, subject: String) -> String {
        switch check {
        case "slope": "\(subject) does not rise"
        case "growth_floor": "the growth is below the floor"
        case "noise": "the growth does not stand out of the noise"
        case "spread": "the growth is one step, not spread over the window"
        case "tail": "growth has stopped at the end of the window (a plateau)"
        default: check
        }
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        DecimalText.fixed(value, digits)
    }

    static func rate(_ bytesPerHour: Double) -> String {
        let mb = bytesPerHour / Double(ByteSize.bytesPerMB)
        return abs(mb) >= 0.1 || mb == 0 ? "\(fixed(mb, 2)) MB/h" : "\(fixed(bytesPerHour / 1024, 1)) kB/h"
    }

    static func size(_ bytes: Double) -> String {
        let mb = bytes / Double(ByteSize.bytesPerMB)
        return abs(mb) >= 0.1 || bytes == 0 ? "\(fixed(mb, 1)) MB" : "\(fixed(bytes / 1024, 1)) kB"
    }

    static func duration(_ ms: Double) -> String {
        let s = ms / 1000
        switch s {
        case ..<120: return "\(fixed(s, 1)) s"
        case ..<7200: return "\(fixed(s / 60, 1)) min"
        case ..<172_800: return "\(fixed(s / 3600, 1)) h"
        default: return "\(fixed(s / 86_400, 1)) d"
        }
    }
}
