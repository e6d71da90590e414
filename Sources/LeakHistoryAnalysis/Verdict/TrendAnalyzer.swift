import Foundation

/// Tells a leak from noise in a memory series, finds when the current growth
/// began, and how fast it goes.
///
/// ```swift
/// let verdict = TrendAnalyzer(config: config).verdict(for: MemorySeries(points: points))
/// print(verdict.explanation, verdict.growingSinceMs ?? 0, verdict.rateText)
/// ```
///
/// The pipeline, each step a pure function of the one before:
/// 1. **Prepare**: drop each run's warm-up, resample a stepwise series on an
///    even grid, join the runs at their offsets (`MemorySeries`).
/// 2. **Envelope**: when the series oscillates (a GC sawtooth, batch spikes)
///    keep one trough per cycle (`Envelope`), moved to its fall instant when
///    the falls keep a period; the trend and its noise are read from the
///    memory left after each collection.
/// 3. **Onset**: a piecewise-linear fit with up to two change points, chosen
///    by BIC (`Segmentation`); the current regime is the last segment,
///    extended back over segments that grow at a similar rate and meet it.
/// 4. **Checks** on the regime, in order; the first that fails is `rejectedBy`:
///    `samples`, `step`, `slope`, `growth_floor`, `noise`, `tail`.
public struct TrendAnalyzer: Sendable {
    public var minSamples: Int
    public var growthFloorBytes: Int64
    public var tailFraction: Double
    public var tailMinSlopeRatio: Double
    public var warmupMs: Int64
    public var memoryLimitBytes: Int64?
    /// Theil–Sen is quadratic in the sample count; longer regimes are thinned evenly to this many points.
    public var maxFitPoints: Int = 600
    /// Grid size for stepwise series.
    public var stepGridPoints: Int = 240
    /// Series longer than this are reduced to block medians before the segmentation.
    public var segmentationPoints: Int = 160
    /// The current regime spans at least this share of the (reduced) series,
    /// so a few samples at the end never make a regime of their own.
    public var minRegimeFraction: Double = 0.12
    /// The tail must be this many standard errors below the regime's rate to
    /// call the growth stopped.
    public var tailSignificance: Double = 2
    /// Two rising segments are one regime unless their rates differ by this
    /// many standard errors.
    public var knotSignificance: Double = 3
    /// …and at least this many points.
    public var minRegimePoints: Int = 5
    /// Adjacent segments whose rates are within this factor of each other are one regime.
    public var similarRateFactor: Double = 3
    /// The tail check compares two halves of at least this many points each;
    /// with fewer (a young regime of a few troughs) a half's slope is too
    /// unsure to call the growth stopped, and the check passes.
    static package let minTailPoints = 5
    /// What the series measures, for the explanation ("usage", "held bytes").
    public var subject: String = "usage"
    /// Skip the onset search and the fits of a series that `FloorScreen`
    /// proves cannot grow the floor (its whole range is too small for any
    /// regime to): the verdict is then `growth_floor` at once. For reports
    /// that show only leaking verdicts; a comparison wants every rate.
    package var screensBelowFloor = false

    public init(config: LeakDetectionConfig) {
        minSamples = config.trendMinSamples
        growthFloorBytes = config.growthFloorBytes
        tailFraction = config.tailFraction
        tailMinSlopeRatio = config.tailMinSlopeRatio
        warmupMs = Int64(clamping: config.warmupSecs) * 1000
        memoryLimitBytes = config.memoryLimitBytes
    }

    /// The verdict for `points`; see `verdict(for:)` on a `MemorySeries`.
    public func verdict(for points: [TrendPoint], runStarts: [Int64: Int64] = [:], stepwise: Bool = false,
                        endMs: Int64? = nil) -> TrendVerdict {
        verdict(for: MemorySeries(points: points, runStarts: runStarts, stepwise: stepwise, endMs: endMs))
    }

