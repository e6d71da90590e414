import Foundation

/// The statistics the trend verdict is built from: medians, Theil–Sen
/// slopes, spreads, autocorrelation and Student's t. Inputs are plain arrays; times in ms, values in bytes.
package enum RobustStatistics {
    /// The median of `values` (mean of the two middle ones for an even count); 0 when empty.
    static package func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        var copy = values
        return medianInPlace(&copy)
    }

    /// The median, reordering `values` (Floyd–Rivest selection, linear on average).
    static package func medianInPlace(_ values: inout [Double]) -> Double {
        let n = values.count
        guard n > 0 else { return 0 }
        if n % 2 == 1 { return select(&values, n / 2) }
        let (lower, upper) = selectWithPrevious(&values, n / 2)
        return (lower + upper) / 2
    }

    /// The k-th smallest (k ≥ 1) and the (k − 1)-th: after the selection
    /// every value before index k is no larger, so the (k − 1)-th is their largest.
    static package func selectWithPrevious(_ values: inout [Double], _ k: Int) -> (previous: Double, kth: Double) {
        precondition(k >= 1, "selectWithPrevious: rank \(k) has none before it")
        let kth = select(&values, k)
        var previous = values[0]
        for i in 1..<k where values[i] > previous { previous = values[i] }
        return (previous, kth)
    }

    /// The k-th smallest element (0-based), partially sorting `values` around it.
    static package func select(_ values: inout [Double], _ k: Int) -> Double {
        values.withUnsafeMutableBufferPointer { select($0, k) }
    }

    /// The k-th smallest (0-based) of `values`, reordering them around it:
    /// none before index k is larger, none after it smaller.
    ///
    /// Floyd and Rivest's selection: a range of more than 600 values first
    /// selects, recursively, from a sample of it the value that should land
    /// at k, so the partition around it leaves only a sliver either side of k
    /// to go on with: about n + min(k, n − k) comparisons against
    /// quickselect's 3.4 n, which the medians of Theil–Sen's pairs spend most on.
    static package func select(_ values: UnsafeMutableBufferPointer<Double>, _ k: Int) -> Double {
        precondition(k >= 0 && k < values.count, "select: rank \(k) of \(values.count) values")
        select(values, k, from: 0, through: values.count - 1)
        return values[k]
    }

    /// Floyd–Rivest on `values[left...right]`, which holds index k.
    private static func select(_ a: UnsafeMutableBufferPointer<Double>, _ k: Int, from left: Int, through right: Int) {
        var left = left, right = right
        while right > left {
            if right - left > 600 {
                // Sample about n^(2/3) of the range around k's share of it, and select k there first.
                let n = Double(right - left + 1), i = Double(k - left + 1)
                let z = log(n)
                let s = 0.5 * exp(2 * z / 3)
                let sd = 0.5 * (z * s * (n - s) / n).squareRoot() * (i - n / 2 < 0 ? -1 : 1)
                let newLeft = max(left, Int(Double(k) - i * s / n + sd))
                let newRight = min(right, Int(Double(k) + (n - i) * s / n + sd))
                select(a, k, from: newLeft, through: newRight)
            }
            // Partition around t = a[k], parked at a[right]: the values below
            // t to the front. Each value is swapped to the front end and the
            // end moves on when it was smaller: no branch on the comparison,
            // whose outcome a processor cannot guess (the scans of Hoare's
            // partition mispredicted about every other step).
            let t = a[k]
            a.swapAt(k, right)
            var p = left, equal = 0
            for i in left..<right {
                let x = a[i]
                a[i] = a[p]
                a[p] = x
                p &+= Int(unsafeBitCast(x < t, to: UInt8.self))
                equal &+= Int(unsafeBitCast(x == t, to: UInt8.self))
            }
            a.swapAt(p, right)
            // a[p] == t, in its place: go on with the side that holds k.
            if k == p { return }
            if k < p {
                right = p - 1
                continue
            }
            left = p + 1
            // Many copies of t (a flat series' zero slopes): gather them
            // after it, or each round would set aside only one.
            if equal > (right - left + 1) / 8 {
                var q = left
                for i in left...right {
                    let x = a[i]
                    a[i] = a[q]
                    a[q] = x
                    q &+= Int(unsafeBitCast(x <= t, to: UInt8.self))
                }
                if k < q { return }
                left = q
            }
        }
    }

    /// Theil–Sen slope: the median of the slopes between every pair of points
    /// with distinct times, in value units per ms. Robust to up to ~29% outliers.
    static package func theilSenSlope(times: ArraySlice<Double>, values: ArraySlice<Double>) -> Double {
        TheilSen.slope(times: times, values: values)
    }

    /// 1.4826 × the median absolute deviation from the median: the standard
    /// deviation of normal noise, unmoved by a minority of outliers.
    static package func robustSpread(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let centre = median(values)
        var deviations = values.map { abs($0 - centre) }
        return 1.4826 * medianInPlace(&deviations)
    }

    /// Lag-1 autocorrelation of `values` (in time order), 0 for fewer than 3.
    static package func lag1Autocorrelation(_ values: [Double]) -> Double {
        guard values.count >= 3 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        var num = 0.0, den = 0.0
        for i in values.indices {
            let d = values[i] - mean
            den += d * d
            if i > 0 { num += d * (values[i - 1] - mean) }
        }
        return den > 0 ? num / den : 0
    }

    /// The one-sided 0.05% critical value of Student's t with `df` degrees of
    /// freedom (two-sided 0.1%), interpolated from the standard table: the
    /// bar a slope's t statistic must clear. Few points need a much larger t.
    static package func tCritical(df: Double) -> Double {
        let table: [(Double, Double)] = [
            (1, 636.6), (2, 31.60), (3, 12.92), (4, 8.610), (5, 6.869), (6, 5.959), (7, 5.408), (8, 5.041),
            (9, 4.781), (10, 4.587), (12, 4.318), (15, 4.073), (20, 3.850), (30, 3.646), (60, 3.460),
            (120, 3.373), (1_000_000, 3.291),
        ]
        guard df > 1 else { return table[0].1 }
        for i in 1..<table.count where df <= table[i].0 {
            let (d0, t0) = table[i - 1], (d1, t1) = table[i]
            // Interpolate in 1/df, in which t is close to linear.
            let f = (1 / d0 - 1 / df) / (1 / d0 - 1 / d1)
            return t0 + (t1 - t0) * f
        }
        return table.last!.1
    }
}

