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
        let sums = SuffixSums(x: x, y: y)
        let s1 = sums.s1, sx = sums.sx, sxx = sums.sxx, sy = sums.sy, sxy = sums.sxy, syy = sums.syy

        /// Residual sum of squares of the continuous fit with knots at points
        /// `knots` (at most two), and its coefficients in `beta` when asked:
        /// for no knot, every one-knot placement and the chosen fits (the
        /// two-knot search goes through `OneKnotFit`). Fixed-size storage, no allocation.
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
            /// Every pair (k1, k2) of `k2s` that the bounds allow, judged by the
            /// residual sum of the fit with both knots, from the fit with k1 alone.
            func consider(_ k1: Int, _ k2s: some Sequence<Int>) {
                guard k1 >= lo1, k1 <= hi1, let withFirst = OneKnotFit(knot: k1, sums) else { return }
                for k2 in k2s where k2 >= k1 + minLen && k2 <= hi2 {
                    if let r = withFirst.rss(secondKnot: k2, sums),
                       r < (best2?.0 ?? .infinity) { best2 = (r, k1, k2) }
                }
            }
            for k1 in Swift.stride(from: lo1, through: hi1, by: stride) {
                consider(k1, Swift.stride(from: k1 + minLen, through: hi2, by: stride))
                consider(k1, CollectionOfOne(hi2))
            }
            if stride > 1, let (_, c1, c2) = best2 {
                for k1 in (c1 - stride)...(c1 + stride) { consider(k1, (c2 - stride)...(c2 + stride)) }
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

    /// Suffix sums of normalised points: `s1[k]` counts points k..<m, `sx[k]`
    /// sums their x, and so on; `syy` is the sum of y² over all of them.
    struct SuffixSums {
        let x: [Double]
        var s1: [Double], sx: [Double], sxx: [Double], sy: [Double], sxy: [Double]
        let syy: Double

        init(x: [Double], y: [Double]) {
            let m = x.count
            self.x = x
            s1 = [Double](repeating: 0, count: m + 1)
            sx = s1; sxx = s1; sy = s1; sxy = s1
            for i in stride(from: m - 1, through: 0, by: -1) {
                s1[i] = s1[i + 1] + 1
                sx[i] = sx[i + 1] + x[i]
                sxx[i] = sxx[i + 1] + x[i] * x[i]
                sy[i] = sy[i + 1] + y[i]
                sxy[i] = sxy[i + 1] + x[i] * y[i]
            }
            syy = y.reduce(0) { $0 + $1 * $1 }
        }
    }

    /// The least-squares fit on 1, x and (x − τ₁)₊ (one knot, at point k1),
    /// kept to judge a second knot in O(1): adding the column h = (x − τ₂)₊
    /// lowers the residual sum by (hᵀy − cᵀw)² / (hᵀh − cᵀA⁻¹c), with A the
    /// first fit's normal matrix, w its coefficients and c = (its columns)ᵀh —
    /// the same sum as solving the four-column system, at a fifth of the work
    /// (the search tries some 1,500 pairs a verdict).
    struct OneKnotFit {
        let tau1: Double
        /// A⁻¹ (symmetric: 00, 01, 02, 11, 12, 22), w and the residual sum.
        let inverse: (Double, Double, Double, Double, Double, Double)
        let w: (Double, Double, Double)
        let rss: Double

        init?(knot k1: Int, _ sums: SuffixSums) {
            let s1 = sums.s1, sx = sums.sx, sxx = sums.sxx, sy = sums.sy, sxy = sums.sxy
            let t = sums.x[k1]
            tau1 = t
            // Normal matrix of 1, x, h₁ (h₁ non-zero from k1 on) and the right-hand side.
            let a00 = s1[0], a01 = sx[0], a11 = sxx[0]
            let a02 = sx[k1] - t * s1[k1], a12 = sxx[k1] - t * sx[k1]
            let a22 = sxx[k1] - 2 * t * sx[k1] + t * t * s1[k1]
            let b0 = sy[0], b1 = sxy[0], b2 = sxy[k1] - t * sy[k1]
            // The inverse by cofactors.
            let c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11
            let det = a00 * c00 + a01 * c01 + a02 * c02
            guard det.isFinite, abs(det) > 1e-12 else { return nil }
            let c11 = a00 * a22 - a02 * a02, c12 = a01 * a02 - a00 * a12, c22 = a00 * a11 - a01 * a01
            inverse = (c00 / det, c01 / det, c02 / det, c11 / det, c12 / det, c22 / det)
            let (i00, i01, i02, i11, i12, i22) = inverse
            w = (i00 * b0 + i01 * b1 + i02 * b2, i01 * b0 + i11 * b1 + i12 * b2, i02 * b0 + i12 * b1 + i22 * b2)
            rss = sums.syy - (w.0 * b0 + w.1 * b1 + w.2 * b2)
        }

        /// The residual sum with a second knot at point k2 (after k1), nil where the columns are dependent.
        func rss(secondKnot k2: Int, _ sums: SuffixSums) -> Double? {
            let t = sums.x[k2], n = sums.s1[k2], sumX = sums.sx[k2], sumXX = sums.sxx[k2]
            // c = (Σh, Σx·h, Σh₁·h) and hᵀh, hᵀy, over the points from k2 on (where h and h₁ are both non-zero).
            let c0 = sumX - t * n, c1 = sumXX - t * sumX
            let c2 = sumXX - (tau1 + t) * sumX + tau1 * t * n
            let hh = sumXX - 2 * t * sumX + t * t * n
            let hy = sums.sxy[k2] - t * sums.sy[k2]
            let (i00, i01, i02, i11, i12, i22) = inverse
            let q0 = i00 * c0 + i01 * c1 + i02 * c2, q1 = i01 * c0 + i11 * c1 + i12 * c2, q2 = i02 * c0 + i12 * c1 + i22 * c2
            let schur = hh - (c0 * q0 + c1 * q1 + c2 * q2)
            guard schur > 1e-12 else { return nil }
            let gain = hy - (c0 * w.0 + c1 * w.1 + c2 * w.2)
            return max(0, rss - gain * gain / schur)
        }
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