    /// The verdict for `series`.
    public func verdict(for series: MemorySeries) -> TrendVerdict {
        guard !series.isEmpty else { return .noData(subject: subject) }
        var prepared = series.afterWarmup(warmupMs)
        let recorded = prepared.points.count
        let sampleCount = prepared.stepwise ? max(recorded, series.observedSamples ?? recorded) : recorded
        if prepared.stepwise { prepared = prepared.resampled(gridPoints: stepGridPoints) }
        let joined = prepared.joined()
        let times = joined.times, values = joined.values
        let spanMs = (times.last ?? 0) - (times.first ?? 0)
        let analysis: TrendVerdict.Analysis = joined.runCount > 1 ? .joinedRuns : .singleRun
        let need = max(minSamples, 3)

        var verdict = TrendVerdict(status: .insufficientData, explanation: "", sampleCount: sampleCount,
                                   runCount: joined.runCount, analysis: analysis, spanSecs: spanMs / 1000)
        let enough = sampleCount >= need && times.count >= 3 && spanMs > 0
        let samplesCheck = TrendCheck(
            .samples, passed: enough,
            detail: "\(sampleCount) samples over \(AnalysisText.duration(ms: spanMs))\(warmupMs > 0 ? " after the warm-up" : "") (need \(need))",
            figures: ["samples": Double(sampleCount), "need": Double(need), "span_secs": spanMs / 1000])
        verdict.checks.append(samplesCheck)
        guard enough else {
            verdict.rejectedBy = .samples
            verdict.explanation = "insufficient data: \(samplesCheck.detail)"
            return verdict
        }

        // 2. The lower envelope of an oscillating series.
        var workTimes = times, workValues = values
        var trendUncertainty = 0.0
        if let envelope = Envelope.find(times: times, values: values) {
            workTimes = envelope.times
            // Runs joined at their last and first samples carry the phase of
            // the tooth each restart fell in: joined again at their troughs.
            workValues = joined.rejoined(times: envelope.times, values: envelope.values)
            trendUncertainty = envelope.trendUncertainty
            verdict.envelope = .init(troughs: envelope.times.count, periodSecs: envelope.periodMs / 1000,
                                     amplitudeBytes: Int64(clampingDouble: envelope.amplitudeBytes.rounded()))
        }

        if screensBelowFloor, workTimes.count <= maxFitPoints,
           let range = FloorScreen.rangeBelowFloor(times: workTimes, values: workValues, floor: Double(growthFloorBytes)) {
            let check = TrendCheck(
                .growthFloor, passed: false,
                detail: "\(subject) spans \(AnalysisText.size(range)) in all, too little for any regime of it to grow the floor of \(AnalysisText.size(Double(growthFloorBytes)))",
                figures: ["range_bytes": range, "floor_bytes": Double(growthFloorBytes)])
            verdict.checks.append(check)
            verdict.status = .notLeaking
            verdict.rejectedBy = .growthFloor
            verdict.explanation = "not leaking: \(TrendCheck.Kind.growthFloor.reason(subject: subject)) — \(check.detail)"
            return verdict
        }

        // 3. Onset: segment a reduced copy, find the current regime.
        let reduced = Self.blockMedians(times: workTimes, values: workValues, maxPoints: segmentationPoints)
        let m = reduced.times.count
        let minLength = max(4, m / 15)
        let minLast = max(minLength, minRegimePoints, Int((Double(m) * minRegimeFraction).rounded(.up)))
        let fit = Segmentation.fit(times: reduced.times, values: reduced.values, minLength: minLength, minLastLength: minLast)
        // The noise of the whole fit: it bounds a regime's from below (a short
        // regime can sit on a line by chance, its own residuals near zero) and
        // tells a real change of rate from a knot the noise put there.
        var fitResiduals: [Double] = []
        fitResiduals.reserveCapacity(workTimes.count)
        var segmentIndex = 0
        for i in workTimes.indices {
            while segmentIndex + 1 < fit.segments.count && workTimes[i] >= reduced.firstTimes[fit.segments[segmentIndex + 1].start] {
                segmentIndex += 1
            }
            fitResiduals.append(workValues[i] - fit.segments[segmentIndex].value(at: workTimes[i]))
        }
        var fitNoise = RobustStatistics.robustSpread(fitResiduals)
        if verdict.envelope != nil, workValues.count >= 3 {
            // A sawtooth leaves a few dozen troughs, and a fit with two knots
            // bends to their noise: its residuals understate it, and a short
            // run of troughs that rises by chance reads as a leak. Neighbouring
            // troughs differ by the noise whatever the fit does, once the
            // trend's share of each difference (the median rate between
            // neighbours, times their distance: a missed fall leaves a wider
            // gap) is taken out.
            let n = workValues.count
            var rates: [Double] = [], neighbours: [Double] = []
            for i in 1..<n {
                let gap: Double = max(1, workTimes[i] - workTimes[i - 1])
                rates.append((workValues[i] - workValues[i - 1]) / gap)
            }
            let rate = RobustStatistics.medianInPlace(&rates)
            for i in 1..<n {
                let gap: Double = workTimes[i] - workTimes[i - 1]
                neighbours.append(workValues[i] - workValues[i - 1] - rate * gap)
            }
            fitNoise = max(fitNoise, RobustStatistics.robustSpread(neighbours) / 2.0.squareRoot())
        }
        let fitAutocorrelation = min(0.95, max(0, RobustStatistics.lag1Autocorrelation(fitResiduals)))
        /// Standard error of a segment's slope, from the fit's noise.
        func slopeError(_ s: Segmentation.Segment) -> Double {
            let lo = reduced.firstTimes[s.start], hi = s.end < m ? reduced.firstTimes[s.end] : .infinity
            let ts = workTimes.filter { $0 >= lo && $0 < hi }
            guard ts.count >= 2 else { return .infinity }
            return Self.slopeStandardError(times: ts, noise: fitNoise, autocorrelation: fitAutocorrelation)
        }
        // The fitted model's net rate over the whole series: its growth from
        // the first sample to the last over the span (what a run that does
        // not leak did), with the error of one line through all of it.
        if let firstT = workTimes.first, let lastT = workTimes.last, lastT > firstT,
           let head = fit.segments.first, let tail = fit.segments.last {
            verdict.netRateBytesPerHour = (tail.value(at: lastT) - head.value(at: firstT)) / (lastT - firstT) * 3_600_000
            let error = Self.slopeStandardError(times: workTimes, noise: fitNoise, autocorrelation: fitAutocorrelation)
            verdict.netRateErrorBytesPerHour = error.isFinite ? error * 3_600_000 : nil
        }
        var regimeFirst = fit.segments.count - 1
        while regimeFirst > 0 {
            let earlier = fit.segments[regimeFirst - 1], later = fit.segments[regimeFirst]
            guard earlier.slope > 0, later.slope > 0 else { break }
            let ratio = earlier.slope / later.slope
            let alike = ratio <= similarRateFactor && ratio >= 1 / similarRateFactor
            // A change of rate the noise could have made is no change.
            // (the earlier segment must itself rise clearly: a flat stretch
            // before a young leak is where the leak began, not part of it).
            let indistinct = earlier.slope >= 2 * slopeError(earlier) && abs(earlier.slope - later.slope)
                <= knotSignificance * (slopeError(earlier) * slopeError(earlier) + slopeError(later) * slopeError(later)).squareRoot()
            guard alike || indistinct else { break }
            regimeFirst -= 1
        }
        let regimeStartIndex = fit.segments[regimeFirst].start
        let regimeStartMs = reduced.firstTimes[regimeStartIndex]
        verdict.segments = fit.segments.map { s in
            let start = reduced.firstTimes[s.start], end = reduced.times[s.end - 1]
            return TrendVerdict.Segment(startMs: Int64(clampingDouble: start), endMs: Int64(clampingDouble: end), rateBytesPerHour: s.slope * 3_600_000,
                                        startBytes: Int64(clampingDouble: s.value(at: start).rounded()), endBytes: Int64(clampingDouble: s.value(at: end).rounded()))
        }
        // 4. The regime's own robust fit.
        let first = workTimes.firstIndex { $0 >= regimeStartMs } ?? 0
        let (rt, rv) = Self.thinned(Array(workTimes[first...]), Array(workValues[first...]), maxPoints: maxFitPoints)
        var regime = Self.robustFit(times: rt, values: rv, noiseFloor: fitNoise)
        // A regime whose rate changes part-way bends: around one straight
        // line through it the residuals move together because of the bend,
        // not the noise, and read as noise correlation they leave a handful
        // of "effective samples" for a rise far out of the noise. The noise's
        // own correlation is read where the bend does not reach: around the
        // segments when the regime was merged from several, and from the
        // sample-to-sample differences (for AR(1) noise of correlation ρ
        // their lag-1 correlation is −(1 − ρ)/2, whatever a smooth trend
        // does), whichever is lower; never above the line's own.
        var rho = regime.autocorrelation
        if regimeFirst < fit.segments.count - 1 {
            let (_, pieceResiduals) = Self.thinned(Array(workTimes[first...]), Array(fitResiduals[first...]), maxPoints: maxFitPoints)
            rho = min(rho, max(0, RobustStatistics.lag1Autocorrelation(pieceResiduals)))
        }
        if rv.count >= Self.minDifferencedPoints {
            let differences = (1..<rv.count).map { rv[$0] - rv[$0 - 1] }
            rho = min(rho, max(0, 1 + 2 * RobustStatistics.lag1Autocorrelation(differences)))
        }
        if rho < regime.autocorrelation {
            // The same line and noise, fewer effective samples' worth of doubt.
            regime = Self.reweighted(regime, times: rt, noiseFloor: fitNoise, autocorrelation: rho)
        }
        // Phase-corrected troughs may carry a trend from a period known only
        // so well (`Envelope.regularTroughs`): it adds to the slope's error.
        // (It is the same in every part of the series, so the tail and knot
        // comparisons, which subtract two slopes, do not carry it.)
        if trendUncertainty > 0 {
            regime.standardError = (regime.standardError * regime.standardError + trendUncertainty * trendUncertainty).squareRoot()
            regime.t = regime.slope / regime.standardError
        }
        let regimeSpanMs = (rt.last ?? 0) - (rt.first ?? 0)
        let growth = regime.slope * regimeSpanMs
        let level = RobustStatistics.median(rv)
        let perHour = 3_600_000.0
        verdict.regimeStartMs = Int64(clampingDouble: regimeStartMs)
        verdict.rateBytesPerHour = regime.slope * perHour
        verdict.rateErrorBytesPerHour = regime.standardError.isFinite ? regime.standardError * perHour : nil
        verdict.ratePercentPerHour = level > 0 ? regime.slope * perHour / level * 100 : 0
        verdict.growthSinceOnsetBytes = Int64(clampingDouble: growth.rounded())
        verdict.noiseBytes = Int64(clampingDouble: regime.noise.rounded())
        if let limit = memoryLimitBytes, regime.slope > 0, let last = series.points.last {
            verdict.timeToLimitSecs = max(0, (Double(limit) - Double(last.bytes)) / regime.slope / 1000)
        }

        let since = regimeStartIndex == 0 ? "over the window" : "since \(AnalysisText.timestamp(ms: Int64(clampingDouble: regimeStartMs)))"
        let rate = AnalysisText.rate(bytesPerHour: regime.slope * perHour)
        // Degrees of freedom of the noise the t statistic divides by: the
        // regime's own residuals, or — where the whole fit's noise is the
        // larger and so is what the error uses — the whole fit's residuals
        // (its points less the fit's parameters), which estimate it far
        // better than a young regime of a few troughs can.
        var noiseDegrees = regime.effectiveCount - 2
        if fitNoise >= regime.noise {
            let fitEffective = Double(workTimes.count) * (1 - fitAutocorrelation) / (1 + fitAutocorrelation)
            noiseDegrees = max(noiseDegrees, fitEffective - Double(fit.segments.count + 1))
        }
        let tCrit = RobustStatistics.tCritical(df: noiseDegrees)
        let rises = regime.slope > 0 && regime.t >= tCrit

        // A step: the segment before the regime is short and rose far out of
        // the noise, and the regime after it does not rise.
        var jump = 0.0
        var stepped = false
        if regimeFirst > 0 {
            let previous = fit.segments[regimeFirst - 1]
            jump = previous.slope * (reduced.times[previous.end - 1] - reduced.times[previous.start])
            stepped = previous.end - previous.start <= 2 * minLength && jump > max(3 * fitNoise, Double(growthFloorBytes)) && !rises
        }

        // The tail of the regime against what came before it: still rising,
        // or significantly flatter (a plateau, growth that decays)? Noise
        // alone never ends a leak.
        let tailStart = (rt.last ?? 0) - tailFraction * regimeSpanMs
        let tailIndex = rt.firstIndex { $0 >= tailStart } ?? rt.count
        let tail = rt.count - tailIndex >= Self.minTailPoints && tailIndex >= Self.minTailPoints
            ? Self.robustFit(times: Array(rt[tailIndex...]), values: Array(rv[tailIndex...]), noiseFloor: fitNoise) : nil
        let head = tail == nil ? nil
            : Self.robustFit(times: Array(rt[..<tailIndex]), values: Array(rv[..<tailIndex]), noiseFloor: fitNoise)
        let tailSlope = tail?.slope ?? regime.slope
        let reference = max(regime.slope, head?.slope ?? regime.slope)
        func error(_ f: RobustFit?) -> Double { f?.standardError ?? 0 }
        let tailError = (error(tail) * error(tail) + error(head) * error(head)).squareRoot()
        let minTail = tailMinSlopeRatio * reference
        let plateau = tailSlope < minTail && reference - tailSlope > tailSignificance * tailError

        let checks: [TrendCheck] = [
            TrendCheck(.step, passed: !stepped,
                       detail: stepped
                           ? "a level shift of \(AnalysisText.signedSize(jump)) before \(AnalysisText.timestamp(ms: Int64(clampingDouble: regimeStartMs))), then \(rate)"
                           : (regimeFirst > 0 ? "no short jump into the regime" : "one regime \(since)"),
                       figures: ["jump_bytes": jump]),
            TrendCheck(.slope, passed: regime.slope > 0,
                       detail: "\(subject) \(rate) \(since)",
                       figures: ["rate_bytes_per_hour": regime.slope * perHour]),
            TrendCheck(.growthFloor, passed: growth >= Double(growthFloorBytes),
                       detail: "\(AnalysisText.signedSize(growth)) \(since) vs a floor of \(AnalysisText.size(Double(growthFloorBytes)))",
                       figures: ["growth_bytes": growth, "floor_bytes": Double(growthFloorBytes)]),
            TrendCheck(.noise, passed: rises,
                       detail: "t = \(DecimalText.fixed(min(regime.t, 1e6), 1)) vs \(DecimalText.fixed(tCrit, 1)) needed for \(DecimalText.fixed(regime.effectiveCount, 0)) effective samples; noise ±\(AnalysisText.size(regime.noise))",
                       figures: ["t": regime.t, "t_needed": tCrit, "effective_samples": regime.effectiveCount,
                                 "noise_bytes": regime.noise, "autocorrelation": regime.autocorrelation,
                                 "period_uncertainty_bytes_per_hour": trendUncertainty * perHour]),
            TrendCheck(.tail, passed: !plateau,
                       detail: "the last \(DecimalText.fixed(tailFraction * 100, 0))% of the regime \(AnalysisText.rate(bytesPerHour: tailSlope * perHour)) vs \(AnalysisText.rate(bytesPerHour: (head?.slope ?? regime.slope) * perHour)) before it, ± \(AnalysisText.rate(bytesPerHour: tailError * perHour).dropFirst()) (a plateau when below \(AnalysisText.rate(bytesPerHour: minTail * perHour)) by more than \(DecimalText.fixed(tailSignificance, 0))×)",
                       figures: ["tail_rate_bytes_per_hour": tailSlope * perHour, "tail_error_bytes_per_hour": tailError * perHour,
                                 "need_bytes_per_hour": minTail * perHour]),
        ]
        verdict.checks += checks
        let envelopeNote = verdict.envelope.map {
            " [read from the lower envelope: \($0.troughs) troughs of a sawtooth of \(AnalysisText.size(Double($0.amplitudeBytes))) every \(AnalysisText.duration(ms: $0.periodSecs * 1000))]"
        } ?? ""
        if let failed = checks.first(where: { !$0.passed }) {
            verdict.status = .notLeaking
            verdict.rejectedBy = failed.kind
            verdict.explanation = "not leaking: \(failed.kind.reason(subject: subject)) — \(failed.detail)"
        } else {
            verdict.status = .leaking
            verdict.growingSinceMs = Int64(clampingDouble: regimeStartMs)
            var text = "leaking: \(subject) grows \(rate) \(since) (\(AnalysisText.signedSize(growth)) in \(AnalysisText.duration(ms: regimeSpanMs))), still rising at the end"
            if let secs = verdict.timeToLimitSecs {
                text += "; the memory limit is reached in about \(AnalysisText.duration(ms: secs * 1000))"
            }
            verdict.explanation = text
        }
        verdict.explanation += envelopeNote
        if analysis == .joinedRuns {
            verdict.explanation += " [\(joined.runCount) runs joined at their restarts]"
        }
        return verdict
    }

