import LeakHistory

extension LeakDetectionConfig {
    /// The most samples a watch report covers: a day at 2 s, about 14 h at 1 s.
    /// The trend thins long series anyway; the bound keeps a long watch's memory flat.
    public static let maxWatchSamples = 50_000

    /// A configuration whose window holds a whole watch of `durationSecs`
    /// sampled every `intervalSecs` (an open-ended watch: its newest
    /// `maxWatchSamples` samples).
    ///
    /// ```swift
    /// let config = LeakDetectionConfig.forWatch(intervalSecs: 0.25, durationSecs: 20)
    /// ```
    public static func forWatch(intervalSecs: Double, durationSecs: Double?) -> LeakDetectionConfig {
        let interval = max(0.001, intervalSecs)
        var samples = maxWatchSamples
        if let durationSecs, durationSecs.isFinite {
            samples = min(maxWatchSamples, Int((durationSecs / interval).rounded(.up)) + 16)
        }
        var config = LeakDetectionConfig()
        config.maxHistorySamples = max(100, samples)
        // A minute of slack: sampling can lag the schedule on a busy machine.
        let windowSecs = (Double(config.maxHistorySamples) * interval).rounded(.up) + 60
        config.timeWindowSecs = UInt64(min(windowSecs, 10 * 365 * 86_400))
        return config
    }
}
