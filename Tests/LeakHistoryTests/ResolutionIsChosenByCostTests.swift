import Foundation
import TestSupport
import Testing
@testable import LeakHistory

private let hour = RetentionPolicy.hour, day = RetentionPolicy.day

/// The resolution a window is read at follows the points it would read, not
/// its age or a fixed span: every window from an hour to a year reads at most
/// the per-series budget, and a source with more series reads fewer of each.
@Suite("Resolution chosen by cost")
struct ResolutionIsChosenByCostTests {
    static let end: Int64 = 1_790_000_000_000

    static func points(_ plan: ReadPlan, spanMs: Int64, samples: Int) -> Int {
        plan.bucketMs.map { Int((spanMs + $0 - 1) / $0) } ?? samples
    }

    @Test("Spans from 1 hour to a year over 10-second samples: at most the budget per series, never fewer than 12 points (what a verdict needs, with room)", arguments: [1, 101, 1001])
    func withinBudget(seriesCount: Int) throws {
        let budget = ReadPlan.pointsPerSeries(seriesCount: seriesCount)
        var previousBucket: Int64 = 0
        for span in [hour, 2 * hour, 6 * hour, 12 * hour, day, 2 * day, 3 * day, 5 * day, 7 * day, 13 * day, 15 * day, 30 * day, 365 * day] {
            // A week of history at 10 s: longer windows hold no more samples.
            let samples = Int(min(span, 7 * day) / 10_000)
            let window = try TimeWindow(fromMs: Self.end - span, toMs: Self.end)
            let plan = ReadPlan.choose(window: window, seriesCount: seriesCount, samplesPerSeries: samples, cutoffs: (.min, .min))
            let points = Self.points(plan, spanMs: span, samples: samples)
            #expect(points <= budget, "span \(span / hour) h: \(points) points, budget \(budget)")
            #expect(points >= 12, "span \(span / hour) h: \(points) points")
            // Longer windows never read finer buckets.
            #expect((plan.bucketMs ?? 0) >= previousBucket)
            previousBucket = plan.bucketMs ?? 0
        }
    }

    @Test("Raw while the samples fit the budget; folded raw buckets while decoding them stays cheap; whole five-minute slots from the slot summaries while they are few; hour rollups beyond")
    func choices() throws {
        let window = try TimeWindow(fromMs: Self.end - day, toMs: Self.end)
        #expect(ReadPlan.choose(window: window, seriesCount: 1, samplesPerSeries: 1440, cutoffs: (.min, .min)).bucketMs == nil)
        let folded = ReadPlan.choose(window: window, seriesCount: 101, samplesPerSeries: 8640, cutoffs: (.min, .min))
        #expect(folded.resolution == SeriesResolution.raw && folded.bucketMs == 60_000)
        #expect(folded.note == "Read as 1m bucket means of the raw samples for this window")
        // A day of second-by-second samples: minute buckets would decode 8.7 M samples, so 5-minute slots (2,525 summaries), not hours.
        let dense = ReadPlan.choose(window: window, seriesCount: 101, samplesPerSeries: 86_400, cutoffs: (.min, .min))
        #expect(dense.resolution == SeriesResolution.raw && dense.bucketMs == ChunkSlotsCodec.slotMs)
        #expect(dense.note == "Read as 5m bucket means of the raw samples for this window")
        // Three days of 10-second samples over 101 series: 5-minute buckets, from 7,373 slot summaries instead of 2.6 M samples.
        let threeDays = try TimeWindow(fromMs: Self.end - 3 * day, toMs: Self.end)
        let slots = ReadPlan.choose(window: threeDays, seriesCount: 101, samplesPerSeries: 25_920, cutoffs: (.min, .min))
        #expect(slots.resolution == SeriesResolution.raw && slots.bucketMs == ChunkSlotsCodec.slotMs)
        // 1,001 series of a day: 24,000 summaries would cost more than the hour rollups.
        let hours = ReadPlan.choose(window: window, seriesCount: 1001, samplesPerSeries: 8640, cutoffs: (.min, .min))
        #expect(hours.resolution == SeriesResolution.hour && hours.bucketMs == hour)
        #expect(hours.note == "Read from hour rollups (bucket means) for this window")
    }

    @Test("Before the raw cutoff: minute rollups, or hour rollups where the minute ones are pruned too")
    func beforeTheCutoff() throws {
        let window = try TimeWindow(fromMs: Self.end - day, toMs: Self.end)
        let cutoffs = (rawMs: Self.end - hour, minuteMs: Self.end - 30 * day)
        let minute = ReadPlan.choose(window: window, seriesCount: 1, samplesPerSeries: 360, cutoffs: cutoffs)
        #expect(minute.resolution == SeriesResolution.minute && minute.bucketMs == 60_000)
        let old = ReadPlan.choose(window: window, seriesCount: 1, samplesPerSeries: 0, cutoffs: (Self.end, Self.end - hour))
        #expect(old.resolution == SeriesResolution.hour)
    }
}
