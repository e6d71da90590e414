/// The lower envelope of an oscillating series: memory after each collection.
///
/// A garbage-collected heap (JVM, Go, Node, Python arenas), a batch job's
/// spikes or a cache flushed on a timer rise and fall back again and again.
/// The residuals of such a sawtooth are not noise, and its peaks say nothing
/// about a leak: the trend lives in the troughs. A *fall* is a run of
/// consecutive decreasing samples whose total drop stands far out of the
/// sample-to-sample jitter; each fall ends a cycle, and the lowest sample
/// after a fall and before the next one is that cycle's trough.
package struct Envelope: Sendable, Equatable {
    /// Trough times and values, one per complete cycle.
    package var times: [Double]
    package var values: [Double]
    /// Falls found; the series has `falls` troughs.
    package var falls: Int
    /// Median time between falls, in ms.
    package var periodMs: Double
    /// Median size of a fall, in bytes.
    package var amplitudeBytes: Double
    /// Troughs were moved to their fall instants along a regular, straight rise (see `regularTroughs`).
    package var phaseCorrected: Bool
    /// How far off the troughs' trend may be, in bytes per ms, from what the
    /// period is not known to: 0 for raw troughs.
    package var trendUncertainty: Double = 0

    /// A fall must exceed this many times the robust spread of the
    /// sample-to-sample differences. Pure noise of n samples spans about
    /// 4.3 such spreads at n = 1000, so noise never makes a fall.
    static package let fallFactor = 6.0
    /// Fewest falls for the envelope to be used: fewer troughs would leave too
    /// few points for a trend, and one or two drops are events, not a cycle.
    static package let minFalls = 4

    /// The envelope of `values` (times in ms), or `nil` when the series does not oscillate.
    static package func find(times: [Double], values: [Double]) -> Envelope? {
        let n = values.count
        guard n >= 2 * minFalls + 2 else { return nil }
        var diffs = [Double](repeating: 0, count: n - 1)
        for i in 1..<n { diffs[i - 1] = values[i] - values[i - 1] }
        let jitter = risingSpread(diffs)
        // A perfectly quiet series (quantised RSS) still needs a real drop: a page is 4 KiB.
        let threshold = max(fallFactor * jitter, 64 * 1024)

        // Falls: maximal runs of negative differences, with their total drop.
        var fallStarts: [Int] = []    // index of the sample at the top of each fall
        var fallEnds: [Int] = []      // index of the sample at the bottom of each fall
        var fallSizes: [Double] = []
        var fallTimes: [Double] = []
        var fallSteps: [Int] = []     // index of the sample just after the largest single drop of each fall
        var i = 0
        while i < n - 1 {
            guard diffs[i] < 0 else { i += 1; continue }
            var j = i
            var drop = 0.0
            var steepest = i
            while j < n - 1 && diffs[j] < 0 {
                drop -= diffs[j]
                if diffs[j] < diffs[steepest] { steepest = j }
                j += 1
            }
            if drop >= threshold {
                fallStarts.append(i)
                fallEnds.append(j)
                fallSteps.append(steepest + 1)
                fallSizes.append(drop)
                fallTimes.append(times[j])
            }
            i = j
        }
        guard fallEnds.count >= minFalls else { return nil }

        var gaps = zip(fallTimes.dropFirst(), fallTimes).map { $0 - $1 }
        let period = RobustStatistics.medianInPlace(&gaps)
        let amplitude = RobustStatistics.median(fallSizes)
        if let regular = regularTroughs(times: times, values: values, fallSteps: fallSteps,
                                        period: period, amplitude: amplitude) {
            return Envelope(times: regular.times, values: regular.values, falls: fallEnds.count, periodMs: period,
                            amplitudeBytes: amplitude, phaseCorrected: true, trendUncertainty: regular.trendUncertainty)
        }

        var troughTimes: [Double] = []
        var troughValues: [Double] = []
        for (k, start) in fallEnds.enumerated() {
            let end = k + 1 < fallEnds.count ? fallStarts[k + 1] : n - 1
            var best = start
            var index = start
            // The cycle runs from the bottom of this fall to the top of the next one.
            while index <= end {
                if values[index] < values[best] { best = index }
                index += 1
            }
            troughTimes.append(times[best])
            troughValues.append(values[best])
        }
        return Envelope(times: troughTimes, values: troughValues, falls: fallEnds.count,
                        periodMs: period, amplitudeBytes: amplitude, phaseCorrected: false)
    }

    /// The spread of the sample-to-sample differences, read from those at or
    /// above their median: the falls sit in the lower tail, a fifth of the
    /// differences of a short tooth, and would widen a spread taken about
    /// both sides, raising the bar until most falls no longer clear it. For
    /// symmetric noise it is the usual robust spread (1.4826 × the median of
    /// the upper half's distances from the median).
    static package func risingSpread(_ diffs: [Double]) -> Double {
        guard !diffs.isEmpty else { return 0 }
        let centre = RobustStatistics.median(diffs)
        var above = diffs.compactMap { $0 >= centre ? $0 - centre : nil }
        return 1.4826 * RobustStatistics.medianInPlace(&above)
    }

    /// Troughs of a *regular* sawtooth, corrected for where the samples fell
    /// in each cycle.
    ///
    /// The lowest sample after a fall is not the trough: the fall happened
    /// somewhere in the sampling step before it, and memory has been rising
    /// since. That offset differs from cycle to cycle (a cycle of 2.2 min
    /// sampled every 10 s drifts 2 s a cycle), so raw troughs carry an error of
    /// up to one step's worth of the tooth's rise, correlated from cycle to
    /// cycle — for a tooth rising 34 MiB a minute sampled every 15 s, ±4 MiB,
    /// which buries a leak of 50 MiB/h for half an hour.
    ///
    /// When the falls keep a period (each fall's instant, known only to within
    /// its sampling step, lies on one line `t0 + k·P`), the instants are known
    /// far better than any one step: every bracket bounds the line, and as the
    /// sampling phase drifts through the step the brackets together pin it
    /// to a small part of a step. When the cycle between falls is a
    /// straight rise, each sample of the cycle's first half, moved back along
    /// the rise to its fall, gives the trough; their median is the trough
    /// value at the fall instant. Neither holds for a GC whose period wanders
    /// or for spikes and plateaus: then `nil`, and the raw troughs are used.
    static package func regularTroughs(times: [Double], values: [Double], fallSteps: [Int],
                               period: Double, amplitude: Double)
        -> (times: [Double], values: [Double], trendUncertainty: Double)? {
        let falls = fallSteps.count
        guard falls >= minFalls, period > 0 else { return nil }
        // The bracket of each fall: the step of its largest drop (a fall
        // that noise extends by a sample still dropped in that one step).
        let low = fallSteps.map { times[$0 - 1] }, high = fallSteps.map { times[$0] }
        var widths = zip(high, low).map { $0 - $1 }
        let step = RobustStatistics.medianInPlace(&widths)
        guard step > 0, step < period / 2 else { return nil }
        // Cycle numbers, counted fall to fall (a fall the threshold missed leaves a gap of two).
        var cycles = [0.0]
        for k in 1..<falls {
            let gap = ((low[k] + high[k]) - (low[k - 1] + high[k - 1])) / 2
            cycles.append(cycles[k - 1] + max(1, (gap / period).rounded()))
        }
        guard Set(cycles).count == falls else { return nil }
        // The instants t0 + c·P that every bracket holds: for a period P the
        // origins allowed lie between the largest `low − c·P` and the smallest
        // `high − c·P`; that interval's width is concave in P, so a ternary
        // search finds the period that leaves the most room.
        func room(_ p: Double) -> (lower: Double, upper: Double) {
            var lower = -Double.infinity, upper = Double.infinity
            for k in 0..<falls {
                lower = max(lower, low[k] - cycles[k] * p)
                upper = min(upper, high[k] - cycles[k] * p)
            }
            return (lower, upper)
        }
        func width(_ p: Double) -> Double { let r = room(p); return r.upper - r.lower }
        var a = period - step, b = period + step
        for _ in 0..<80 {
            let m1 = a + (b - a) / 3, m2 = b - (b - a) / 3
            if width(m1) < width(m2) { a = m1 } else { b = m2 }
        }
        let roomiest = (a + b) / 2
        let widest = width(roomiest)
        // Regular: the brackets agree on one line, give or take a quarter step.
        guard widest >= -step / 4 else { return nil }
        // The periods the brackets allow (those that leave room; where the
        // brackets disagree slightly, those within twice the disagreement).
        // A period off by δ moves the k-th instant by k·δ, and each trough by
        // the rise over that time: a trend of riseRate·δ/P that is not in the
        // memory. When the sampling phase drifts through the step the
        // brackets pin P tightly; when the period is close to a multiple of
        // the step they do not, and the trend is that much less certain — as
        // it is in the raw troughs, whose offsets then drift slowly and draw
        // a trend of their own. The uncertainty is reported as the spread of
        // a uniform error over the allowed half-range (÷√3): even the worst
        // period leaves a flat sawtooth with t ≤ √3, far below the bar.
        let floor = widest >= 0 ? 0 : 2 * widest
        func edge(from inside: Double, to outside: Double) -> Double {
            var inner = inside, outer = outside
            for _ in 0..<60 {
                let middle = (inner + outer) / 2
                if width(middle) >= floor { inner = middle } else { outer = middle }
            }
            return inner
        }
        let shortest = edge(from: roomiest, to: period - 2 * step), longest = edge(from: roomiest, to: period + 2 * step)
        let periodSpread = (longest - shortest) / 2
        // The middle of the allowed periods, and the middle of its room.
        let fittedPeriod = (shortest + longest) / 2
        let best = room(fittedPeriod)
        let origin = (best.lower + best.upper) / 2
        let instants = cycles.map { origin + fittedPeriod * $0 }

        // Each cycle's rise: the samples from the bottom of its fall to the top of the next.
        let n = values.count
        func rise(_ k: Int) -> ClosedRange<Int> { fallSteps[k]...(k + 1 < falls ? fallSteps[k + 1] - 1 : n - 1) }
        // The rise rate, pooled over the complete cycles (each about its own means).
        var sxy = 0.0, sxx = 0.0
        for k in 0..<(falls - 1) {
            let r = rise(k)
            let count = Double(r.count)
            guard r.count >= 2 else { continue }
            var mt = 0.0, mv = 0.0
            for i in r { mt += times[i]; mv += values[i] }
            mt /= count
            mv /= count
            for i in r {
                sxy += (times[i] - mt) * (values[i] - mv)
                sxx += (times[i] - mt) * (times[i] - mt)
            }
        }
        guard sxx > 0 else { return nil }
        let riseRate = sxy / sxx
        guard riseRate > 0 else { return nil }
        // A straight rise: what the line leaves within a cycle is small beside the tooth.
        var straightness: [Double] = []
        var troughValues: [Double] = []
        troughValues.reserveCapacity(falls)
        var moved: [Double] = []
        for k in 0..<falls {
            let r = rise(k)
            moved.removeAll(keepingCapacity: true)
            let half = instants[k] + fittedPeriod / 2
            for i in r where times[i] <= half || i == r.lowerBound {
                moved.append(values[i] - riseRate * (times[i] - instants[k]))
            }
            let trough = RobustStatistics.medianInPlace(&moved)
            troughValues.append(trough)
            if k + 1 < falls {
                for i in r { straightness.append(values[i] - riseRate * (times[i] - instants[k]) - trough) }
            }
        }
        guard RobustStatistics.robustSpread(straightness) <= amplitude / 10 else { return nil }
        return (instants, troughValues, riseRate * periodSpread / fittedPeriod / 3.0.squareRoot())
    }
}
