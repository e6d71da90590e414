import Foundation

/// Where a series changed regime: a continuous piecewise-linear fit (a line
/// with up to two knots), the number of knots chosen by the Bayesian
/// information criterion.
///
/// A leak that starts part-way through the window is a flat stretch, a knot,
/// then a ramp; a warm-up or a cache that filled is a ramp, a knot, then flat;
/// a one-off step is flat, a short steep segment, flat. Continuity pins the
/// knot where the slope changes (separate lines per segment would let the
/// ramp's line start anywhere in the flat part's noise).
///
/// Least squares on at most a few hundred points (the analysis reduces
/// longer series to block medians first). Every knot placement is solved in
/// O(1) from suffix sums of 1, x, x², y, xy, y² (the hinge terms (x − τ)₊
/// are sums over the points after the knot), so two knots cost O(m²).
package struct Segmentation: Sendable, Equatable {
    package struct Segment: Sendable, Equatable {
        /// Indices `start..<end` of the input points.
        var start: Int
        var end: Int
        /// The fitted line over the segment: value ≈ intercept + slope × t (t in ms, value in bytes).
        var slope: Double
        var intercept: Double

        func value(at t: Double) -> Double { intercept + slope * t }
    }

    package var segments: [Segment]
    /// Robust spread of the residuals around the chosen fit, in bytes.
    package var residualSpread: Double

    /// The segmentation of `values` at `times` (ms, increasing). `minLength`
    /// is the fewest points of any segment, `minLastLength` of the last one
    /// (the current regime must be long enough to be judged).
    static package func fit(times: [Double], values: [Double], minLength: Int, minLastLength: Int) -> Segmentation {
        let m = times.count
        precondition(m == values.count)
        guard m >= 3, let t0 = times.first, let tEnd = times.last, tEnd > t0 else {
            return Segmentation(segments: [Segment(start: 0, end: m, slope: 0, intercept: values.first ?? 0)],
                                residualSpread: 0)
        }
        // Normalised coordinates keep the sums well conditioned.
        let span = tEnd - t0
        let v0 = values[0]
        let scale = max(1, values.max()! - values.min()!)
        let x = times.map { ($0 - t0) / span }
        let y = values.map { ($0 - v0) / scale }
        // Suffix sums: s[k] is the sum over points k..<m.
        var s1 = [Double](repeating: 0, count: m + 1), sx = s1, sxx = s1, sy = s1, sxy = s1
        for i in stride(from: m - 1, through: 0, by: -1) {
            s1[i] = s1[i + 1] + 1
            sx[i] = sx[i + 1] + x[i]
            sxx[i] = sxx[i + 1] + x[i] * x[i]
            sy[i] = sy[i + 1] + y[i]
            sxy[i] = sxy[i + 1] + x[i] * y[i]
        }
        let syy = y.reduce(0) { $0 + $1 * $1 }

        /// Residual sum of squares of the continuous fit with knots at points
        /// `knots` (at most two), and its coefficients in `beta` when asked.
        /// Called some 13,000 times for two knots: fixed-size storage, no allocation.
        func rss(_ knots: (Int, Int), count knotCount: Int, beta out: UnsafeMutablePointer<Double>? = nil) -> Double? {
            // Basis: 1, x, (x − x[k])₊ for each knot k.
            let p = 2 + knotCount
            var a = InlineArray<16, Double>(repeating: 0)
            var b = InlineArray<4, Double>(repeating: 0)
            // Σ f·g over points from `from` for basis functions, via the suffix sums.
            // Column j ≥ 2 is (x − τ_j)₊, non-zero from its knot on.
            func start(_ j: Int) -> Int { j < 2 ? 0 : (j == 2 ? knots.0 : knots.1) }
            func tau(_ j: Int) -> Double { j < 2 ? 0 : x[start(j)] }
            for i in 0..<p {
                for j in i..<p {
                    let k = max(start(i), start(j))
                    // f_i·f_j = (c_i + d_i x)(c_j + d_j x) with (c, d) = (1, 0), (0, 1) or (−τ, 1).
                    let (ci, di) = i == 0 ? (1.0, 0.0) : (i == 1 ? (0.0, 1.0) : (-tau(i), 1.0))
                    let (cj, dj) = j == 0 ? (1.0, 0.0) : (j == 1 ? (0.0, 1.0) : (-tau(j), 1.0))
                    let v = ci * cj * s1[k] + (ci * dj + di * cj) * sx[k] + di * dj * sxx[k]
                    a[i * p + j] = v
                    a[j * p + i] = v
                }
                let k = start(i)
                let (ci, di) = i == 0 ? (1.0, 0.0) : (i == 1 ? (0.0, 1.0) : (-tau(i), 1.0))
                b[i] = ci * sy[k] + di * sxy[k]
            }
            let rhs = b
            guard Self.solve(&a, &b, p) else { return nil }
            var fitted = 0.0
            for i in 0..<p { fitted += b[i] * rhs[i] }
            if let out { for i in 0..<p { out[i] = b[i] } }
            return max(0, syy - fitted)
        }
        func coefficients(_ knots: [Int]) -> [Double] {
            var beta = [Double](repeating: 0, count: 2 + knots.count)
            let pair = (knots.first ?? 0, knots.count > 1 ? knots[1] : 0)
            _ = beta.withUnsafeMutableBufferPointer { rss(pair, count: knots.count, beta: $0.baseAddress) }
            return beta
        }

        let minLen = max(2, minLength)
        let minLast = max(minLen, minLastLength)
        // A page of RSS (4 KiB) is the finest real change: no fit is better than that.
        let floorVariance = (4096 / scale) * (4096 / scale)
        // Candidates: the best placement of 0, 1 and 2 knots.
        var candidates: [(parameters: Int, rss: Double, knots: [Int], beta: [Double])] = []
        if let r = rss((0, 0), count: 0) { candidates.append((2, r, [], coefficients([]))) }
        if m - minLast >= minLen {
            var best1: (Double, Int)?
            for k in minLen...(m - minLast) {
                if let r = rss((k, 0), count: 1), r < (best1?.0 ?? .infinity) { best1 = (r, k) }
            }
            if let (r, k) = best1 { candidates.append((4, r, [k], coefficients([k]))) }
        }
        if m - minLast >= 2 * minLen {
            // Coarse to fine: every `stride`-th pair first, then every pair
            // within a stride of the best. The residual sum moves smoothly
            // with the knots (the fit is continuous), so the refinement lands
            // where the full search does, at a tenth of its cost.
            var best2: (Double, Int, Int)?
            let lo1 = minLen, hi1 = m - minLast - minLen, hi2 = m - minLast
            let stride = max(1, m / 50)
            func consider(_ k1: Int, _ k2: Int) {
                guard k1 >= lo1, k1 <= hi1, k2 >= k1 + minLen, k2 <= hi2 else { return }
                if let r = rss((k1, k2), count: 2), r < (best2?.0 ?? .infinity) { best2 = (r, k1, k2) }
            }
            for k1 in Swift.stride(from: lo1, through: hi1, by: stride) {
                for k2 in Swift.stride(from: k1 + minLen, through: hi2, by: stride) { consider(k1, k2) }
                consider(k1, hi2)
            }
            if stride > 1, let (_, c1, c2) = best2 {
                for k1 in (c1 - stride)...(c1 + stride) {
                    for k2 in (c2 - stride)...(c2 + stride) { consider(k1, k2) }
                }
            }
            if let (r, k1, k2) = best2 { candidates.append((6, r, [k1, k2], coefficients([k1, k2]))) }
        }
        guard !candidates.isEmpty else {
            return Segmentation(segments: [Segment(start: 0, end: m, slope: 0, intercept: values[0])], residualSpread: 0)
        }
        // BIC assumes independent residuals; residuals that move together
        // (aliasing under a sawtooth, slow wander) carry less evidence, so
        // the criterion counts effective points: m·(1 − ρ)/(1 + ρ), with ρ
        // the lag-1 autocorrelation left by the richest fit.
        let richest = candidates.last!
        let residualsOfRichest = (0..<m).map { i in y[i] - model(richest.beta, richest.knots, x, i) }
        let rho = min(0.9, max(0, RobustStatistics.lag1Autocorrelation(residualsOfRichest)))
        let mEff = max(3, Double(m) * (1 - rho) / (1 + rho))
        func bic(_ r: Double, parameters: Int) -> Double {
            mEff * log(max(r / Double(m), floorVariance)) + Double(parameters) * log(mEff)
        }
        let chosen = candidates.min { bic($0.rss, parameters: $0.parameters) < bic($1.rss, parameters: $1.parameters) }!
        let bestKnots = chosen.knots
        let bestBeta = chosen.beta

        // Segments in original units: each one's slope is the sum of the
        // slopes of the basis functions active on it.
        let bounds = [0] + bestKnots + [m]
        var segments: [Segment] = []
        var slopeNorm = bestBeta[1]
        for s in 0..<(bounds.count - 1) {
            if s > 0 { slopeNorm += bestBeta[1 + s] }
            // Value at the segment's first point, from the full model.
            let first = bounds[s]
            let slope = slopeNorm * scale / span
            let valueAtFirst = v0 + scale * model(bestBeta, bestKnots, x, first)
            segments.append(Segment(start: first, end: bounds[s + 1], slope: slope,
                                    intercept: valueAtFirst - slope * times[first]))
        }
        var residuals: [Double] = []
        residuals.reserveCapacity(m)
        for seg in segments {
            for i in seg.start..<seg.end { residuals.append(values[i] - seg.value(at: times[i])) }
        }
        return Segmentation(segments: segments, residualSpread: RobustStatistics.robustSpread(residuals))
    }

    /// The continuous model's value at point `i` (normalised units).
    private static func model(_ beta: [Double], _ knots: [Int], _ x: [Double], _ i: Int) -> Double {
        var v = beta[0] + beta[1] * x[i]
        for (j, k) in knots.enumerated() where x[i] > x[k] { v += beta[2 + j] * (x[i] - x[k]) }
        return v
    }

    /// Solves the symmetric system `a·x = b` (p × p, row-major, p ≤ 4) in
    /// place by Gaussian elimination with partial pivoting: `b` becomes the
    /// solution; `false` when the system is singular.
    private static func solve(_ m: inout InlineArray<16, Double>, _ r: inout InlineArray<4, Double>, _ p: Int) -> Bool {
        for col in 0..<p {
            var pivot = col
            for row in (col + 1)..<p where abs(m[row * p + col]) > abs(m[pivot * p + col]) { pivot = row }
            guard abs(m[pivot * p + col]) > 1e-12 else { return false }
            if pivot != col {
                for k in 0..<p { m.swapAt(col * p + k, pivot * p + k) }
                r.swapAt(col, pivot)
            }
            for row in (col + 1)..<p {
                let f = m[row * p + col] / m[col * p + col]
                guard f != 0 else { continue }
                for k in col..<p { m[row * p + k] -= f * m[col * p + k] }
                r[row] -= f * r[col]
            }
        }
        for row in stride(from: p - 1, through: 0, by: -1) {
            var v = r[row]
            for k in (row + 1)..<p { v -= m[row * p + k] * r[k] }
            r[row] = v / m[row * p + row]
        }
        return true
    }
}
