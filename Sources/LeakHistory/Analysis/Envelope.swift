/// The lower envelope of an oscillating series: memory after each collection.
///
/// A garbage-collected heap (JVM, Go, Node, Python arenas), a batch job's
/// spikes or a cache flushed on a timer rise and fall back again and again.
/// The residuals of such a sawtooth are not noise, and its peaks say nothing
/// about a leak: the trend lives in the troughs. A *fall* is a run of
/// consecutive decreasing samples whose total drop stands far out of the
/// sample-to-sample jitter; each fall ends a cycle, and the lowest sample
/// after a fall and before the next one is that cycle's trough.
struct Envelope: Sendable, Equatable {
    /// Trough times and values, one per complete cycle.
    var times: [Double]
    var values: [Double]
    /// Falls found; the series has `falls` troughs.
    var falls: Int
    /// Median time between falls, in ms.
    var periodMs: Double
    /// Median size of a fall, in bytes.
    var amplitudeBytes: Double

    /// A fall must exceed this many times the robust spread of the
    /// sample-to-sample differences. Pure noise of n samples spans about
    /// 4.3 such spreads at n = 1000, so noise never makes a fall.
    static let fallFactor = 6.0
    /// Fewest falls for the envelope to be used: fewer troughs would leave too
    /// few points for a trend, and one or two drops are events, not a cycle.
    static let minFalls = 4

    /// The envelope of `values` (times in ms), or `nil` when the series does not oscillate.
    static func find(times: [Double], values: [Double]) -> Envelope? {
        let n = values.count
        guard n >= 2 * minFalls + 2 else { return nil }
        var diffs = [Double](repeating: 0, count: n - 1)
        for i in 1..<n { diffs[i - 1] = values[i] - values[i - 1] }
        let jitter = RobustStatistics.robustSpread(diffs)
        // A perfectly quiet series (quantised RSS) still needs a real drop: a page is 4 KiB.
        let threshold = max(fallFactor * jitter, 64 * 1024)

        // Falls: maximal runs of negative differences, with their total drop.
        var fallStarts: [Int] = []    // index of the sample at the top of each fall
        var fallEnds: [Int] = []      // index of the sample at the bottom of each fall
        var fallSizes: [Double] = []
        var fallTimes: [Double] = []
        var i = 0
        while i < n - 1 {
            guard diffs[i] < 0 else { i += 1; continue }
            var j = i
            var drop = 0.0
            while j < n - 1 && diffs[j] < 0 {
                drop -= diffs[j]
                j += 1
            }
            if drop >= threshold {
                fallStarts.append(i)
                fallEnds.append(j)
                fallSizes.append(drop)
                fallTimes.append(times[j])
            }
            i = j
        }
        guard fallEnds.count >= minFalls else { return nil }

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
        var gaps = zip(fallTimes.dropFirst(), fallTimes).map { $0 - $1 }
        return Envelope(times: troughTimes, values: troughValues, falls: fallEnds.count,
                        periodMs: RobustStatistics.medianInPlace(&gaps),
                        amplitudeBytes: RobustStatistics.median(fallSizes))
    }
}
