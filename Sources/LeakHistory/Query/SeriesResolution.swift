import LeakHistoryAnalysis

/// Which stored resolution a series was read from: raw samples (as they are,
/// or folded into buckets), minute rollups (the archive of samples past the
/// raw retention) or hour rollups.
public enum SeriesResolution: String, Sendable, Codable {
    case raw
    case minute
    case hour
}

/// How a window is read, chosen by cost: the points it reads per series,
/// never by fixed age thresholds.
///
/// A window whose series hold at most `pointsPerSeries` samples each is read
/// raw. A longer one is read as bucket means of the smallest round width that
/// keeps it under that count. Buckets of whole five-minute slots (5, 10, 15,
/// 30 minutes) come from the chunks' slot summaries, decoding only the
/// window's edges; finer ones are folded from the raw samples while decoding
/// them stays within `decodeBudget` samples in all (`decodePerSeries` in one
/// series), else the window is read in whole slots while it spans at most
/// `slotSummaryBudget` chunks in all, else from hour rollups. Where the window
/// reaches before the raw retention, from minute or hour rollups.
/// The point budget is shared by the report's series, so a source of 1,000
/// components reads fewer points of each than one of 100.
struct ReadPlan: Sendable, Equatable {
    /// `nil`: every raw sample.
    var bucketMs: Int64?
    var resolution: SeriesResolution

    static let pointBudget = 150_000
    static let decodeBudget = 3_000_000
    /// Past this many samples in one series, decoding costs more than its hour rollups save (a year of minutes: 525,600).
    static let decodePerSeries = 100_000
    /// At most this many chunk slot summaries in all (a few µs each) for buckets of whole slots.
    static let slotSummaryBudget: Int64 = 8_000

    static func pointsPerSeries(seriesCount: Int) -> Int {
        min(20_000, max(240, pointBudget / max(1, seriesCount)))
    }

    /// The plan for `window` over `seriesCount` series holding about
    /// `samplesPerSeries` raw samples each in it.
    static func choose(window: TimeWindow, seriesCount: Int, samplesPerSeries: Int,
                       cutoffs: (rawMs: Int64, minuteMs: Int64)) -> ReadPlan {
        let points = pointsPerSeries(seriesCount: seriesCount)
        let rawComplete = window.fromMs >= cutoffs.rawMs
        if rawComplete && samplesPerSeries <= points { return ReadPlan(bucketMs: nil, resolution: .raw) }
        let wanted = max(1000, window.spanMs / Int64(points) + 1)
        var bucket = TrendBuckets.roundMs.first { $0 >= wanted } ?? floor(wanted, RetentionPolicy.hour) + RetentionPolicy.hour
        let decode = samplesPerSeries.multipliedReportingOverflow(by: seriesCount)
        if bucket < RetentionPolicy.hour && (decode.overflow || decode.partialValue > decodeBudget || samplesPerSeries > decodePerSeries) {
            // Too many samples to decode: whole five-minute slots from the
            // chunks' slot summaries while there are few enough of those
            // (about one chunk a series an hour), else hour rollups.
            let chunks = (window.spanMs / RetentionPolicy.hour + 1).multipliedReportingOverflow(by: Int64(seriesCount))
            bucket = !chunks.overflow && chunks.partialValue <= slotSummaryBudget
                ? TrendBuckets.roundMs.first { $0 >= bucket && $0 % ChunkSlotsCodec.slotMs == 0 }!
                : RetentionPolicy.hour
        }
        if !rawComplete && bucket < RetentionPolicy.minute { bucket = RetentionPolicy.minute }
        if !rawComplete && window.fromMs < cutoffs.minuteMs && bucket < RetentionPolicy.hour { bucket = RetentionPolicy.hour }
        let resolution: SeriesResolution = bucket % RetentionPolicy.hour == 0 ? .hour : rawComplete ? .raw : .minute
        return ReadPlan(bucketMs: bucket, resolution: resolution)
    }

    /// The report's note on how its window was read, or nil for raw samples.
    var note: String? {
        guard let bucketMs else { return nil }
        switch resolution {
        case .raw: return "Read as \(DurationText.spoken(bucketMs)) bucket means of the raw samples for this window"
        case .minute, .hour: return "Read from \(resolution.rawValue) rollups (bucket means) for this window"
        }
    }
}

/// One point of a stored series: a raw sample, or a bucket's mean at its newest sample's time.
struct SeriesPoint: Sendable, Equatable {
    var tsMs: Int64
    var bytes: Int64
    var runID: Int64
    var allocations: Int64?
    var deallocations: Int64?
}
