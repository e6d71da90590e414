import TestSupport
import Testing
@testable import LeakHistoryAnalysis

/// The pooling and the regression rule on literal run figures: the median
/// and the spread, the majority verdict, the threshold, and the words.
@Suite struct RegressionRulePoolsRunsRobustlyTests {
    static let mib = Double(MiB)

    /// A run whose verdict says `status` at `rate` MiB/h (± `error`), with a `sessions` component growing at `sessions` MiB/h.
    static func run(_ id: Int64, _ status: TrendVerdict.Status, rate: Double, error: Double = 0.2, sessions: Double = 0) -> RunFigures {
        var verdict = TrendVerdict(status: status, explanation: "", sampleCount: 100, runCount: 1, analysis: .singleRun, spanSecs: 3600)
        verdict.rateBytesPerHour = rate * mib
        verdict.netRateBytesPerHour = rate * mib
        verdict.rateErrorBytesPerHour = error * mib
        verdict.netRateErrorBytesPerHour = error * mib
        var component = TrendVerdict(status: sessions > 1 ? .leaking : .notLeaking, explanation: "", sampleCount: 100, runCount: 1,
                                     analysis: .singleRun, spanSecs: 3600)
        component.rateBytesPerHour = sessions * mib
        component.netRateBytesPerHour = sessions * mib
        return RunFigures(source: "api", runID: id, startedMs: id * 3_600_000, endedMs: nil, deployment: .none, verdict: verdict, usageBytes: 0,
                          components: [ComponentRate(name: "sessions", kind: .counted, heldBytes: 0, verdict: component)])
    }

    static func pooled(_ label: String, _ runs: [RunFigures]) -> PooledFigures {
        PooledFigures(label: label, version: label, runs: runs)
    }

    static let flat = pooled("1.0", [run(1, .notLeaking, rate: 0), run(2, .notLeaking, rate: 0.1), run(3, .notLeaking, rate: -0.1)])
    /// Flat, but one run rose: its own verdict says leaking.
    static let noisy = pooled("1.1", [run(4, .notLeaking, rate: -0.5), run(5, .notLeaking, rate: 2), run(6, .leaking, rate: 30)])
    static let leak = pooled("1.2", [run(7, .leaking, rate: 36, sessions: 35), run(8, .leaking, rate: 36.2, sessions: 35), run(9, .leaking, rate: 35.9, sessions: 35)])

    @Test("a version's rate is the median of its runs', its spread the larger of their robust spread and their median error; a majority decides")
    func pooling() {
        let noisy = Self.noisy
        #expect(noisy.rateBytesPerHour == 2 * Self.mib)
        // |−0.5 − 2| = 2.5, 0, |30 − 2| = 28: median 2.5, × 1.4826.
        #expect(abs(noisy.spreadBytesPerHour - 1.4826 * 2.5 * Self.mib) < 1)
        #expect(noisy.status == .notLeaking && noisy.leakingRuns == 1 && noisy.judgedRuns == 3)
        // Three runs that agree: the spread is their standard error.
        #expect(abs(Self.leak.spreadBytesPerHour - 0.2 * Self.mib) < 1)
        #expect(Self.leak.status == .leaking)
        let one = Self.pooled("run 9", [Self.run(9, .leaking, rate: 36, error: 0.7)])
        #expect(one.spreadBytesPerHour == 0.7 * Self.mib)
        let short = Self.pooled("2.0", [Self.run(10, .insufficientData, rate: 0)])
        #expect(short.status == .insufficientData && !short.isJudged)
    }

    @Test("one noisy run widens the threshold instead of making a regression; a real change clears it")
    func theRule() {
        let rule = RegressionRule()
        let noisy = RunComparison(source: "api", basis: .versions, base: Self.flat, target: Self.noisy, rule: rule)
        #expect(noisy.verdict == .noChange)
        #expect(noisy.thresholdBytesPerHour == Self.noisy.spreadBytesPerHour)
        #expect(noisy.summary == "no change: 1.1 is flat, usage +2.00 MiB/h (1.0: flat)")
        // The mean of the noisy runs (10.5 MiB/h) would have cleared it.
        #expect(Self.noisy.runs.map(\.rateBytesPerHour).reduce(0, +) / 3 > noisy.thresholdBytesPerHour)

        let introduced = RunComparison(source: "api", basis: .versions, base: Self.noisy, target: Self.leak, rule: rule)
        #expect(introduced.verdict == .regression && introduced.change == .leakIntroduced)
        #expect(introduced.summary == "leak introduced in 1.2: usage +36.00 MiB/h (1.1: flat); grows in `sessions` (+35.00 MiB/h)")

        let fixed = RunComparison(source: "api", basis: .versions, base: Self.leak, target: Self.flat, rule: rule)
        #expect(fixed.verdict == .improvement && fixed.change == .looksFixed)
        #expect(fixed.summary == "looks fixed in 1.0: usage flat, +0.00 MiB/h (1.2: +36.00 MiB/h); `sessions` no longer grows")

        let same = RunComparison(source: "api", basis: .versions, base: Self.leak, target: Self.leak, rule: rule)
        #expect(same.verdict == .noChange && same.change == .sameLeak)

        // A floor above the change keeps it "no change"; below, the same figures are a regression.
        let small = Self.pooled("1.3", [Self.run(11, .notLeaking, rate: 3, error: 0.1)])
        let tight = Self.pooled("1.0", [Self.run(12, .notLeaking, rate: 0, error: 0.1)])
        #expect(RunComparison(source: "api", basis: .runs, base: tight, target: small, rule: RegressionRule(floorBytesPerHour: 5 * Self.mib)).verdict == .noChange)
        let worse = RunComparison(source: "api", basis: .runs, base: tight, target: small, rule: rule)
        #expect(worse.verdict == .regression && worse.change == .worse)
        #expect(worse.summary.hasPrefix("usage grows faster in 1.3, though its verdict is no leak: usage +3.00 MiB/h (1.0: flat)"), "\(worse.summary)")

        let unknown = RunComparison(source: "api", basis: .versions, base: Self.flat,
                                    target: Self.pooled("2.0", [Self.run(10, .insufficientData, rate: 0)]), rule: rule)
        #expect(unknown.verdict == .insufficientData)
        #expect(unknown.summary == "cannot compare: 2.0 has no run with enough samples for a verdict")
    }
}