    /// A robust line through a regime and what it says about significance.
    package struct RobustFit {
        var slope: Double
        var noise: Double
        var autocorrelation: Double
        var effectiveCount: Double
        /// The slope's standard error (residual spread, autocorrelation allowed for).
        var standardError: Double
        /// The slope over its standard error.
        var t: Double
    }

    /// `noiseFloor`: the least noise the standard error assumes (the whole fit's).
    /// `autocorrelation`: the noise's lag-1 correlation when known better than
    /// from the residuals around this one line (a bent regime's).
    /// The fewest regime points whose differences estimate the noise's correlation.
    static package let minDifferencedPoints = 30

    static package func robustFit(times: [Double], values: [Double], noiseFloor: Double = 0,
                                  autocorrelation: Double? = nil) -> RobustFit {
        let n = times.count
        guard n >= 2 else {
            return RobustFit(slope: 0, noise: 0, autocorrelation: 0, effectiveCount: Double(n), standardError: .infinity, t: 0)
        }
        let slope = RobustStatistics.theilSenSlope(times: times[...], values: values[...])
        var offsets = (0..<n).map { values[$0] - slope * times[$0] }
        let intercept = RobustStatistics.medianInPlace(&offsets)
        let residuals = (0..<n).map { values[$0] - (intercept + slope * times[$0]) }
        var absolute = residuals.map(abs)
        let noise = 1.4826 * RobustStatistics.medianInPlace(&absolute)
        // Neighbouring residuals that move together carry less information:
        // the effective sample count shrinks by (1 − ρ) / (1 + ρ).
        let rho = autocorrelation ?? min(0.95, max(0, RobustStatistics.lag1Autocorrelation(residuals)))
        return reweighted(RobustFit(slope: slope, noise: noise, autocorrelation: rho, effectiveCount: Double(n), standardError: .infinity, t: 0),
                          times: times, noiseFloor: noiseFloor, autocorrelation: rho)
    }

