/// What a report is made of, gathered by whoever read the data: the live
/// detector (its ring of samples and its tracked components), a window of
/// the stored history, or a watch. `ReportBuilder` turns it into the report;
/// nothing else decides `has_leaks` or writes recommendations.
package struct ReportInputs: Sendable {
    package enum Mode: Sendable {
        /// The live seed API (SPEC §3): the pattern and size rules make
        /// candidates, and with fewer samples than a trend needs the growth
        /// threshold alone decides.
        case live
        /// A window of history or a watch (SPEC §4): the verdicts decide;
        /// too few samples is "insufficient data", never a leak.
        case window
    }

    package var mode: Mode
    package var config: LeakDetectionConfig
    /// The seed's first-vs-last figures over the samples.
    package var firstVersusLast: FirstVersusLast
    package var sampleCount: Int
    package var currentBytes: Int64
    package var baselineBytes: Int64?
    package var usageTrend: TrendVerdict?
    /// In report order (`LeakClassifier.ordered`).
    package var candidates: [LeakCandidate]
    /// Lines of the reader's own (a restored baseline, restarts, dropped snapshots).
    package var notes: [String] = []
    package var timeWindowSecs: UInt64
    package var timestampSecs: UInt64
    package var source: String?
    package var windowFromMs: Int64?
    package var windowToMs: Int64?

    package init(mode: Mode,
                 config: LeakDetectionConfig,
                 firstVersusLast: FirstVersusLast,
                 sampleCount: Int,
                 currentBytes: Int64,
                 baselineBytes: Int64? = nil,
                 usageTrend: TrendVerdict? = nil,
                 candidates: [LeakCandidate],
                 notes: [String] = [],
                 timeWindowSecs: UInt64,
                 timestampSecs: UInt64,
                 source: String? = nil,
                 windowFromMs: Int64? = nil,
                 windowToMs: Int64? = nil) {
        self.mode = mode
        self.config = config
        self.firstVersusLast = firstVersusLast
        self.sampleCount = sampleCount
        self.currentBytes = currentBytes
        self.baselineBytes = baselineBytes
        self.usageTrend = usageTrend
        self.candidates = candidates
        self.notes = notes
        self.timeWindowSecs = timeWindowSecs
        self.timestampSecs = timestampSecs
        self.source = source
        self.windowFromMs = windowFromMs
        self.windowToMs = windowToMs
    }
}

package enum ReportBuilder {
    /// Whether the inputs say leaking.
    static package func hasLeaks(_ inputs: ReportInputs) -> Bool {
        if !inputs.candidates.isEmpty { return true }
        switch inputs.mode {
        case .live:
            return inputs.firstVersusLast.percent > inputs.config.growthThreshold
                && inputs.usageTrend?.status != .notLeaking
        case .window:
            return inputs.usageTrend?.isLeaking == true
        }
    }

    static package func build(_ inputs: ReportInputs) -> LeakReport {
        var notes = inputs.notes
        if inputs.mode == .window, let trend = inputs.usageTrend {
            switch trend.status {
            case .noData, .insufficientData:
                notes.insert(trend.explanation.prefix(1).uppercased() + trend.explanation.dropFirst(), at: 0)
            case .leaking:
                if let since = trend.growingSinceMs {
                    notes.insert("Usage grows \(trend.rateText) since \(AnalysisText.timestamp(ms: since))", at: 0)
                }
            case .notLeaking:
                break
            }
        }
        return LeakReport(
            hasLeaks: hasLeaks(inputs),
            overallGrowthRate: inputs.firstVersusLast.percent,
            growthMBPerMinute: inputs.firstVersusLast.mbPerMinute,
            timeWindowSecs: inputs.timeWindowSecs,
            leakCandidates: inputs.candidates,
            recommendations: LeakClassifier.recommendations(
                overallGrowthRate: inputs.firstVersusLast.percent, config: inputs.config, candidates: inputs.candidates,
                usageTrend: inputs.usageTrend, notes: notes),
            baselineBytes: inputs.baselineBytes,
            currentBytes: inputs.currentBytes,
            timestamp: inputs.timestampSecs,
            sampleCount: inputs.sampleCount,
            source: inputs.source,
            windowFromMs: inputs.windowFromMs,
            windowToMs: inputs.windowToMs,
            trend: inputs.usageTrend)
    }
}
