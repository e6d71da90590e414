import Testing
import TestSupport
@testable import LeakHistoryAnalysis

/// `RobustStatistics.select` gives the k-th smallest value of a sort and
/// leaves the values partitioned around it (the medians rely on that), for
/// ranges below and above the size where it samples first.
@Suite struct SelectionTests {
    @Test func theKthValueIsTheSortedOneAndTheValuesArePartitionedAroundIt() {
        var rng = SeededRandom(state: 7)
        for trial in 0..<300 {
            let n = 1 + rng.below(trial % 3 == 0 ? 20 : 9_000)
            var values: [Double]
            switch trial % 6 {
            case 0: values = (0..<n).map { _ in rng.gaussian() }
            case 1: values = (0..<n).map { Double($0) }                           // sorted
            case 2: values = (0..<n).map { Double(n - $0) }                       // reversed
            case 3: values = (0..<n).map { _ in Double(rng.below(5)) }            // many ties
            case 4: values = (0..<n).map { Double(min($0, n - 1 - $0)) }          // organ pipe
            default: values = (0..<n).map { _ in rng.uniform(-1e12...1e12).rounded() }
            }
            let sorted = values.sorted()
            for k in Set([0, n / 2, n - 1, rng.below(n)]) {
                var work = values
                let kth = RobustStatistics.select(&work, k)
                #expect(kth == sorted[k], "trial \(trial), n \(n), k \(k)")
                #expect(work.sorted() == sorted, "the values are kept")
                #expect(work[..<k].allSatisfy { $0 <= kth } && work[(k + 1)...].allSatisfy { $0 >= kth },
                        "trial \(trial), n \(n), k \(k): not partitioned around the k-th")
            }
        }
    }

    @Test func theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        var rng = SeededRandom(state: 11)
        for n in [2, 10, 601, 602, 5_000] {
            var values = (0..<n).map { _ in rng.gaussian() * 1_000 }
            let sorted = values.sorted()
            let expected = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
            #expect(RobustStatistics.medianInPlace(&values) == expected, "n \(n)")
        }
    }
}
