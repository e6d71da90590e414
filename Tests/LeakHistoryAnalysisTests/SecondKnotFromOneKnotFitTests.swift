import Testing
import TestSupport
@testable import LeakHistoryAnalysis

/// The two-knot search judges a second knot from the one-knot fit
/// (`Segmentation.OneKnotFit`): its residual sum must be the one of solving
/// the four-column least squares outright, for any data and knots.
@Suite struct SecondKnotFromOneKnotFitTests {
    /// The residual sum of y on the columns `basis`, by Gaussian elimination of the normal equations.
    static func directRSS(_ basis: [[Double]], _ y: [Double]) -> Double {
        let p = basis.count
        var a = (0..<p).map { i in (0..<p).map { j in zip(basis[i], basis[j]).reduce(0) { $0 + $1.0 * $1.1 } } }
        var b = (0..<p).map { i in zip(basis[i], y).reduce(0) { $0 + $1.0 * $1.1 } }
        let rhs = b
        for col in 0..<p {
            let pivot = (col..<p).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            a.swapAt(col, pivot); b.swapAt(col, pivot)
            for row in (col + 1)..<p {
                let f = a[row][col] / a[col][col]
                for k in col..<p { a[row][k] -= f * a[col][k] }
                b[row] -= f * b[col]
            }
        }
        var beta = [Double](repeating: 0, count: p)
        for row in stride(from: p - 1, through: 0, by: -1) {
            beta[row] = (b[row] - ((row + 1)..<p).reduce(0) { $0 + a[row][$1] * beta[$1] }) / a[row][row]
        }
        return y.reduce(0) { $0 + $1 * $1 } - zip(beta, rhs).reduce(0) { $0 + $1.0 * $1.1 }
    }

    @Test func theResidualSumOfASecondKnotIsTheFullFitsOne() throws {
        var rng = SeededRandom(state: 5)
        for trial in 0..<200 {
            let m = 12 + rng.below(200)
            var t = 0.0
            let x = (0..<m).map { _ in t += 0.5 + rng.uniform(); return t }.map { $0 / t }
            let k1True = rng.below(m), k2True = rng.below(m)
            let y = x.indices.map { i in
                0.3 * x[i] + (i > k1True ? 2 * (x[i] - x[k1True]) : 0) - (i > k2True ? 3 * (x[i] - x[k2True]) : 0)
                    + (trial % 2 == 0 ? rng.gaussian() * 0.05 : 0)
            }
            let sums = Segmentation.SuffixSums(x: x, y: y)
            let k1 = 2 + rng.below(m / 2 - 2), k2 = k1 + 2 + rng.below(m - k1 - 3)
            let fit = try #require(Segmentation.OneKnotFit(knot: k1, sums), "trial \(trial)")
            let hinge = { (k: Int) in x.map { max(0, $0 - x[k]) } }
            let basis = [x.map { _ in 1.0 }, x, hinge(k1), hinge(k2)]
            let direct = max(0, Self.directRSS(basis, y))
            let fast = try #require(fit.rss(secondKnot: k2, sums), "trial \(trial)")
            let scale = y.reduce(0) { $0 + $1 * $1 }
            #expect(abs(fast - direct) <= 1e-9 * scale, "trial \(trial), m \(m), knots \(k1), \(k2): \(fast) vs \(direct)")
            // The one-knot fit's own residual sum too.
            #expect(abs(fit.rss - max(0, Self.directRSS(Array(basis.prefix(3)), y))) <= 1e-9 * scale, "trial \(trial)")
        }
    }
}
