import Foundation
import TestSupport
import Testing
@testable import LeakHistoryAnalysis

/// The report lines' number text must be printf's `%.Nf` (and Rust's `{:.N}`),
/// byte for byte: the seed's recommendation texts depend on it.
struct DecimalTextTests {
    @Test func agreesWithPrintfOnEdgeCases() {
        let values: [Double] = [
            0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 0.005, 1.005, 2.675, 99.995, 5.0, 80, 100,
            1e-300, 5e-324, -5e-324, 1e15, 123_456_789.987_654_321, 9_007_199_254_740_993, 1e20, 3.4e25,
            1.5e29, 1e30, -1e100, Double.greatestFiniteMagnitude, Double.leastNormalMagnitude,
            .infinity, -.infinity, 0.05, 0.15, 0.25, 0.35, 0.45, 1234.5678, -0.0049, -0.005,
        ]
        for value in values {
            for digits in 0...9 {
                #expect(DecimalText.fixed(value, digits) == String(format: "%.\(digits)f", value), "\(value) with \(digits)")
            }
        }
        #expect(DecimalText.fixed(.nan, 2) == String(format: "%.2f", Double.nan))
    }

    @Test func agreesWithPrintfOnRandomValues() {
        var rng = SeededRandom(state: 0xD0C1)
        for _ in 0..<20_000 {
            // Random bit patterns cover every exponent; scaled percents and
            // ties at two decimals cover the numbers reports really print.
            let candidates: [Double] = [
                Double(bitPattern: rng.next()),
                Double(Int64.random(in: -1_000_000...1_000_000, using: &rng)) / 8,
                Double.random(in: -1000...1000, using: &rng),
                Double(Int.random(in: 0...100_000, using: &rng)) * 0.005,
            ]
            for value in candidates where !value.isNaN {
                let digits = Int.random(in: 0...9, using: &rng)
                #expect(DecimalText.fixed(value, digits) == String(format: "%.\(digits)f", value), "\(value) with \(digits)")
            }
        }
    }
}