    /// `fit` (of the points at `times`) with the noise's lag-1 correlation
    /// taken as `rho`: the same slope and noise, its effective sample count,
    /// standard error and t recomputed — what `robustFit` with that
    /// `autocorrelation` gives, without fitting the line again.
    static package func reweighted(_ fit: RobustFit, times: [Double], noiseFloor: Double, autocorrelation rho: Double) -> RobustFit {
        let inflation = (1 + rho) / (1 - rho)
        let standardError = slopeStandardError(times: times, noise: max(fit.noise, noiseFloor), autocorrelation: rho)
        let t = standardError > 0 ? fit.slope / standardError : (fit.slope > 0 ? .infinity : 0)
        return RobustFit(slope: fit.slope, noise: fit.noise, autocorrelation: rho, effectiveCount: Double(times.count) / inflation,
                         standardError: standardError, t: t)
    }

    /// The standard error of a slope fitted at `times` to residuals of spread
    /// `noise` whose lag-1 autocorrelation is `autocorrelation`: noise / √Sxx,
    /// inflated by √((1 + ρ) / (1 − ρ)); infinite when the times do not spread.
    static package func slopeStandardError(times: [Double], noise: Double, autocorrelation rho: Double) -> Double {
        guard !times.isEmpty else { return .infinity }
        let mean = times.reduce(0, +) / Double(times.count)
        let sxx = times.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return sxx > 0 ? noise / sxx.squareRoot() * ((1 + rho) / (1 - rho)).squareRoot() : .infinity
    }

