/// The Theil–Sen slope without the quadratic buffer: the same median of
/// pair slopes as sorting every one of them, found by bracketing it first.
///
/// A couple of thousand pairs drawn at random (with a fixed seed) give two
/// slopes that, with near certainty, hold the median between them; one pass over all pairs then
/// counts those below the bracket and keeps only those inside it (a few
/// percent), and the median is selected among those. The pass compares
/// `Δv` with `slope × Δt` (no division) and divides only for pairs within a
/// hair of an edge, so every slope it counts or keeps is classified exactly
/// as the full sort would. When the bracket misses the median (or times go
/// backwards), the full computation runs instead: the answer is always the
/// exact Theil–Sen slope.
package enum TheilSen {
    /// Below this many points the full computation is as cheap.
    static package let bracketFrom = 96

    /// The median of the slopes between every pair of points with distinct
    /// times, in value units per time unit; 0 for fewer than two points.
    static package func slope(times: ArraySlice<Double>, values: ArraySlice<Double>) -> Double {
        let n = times.count
        guard n >= 2 else { return 0 }
        let t = Array(times), v = Array(values)
        if n >= bracketFrom, let bracketed = bracketedMedian(t, v) { return bracketed }
        return fullMedian(t, v)
    }

    /// Every pair slope, then their median.
    static package func fullMedian(_ t: [Double], _ v: [Double]) -> Double {
        let n = t.count
        var slopes: [Double] = []
        slopes.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<(n - 1) {
            for j in (i + 1)..<n {
                let dt = t[j] - t[i]
                if dt != 0 { slopes.append((v[j] - v[i]) / dt) }
            }
        }
        return RobustStatistics.medianInPlace(&slopes)
    }

    /// The median by bracketing, or nil when the bracket missed it (or the times are not in order).
    static package func bracketedMedian(_ t: [Double], _ v: [Double]) -> Double? {
        let n = t.count
        for i in 1..<n where t[i] < t[i - 1] { return nil }
        let total = n * (n - 1) / 2
        // A sample of pairs drawn at random (a fixed seed: the same series
        // gives the same bracket). An even stride through the triangle is
        // not a fair sample: on a line with noise its median sat several
        // standard errors off, and the exact fallback ran.
        let wanted = min(2048, total)
        var sample: [Double] = []
        sample.reserveCapacity(wanted)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        for _ in 0..<wanted {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let r = state >> 16
            let a = Int(r % UInt64(n)), b0 = Int((r / UInt64(n)) % UInt64(n - 1))
            let b = b0 >= a ? b0 + 1 : b0
            let i = min(a, b), j = max(a, b)
            let dt = t[j] - t[i]
            if dt != 0 { sample.append((v[j] - v[i]) / dt) }
        }
        guard sample.count >= 64 else { return nil }
        // ±5 standard errors of the sample's median rank: the true median
        // falls outside only for a pathological order of the pairs.
        let s = sample.count
        let margin = Int((5 * (Double(s) * 0.25).squareRoot()).rounded(.up))
        let loRank = max(0, s / 2 - margin), hiRank = min(s - 1, s / 2 + margin)
        guard loRank > 0 || hiRank < s - 1 else { return nil }
        let lo = select(&sample, loRank), hi = select(&sample, hiRank)
        guard lo.isFinite, hi.isFinite, lo <= hi else { return nil }
        // A pair whose slope is within this hair of an edge is divided out to be sure of its side.
        let slackLo = abs(lo) * 1e-9, slackHi = abs(hi) * 1e-9
        let surelyBelow = lo - slackLo, maybeBelow = lo + slackLo
        let maybeAbove = hi - slackHi, surelyAbove = hi + slackHi
        var below = 0, pairs = 0
        var inside: [Double] = []
        inside.reserveCapacity(total / 8)
        t.withUnsafeBufferPointer { t in
            v.withUnsafeBufferPointer { v in
                for i in 0..<(n - 1) {
                    let ti = t[i], vi = v[i]
                    for j in (i + 1)..<n {
                        let dt = t[j] - ti
                        if dt == 0 { continue }
                        pairs += 1
                        let dv = v[j] - vi
                        // Nine pairs in ten are surely below or surely above the
                        // bracket, in no predictable order: counted without a branch,
                        // and only the few in between take one.
                        let surelyLow = dv < surelyBelow * dt, surelyHigh = dv > surelyAbove * dt
                        below &+= surelyLow ? 1 : 0
                        if surelyLow || surelyHigh { continue }
                        if dv <= maybeBelow * dt || dv >= maybeAbove * dt {
                            let slope = dv / dt
                            if slope < lo { below += 1 } else if slope <= hi { inside.append(slope) }
                        } else {
                            inside.append(dv / dt)
                        }
                    }
                }
            }
        }
        let upper = pairs / 2, lower = pairs % 2 == 1 ? upper : upper - 1
        guard pairs > 0, below <= lower, upper < below + inside.count else { return nil }
        let high = select(&inside, upper - below)
        guard lower != upper else { return high }
        // After the selection everything before `upper - below` is ≤ high: the lower middle is their max.
        var low = -Double.infinity
        for k in 0..<(upper - below) where inside[k] > low { low = inside[k] }
        return (low + high) / 2
    }

    /// The k-th smallest (0-based), reordering `values` around it.
    static package func select(_ values: inout [Double], _ k: Int) -> Double {
        RobustStatistics.select(&values, k)
    }
}
