import Foundation
import LeakHistory

/// Stores fleet series in a LeakHistory database through the ordinary ingest
/// path (`HistoryWriter`): one source per series, a new run at each restart,
/// so `report`, `trend`, `compare`, `export` and the dashboard read them like
/// any recorded history.
public enum FleetImport {
    /// The ingest events of `series`: a snapshot per sample, a restart before each run after the first.
    public static func events(for series: FleetSeries) -> [IngestEvent] {
        var events: [IngestEvent] = []
        events.reserveCapacity(series.points.count + series.runCount)
        var run: Int64?
        for point in series.points {
            if let run, run != point.runID {
                events.append(IngestEvent(source: series.name, tsMs: point.tMs, kind: .restart()))
            }
            run = point.runID
            events.append(IngestEvent(source: series.name, tsMs: point.tMs, kind: .snapshot(usageBytes: point.bytes)))
        }
        return events
    }

    public struct Outcome: Sendable, Equatable {
        public var sources = 0
        public var snapshots = 0
        public var runs = 0
    }

    /// Writes every series, one transaction per series (all of it or none of it).
    public static func store(_ series: [FleetSeries], into writer: HistoryWriter,
                             progress: ((Int, Int) -> Void)? = nil) throws -> Outcome {
        var outcome = Outcome()
        for (index, one) in series.enumerated() {
            let events = events(for: one)
            for event in events {
                try InputRules.validateTimestamp(event.tsMs)
            }
            try writer.ingest(events, atomic: true)
            outcome.sources += 1
            outcome.snapshots += one.points.count
            outcome.runs += one.runCount
            progress?(index + 1, series.count)
        }
        return outcome
    }
}
