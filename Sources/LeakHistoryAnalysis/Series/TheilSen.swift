/// The Theil–Sen slope without the quadratic buffer: the same median of
/// pair slopes as sorting every one of them, found by bracketing it first.
///
/// A couple of thousand pairs drawn at random (with a fixed seed) give two
/// slopes that, with near certainty, hold the median between them. The pairs
/// below the bracket are then counted and those inside it (a few percent)
/// listed by two merge sorts (`inversionMedian`, O(n log n) and the pairs
/// inside), and the median is selected among those. Where that cannot be
/// sure of a pair's side, one pass over every pair does the same, comparing
/// `Δv` with `slope × Δt` (no division) and dividing only for pairs within a
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
        // not a fair sample: under a periodic wobble it falls in step with
        // the period, its median sits off, and the exact fallback runs.
        let wanted = min(2048, total)
        var sample: [Double] = []
        sample.reserveCapacity(wanted)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        // A draw below `bound` from the generator's high bits, by a multiply (no division).
        func draw(below bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state.multipliedFullWidth(by: UInt64(bound)).high)
        }
        for _ in 0..<wanted {
            let a = draw(below: n), b0 = draw(below: n - 1)
            let b = b0 >= a ? b0 + 1 : b0
            let i = min(a, b), j = max(a, b)
            let dt = t[j] - t[i]
            if dt != 0 { sample.append((v[j] - v[i]) / dt) }
        }
        guard sample.count >= 64 else { return nil }
        let s = sample.count
        /// The sample's values ± `z` standard errors of its median rank around the middle.
        func bracket(standardErrors z: Double) -> (lo: Double, hi: Double)? {
            let margin = Int((z * (Double(s) * 0.25).squareRoot()).rounded(.up))
            let loRank = max(0, s / 2 - margin), hiRank = min(s - 1, s / 2 + margin)
            guard loRank > 0 || hiRank < s - 1 else { return nil }
            // The second rank is selected among the values the first left above it.
            let (lo, hi) = sample.withUnsafeMutableBufferPointer { all in
                let lo = RobustStatistics.select(all, loRank)
                guard hiRank > loRank else { return (lo, lo) }
                return (lo, RobustStatistics.select(UnsafeMutableBufferPointer(rebasing: all[(loRank + 1)...]), hiRank - loRank - 1))
            }
            guard lo.isFinite, hi.isFinite, lo <= hi else { return nil }
            return (lo, hi)
        }
        // ±3.5 standard errors first: the median falls outside about once in
        // 2,000 fits, and the pairs inside, which are listed and selected
        // among, are a third fewer than with ±5. Then ±5, outside which only
        // a pathological order of the pairs puts the median.
        if let (lo, hi) = bracket(standardErrors: 3.5), let fast = inversionMedian(t, v, lo: lo, hi: hi) { return fast }
        guard let (lo, hi) = bracket(standardErrors: 5) else { return nil }
        if let fast = inversionMedian(t, v, lo: lo, hi: hi) { return fast }
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
        guard let middle = middle(below: below, pairs: pairs, inside: &inside) else { return nil }
        return middle.low.map { ($0 + middle.high) / 2 } ?? middle.high
    }

    /// The middle of `pairs` slopes, `below` of them under the bracket and
    /// `inside` the ones in it (reordered): the upper middle value, and the
    /// lower one when the count is even; nil when the bracket misses the middle.
    private static func middle(below: Int, pairs: Int, inside: inout [Double]) -> (low: Double?, high: Double)? {
        let upper = pairs / 2, lower = pairs % 2 == 1 ? upper : upper - 1
        guard pairs > 0, below <= lower, upper < below + inside.count else { return nil }
        guard lower != upper else { return (nil, select(&inside, upper - below)) }
        // An even count: below ≤ lower = upper − 1, so the lower middle is in the list too.
        let (low, high) = RobustStatistics.selectWithPrevious(&inside, upper - below)
        return (low, high)
    }

    /// Pairs (x before y in `keys`' order) with keys[x] > keys[y] (keys end sorted).
    static package func strictInversions(_ keys: inout [Double]) -> Int {
        var count = 0
        mergeSort(&keys, rightFirst: { $0 < $1 }) { _, waiting in count += waiting.count }
        return count
    }

    /// A bottom-up merge sort of `keys`: the head of a right run goes first
    /// when `rightFirst(right, left)`, and `passed(right, waiting)` is told
    /// the elements of its left run it went before (the pairs it inverts).
    @inline(__always)
    static func mergeSort<Key>(_ keys: inout [Key], rightFirst: (Key, Key) -> Bool, passed: (Key, ArraySlice<Key>) -> Void) {
        let n = keys.count
        var scratch = keys
        var width = 1
        while width < n {
            var start = 0
            while start < n {
                let mid = min(start + width, n), end = min(start + 2 * width, n)
                var l = start, r = mid, o = start
                while l < mid && r < end {
                    if rightFirst(keys[r], keys[l]) {
                        passed(keys[r], keys[l..<mid])
                        scratch[o] = keys[r]
                        r += 1
                    } else {
                        scratch[o] = keys[l]
                        l += 1
                    }
                    o += 1
                }
                while l < mid { scratch[o] = keys[l]; l += 1; o += 1 }
                while r < end { scratch[o] = keys[r]; r += 1; o += 1 }
                start = end
            }
            swap(&keys, &scratch)
            width *= 2
        }
    }

    /// The median of the pair slopes, given a bracket `lo < hi` that holds
    /// it, without visiting every pair: nil when the bracket misses it or a
    /// pair's side might have been misread (then the pass over every pair decides).
    ///
    /// With `a = v − lo·t` and `b = v − hi·t`, a pair's slope is below `lo`
    /// exactly when `a` falls from the earlier point to the later one, and
    /// inside `[lo, hi]` exactly when the pair is ordered one way by `a` and
    /// the other by `b`. So the pairs below are the inversions of `a` in time
    /// order (counted by a merge sort), and the pairs inside are the
    /// inversions of `b` in the order of `a` (listed by another, each one
    /// once: a few percent of the pairs). Computed `a` and `b` order a pair
    /// as its slope does unless the slope is within `delta` of `lo` or `hi`
    /// (from their rounding error and the least gap between times); such a
    /// pair can only trade places between below and the bottom of the
    /// inside list, or the top of it and above, which leaves the median's
    /// rank unchanged as long as the median is farther than `delta` from
    /// both ends, which is checked.
    static package func inversionMedian(_ t: [Double], _ v: [Double], lo: Double, hi: Double) -> Double? {
        let n = t.count
        guard n >= 2, lo < hi, lo.isFinite, hi.isFinite else { return nil }
        let t0 = t[0]
        var a = [Double](repeating: 0, count: n), b = a
        var bound = 0.0, minGap = Double.infinity
        for i in 0..<n {
            let ti = t[i] - t0
            a[i] = v[i] - lo * ti
            b[i] = v[i] - hi * ti
            bound = max(bound, abs(v[i]) + (abs(lo) + abs(hi)) * abs(ti))
            if i > 0 && t[i] > t[i - 1] { minGap = min(minGap, t[i] - t[i - 1]) }
        }
        guard bound.isFinite, minGap.isFinite else { return nil }
        // A pair is ordered by its computed a (or b) as by its slope unless the slope is within delta of lo (or hi).
        let delta = 16 * Double.ulpOfOne * bound / minGap
        guard hi - lo > 4 * delta else { return nil }
        // Below lo: pairs in time order whose a falls; equal times grouped, each group's a ascending (no pair of it counts).
        var timeOrdered = a
        var pairs = n * (n - 1) / 2
        var start = 0
        while start < n {
            var end = start + 1
            while end < n && t[end] == t[start] { end += 1 }
            if end - start > 1 {
                timeOrdered[start..<end].sort()
                pairs -= (end - start) * (end - start - 1) / 2
            }
            start = end
        }
        let below = strictInversions(&timeOrdered)
        // Inside [lo, hi]: in order of a (ties: b descending), the pairs whose b does not rise.
        var order = Array(0..<n)
        order.sort { a[$0] < a[$1] || (a[$0] == a[$1] && b[$0] > b[$1]) }
        var inside: [Double] = []
        inside.reserveCapacity(pairs / 8)
        // Each element of a right run placed before some of its left run
        // (b no higher than theirs) makes an inside pair with each of them.
        mergeSort(&order, rightFirst: { b[$0] <= b[$1] }) { right, waiting in
            let tr = t[right], vr = v[right]
            for left in waiting {
                let dt = tr - t[left]
                if dt != 0 { inside.append((vr - v[left]) / dt) }
            }
        }
        guard let middle = middle(below: below, pairs: pairs, inside: &inside),
              (middle.low ?? middle.high) > lo + delta, middle.high < hi - delta else { return nil }
        return middle.low.map { ($0 + middle.high) / 2 } ?? middle.high
    }

    /// The k-th smallest (0-based), reordering `values` around it.
    static package func select(_ values: inout [Double], _ k: Int) -> Double {
        RobustStatistics.select(&values, k)
    }
}