    /// At most `maxPoints` points: medians of consecutive blocks (robust to a
    /// spike), each at its block's mean time; `firstTimes` is each block's first sample.
    static package func blockMedians(times: [Double], values: [Double], maxPoints: Int)
        -> (times: [Double], values: [Double], firstTimes: [Double]) {
        let n = times.count
        guard n > maxPoints else { return (times, values, times) }
        let blocks = maxPoints
        var outT: [Double] = [], outV: [Double] = [], outFirst: [Double] = []
        outT.reserveCapacity(blocks)
        outV.reserveCapacity(blocks)
        outFirst.reserveCapacity(blocks)
        var block: [Double] = []
        for b in 0..<blocks {
            let lo = b * n / blocks, hi = (b + 1) * n / blocks
            guard hi > lo else { continue }
            block.removeAll(keepingCapacity: true)
            var sumT = 0.0
            for i in lo..<hi {
                block.append(values[i])
                sumT += times[i]
            }
            outT.append(sumT / Double(hi - lo))
            outV.append(RobustStatistics.medianInPlace(&block))
            outFirst.append(times[lo])
        }
        return (outT, outV, outFirst)
    }

    static package func thinned(_ times: [Double], _ values: [Double], maxPoints: Int) -> ([Double], [Double]) {
        guard times.count > maxPoints else { return (times, values) }
        let step = Double(times.count - 1) / Double(maxPoints - 1)
        let idx = (0..<maxPoints).map { Int((Double($0) * step).rounded()) }
        return (idx.map { times[$0] }, idx.map { values[$0] })
    }
}
