/// The statistics the trend verdict is built from: medians, Theil–Sen
/// slopes, spreads, autocorrelation and Student's t. Inputs are plain arrays; times in ms, values in bytes.
package enum RobustStatistics {
    /// The median of `values` (mean of the two middle ones for an even count); 0 when empty.
    static package func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        var copy = values
        return medianInPlace(&copy)
    }

    /// The median, reordering `values` (quickselect, linear on average).
    static package func medianInPlace(_ values: inout [Double]) -> Double {
        let n = values.count
        guard n > 0 else { return 0 }
        let upper = select(&values, n / 2)
        if n % 2 == 1 { return upper }
        // After select, everything below index n/2 is ≤ upper: the lower middle is their max.
        var lower = values[0]
        for i in 1..<(n / 2) where values[i] > lower { lower = values[i] }
        return (lower + upper) / 2
    }

    /// The k-th smallest element (0-based), partially sorting `values` around it.
    static package func select(_ values: inout [Double], _ k: Int) -> Double {
        values.withUnsafeMutableBufferPointer { select($0, k) }
    }

    /// The k-th smallest (0-based) of `values`, reordering them around it.
    static package func select(_ values: UnsafeMutableBufferPointer<Double>, _ k: Int) -> Double {
        precondition(k >= 0 && k < values.count, "select: rank \(k) of \(values.count) values")
        var lo = 0
        var hi = values.count - 1
        while lo < hi {
            // Median of three keeps sorted and reversed inputs linear.
            let mid = lo + (hi - lo) / 2
            if values[mid] < values[lo] { values.swapAt(mid, lo) }
            if values[hi] < values[lo] { values.swapAt(hi, lo) }
            if values[hi] < values[mid] { values.swapAt(hi, mid) }
            let pivot = values[mid]
            var i = lo
            var j = hi
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return values[k] }
        }
        return values[k]
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

