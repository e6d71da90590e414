/// The statistics the trend verdict is built from: medians, Theil–Sen and
/// least-squares slopes. Inputs are plain arrays; times in ms, values in bytes.
enum RobustStatistics {
    /// The median of `values` (mean of the two middle ones for an even count); 0 when empty.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        var copy = values
        return medianInPlace(&copy)
    }

    /// The median, reordering `values` (quickselect, linear on average).
    static func medianInPlace(_ values: inout [Double]) -> Double {
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
    private static func select(_ values: inout [Double], _ k: Int) -> Double {
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
    static func theilSenSlope(times: ArraySlice<Double>, values: ArraySlice<Double>) -> Double {
        let n = times.count
        guard n >= 2 else { return 0 }
        var slopes: [Double] = []
        slopes.reserveCapacity(n * (n - 1) / 2)
        let t = Array(times)
        let v = Array(values)
        for i in 0..<(n - 1) {
            for j in (i + 1)..<n {
                let dt = t[j] - t[i]
                if dt != 0 { slopes.append((v[j] - v[i]) / dt) }
            }
        }
        return medianInPlace(&slopes)
    }

    /// Ordinary least squares: slope (value units per ms), intercept at t = 0 and R².
    static func leastSquares(times: [Double], values: [Double]) -> (slope: Double, intercept: Double, rSquared: Double) {
        let n = Double(times.count)
        guard times.count >= 2 else { return (0, values.first ?? 0, 0) }
        let meanT = times.reduce(0, +) / n
        let meanV = values.reduce(0, +) / n
        var stt = 0.0, stv = 0.0, svv = 0.0
        for i in times.indices {
            let dt = times[i] - meanT
            let dv = values[i] - meanV
            stt += dt * dt
            stv += dt * dv
            svv += dv * dv
        }
        guard stt > 0 else { return (0, meanV, 0) }
        let slope = stv / stt
        let r2 = svv > 0 ? (stv * stv) / (stt * svv) : 0
        return (slope, meanV - slope * meanT, r2)
    }
}
