import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// Sums of input-derived figures (a component's counters, rollup sums, window
/// sums, growth across runs) never trap: what would overflow on a write is
/// refused naming its line, with nothing of the batch stored, and reads of
/// extreme (but accepted) histories answer.
@Suite struct InputDerivedSumsNeverOverflowTests {
    static let PiB = InputRules.maxBytes
    static let start: Int64 = 1_764_000_000_000

    static func lines(_ count: Int, _ body: (Int) -> String) -> Data {
        Data((0..<count).map(body).joined(separator: "\n").utf8)
    }

    /// The attack of the report: 8,192 allocations of 1 PiB each (each line
    /// within the limit) in one batch.
    static let manyPiBAllocations = lines(8_192) { i in
        #"{"ts_ms":\#(start + Int64(i)),"component":"ovf","alloc_bytes":\#(PiB)}"#
    }

    @Test func anAtomicBatchWhoseComponentWouldHoldOverOnePiBIsRefusedAtItsLineAndStoresNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try HistoryWriter(path: dir.path("h.sqlite"))
        defer { try? writer.close() }
        let decoded = EventDecoder(nowMs: Self.start).decodeAll(Self.manyPiBAllocations)
        #expect(decoded.errors.isEmpty)
        let error = try #require(throws: InputError.self) {
            try writer.ingest(decoded.events, atomic: true, lines: decoded.lines)
        }
        #expect(error.line == 2)
        #expect(error.field == "alloc_bytes")
        #expect(error.message.contains("'ovf'") && error.message.contains("1 PiB"))
        let reader = try HistoryReader(path: dir.path("h.sqlite"))
        defer { try? reader.close() }
        #expect(try reader.counts().componentSamples == 0)
    }

    @Test func aNonStrictBatchKeepsTheLinesWithinTheLimitAndNamesEveryOtherOne() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try HistoryWriter(path: dir.path("h.sqlite"))
        defer { try? writer.close() }
        let decoded = EventDecoder(nowMs: Self.start).decodeAll(Self.manyPiBAllocations)
        let result = try writer.ingest(decoded.events, lines: decoded.lines)
        #expect(result.stored == 1)
        #expect(result.rejected.count == 8_191)
        #expect(result.rejected.map(\.line) == (2...8_192).map { Optional($0) })
    }

    /// 205 batches of 40 allocate/free pairs of 1 PiB: 16,400 PiB of traffic,
    /// never more than 1 PiB held. The running totals of the old counters
    /// overflowed here; the net figure does not.
    @Test func allocateAndFreeTrafficFarBeyondInt64IsStoredWhileTheHeldBytesStayWithinTheLimit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try HistoryWriter(path: dir.path("h.sqlite"))
        var ts = Self.start
        for _ in 0..<205 {
            var events: [IngestEvent] = []
            for _ in 0..<40 {
                events.append(IngestEvent(tsMs: ts, kind: .allocation(component: "pairs", bytes: Self.PiB)))
                events.append(IngestEvent(tsMs: ts + 1, kind: .deallocation(component: "pairs", bytes: Self.PiB)))
                ts += 2
            }
            #expect(try writer.ingest(events, atomic: true).stored == 80)
        }
        try writer.close()
        let reader = try HistoryReader(path: dir.path("h.sqlite"))
        defer { try? reader.close() }
        let samples = try reader.componentSamples(source: "default", component: "pairs")
        #expect(samples.count == 16_400)
        #expect(samples.map(\.allocatedBytes).max() == Self.PiB)
        #expect(samples.last?.allocatedBytes == 0)
        #expect(samples.last?.allocations == 8_200 && samples.last?.deallocations == 8_200)
    }

    /// 20,000 samples of 1 PiB in one minute: their sum (about 2.25e19) is past
    /// Int64, where the rollup's SQL `sum()` failed with "integer overflow".
    @Test func rollupsOfAMinuteOfOnePiBSamplesAreStoredAndTheirMeanIsExact() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try HistoryWriter(path: dir.path("h.sqlite"))
        let minuteStart = Self.start - Self.start % 60_000
        var events: [IngestEvent] = []
        for i in 0..<20_000 {
            events.append(IngestEvent(tsMs: minuteStart + Int64(i * 3), kind: .snapshot(usageBytes: Self.PiB)))
            events.append(IngestEvent(tsMs: minuteStart + Int64(i * 3), kind: .gauge(component: "rss", bytes: Self.PiB)))
        }
        #expect(try writer.ingest(events, atomic: true).stored == 40_000)
        try writer.close()
        let reader = try HistoryReader(path: dir.path("h.sqlite"))
        defer { try? reader.close() }
        let window = try TimeWindow(fromMs: minuteStart, toMs: minuteStart + 3_600_000)
        for component in [nil, "rss"] {
            for bucket in [RetentionPolicy.minute, RetentionPolicy.hour] {
                let trend = try reader.trend(component: component, window: window, bucketMs: bucket, nowMs: minuteStart + 3_600_000)
                #expect(trend.buckets.count == 1)
                #expect(trend.buckets.first?.meanBytes == Self.PiB)
                #expect(trend.buckets.first?.count == 20_000)
            }
        }
    }

    /// 9,000 runs that each grow by 1 PiB: the growth joined across runs is
    /// 9,000 PiB, past Int64. The report answers, its growth pinned at the top.
    @Test func aReportJoiningRunsWhoseGrowthSumsPastInt64Answers() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try HistoryWriter(path: dir.path("h.sqlite"))
        var events: [IngestEvent] = []
        var ts = Self.start
        for _ in 0..<9_000 {
            events.append(IngestEvent(tsMs: ts, kind: .snapshot(usageBytes: 0)))
            events.append(IngestEvent(tsMs: ts + 1, kind: .snapshot(usageBytes: Self.PiB)))
            events.append(IngestEvent(tsMs: ts + 2, kind: .restart()))
            ts += 3
        }
        try writer.ingest(events, atomic: true)
        try writer.close()
        let reader = try HistoryReader(path: dir.path("h.sqlite"))
        defer { try? reader.close() }
        let report = try reader.report(window: TimeWindow(fromMs: Self.start, toMs: ts), nowMs: ts)
        #expect(report.sampleCount == 18_000)
        #expect(report.currentBytes == Self.PiB)
        #expect(report.growthMBPerMinute.isFinite && report.growthMBPerMinute > 0)
    }

    /// 8,200 components of 1 PiB each and no snapshots: summed usage is past Int64.
    @Test func aReportSummingComponentsPastInt64Answers() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try HistoryWriter(path: dir.path("h.sqlite"))
        let events = (0..<8_200).map { i in
            IngestEvent(tsMs: Self.start + Int64(i), kind: .gauge(component: "c\(i)", bytes: Self.PiB))
        }
        try writer.ingest(events, atomic: true)
        try writer.close()
        let reader = try HistoryReader(path: dir.path("h.sqlite"))
        defer { try? reader.close() }
        let report = try reader.report(window: TimeWindow(fromMs: Self.start, toMs: Self.start + 10_000), nowMs: Self.start + 10_000)
        #expect(report.currentBytes == Int64.max)
    }

    /// A baseline taken from the components' held bytes, which sum past Int64,
    /// is refused naming its line (with usage_bytes given, it is stored).
    @Test func aBaselineFromComponentsThatSumPastInt64IsRefusedAtItsLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try HistoryWriter(path: dir.path("h.sqlite"))
        defer { try? writer.close() }
        var text = (0..<8_200).map { #"{"ts_ms":\#(Self.start + Int64($0)),"component":"c\#($0)","alloc_bytes":\#(Self.PiB)}"# }
        text.append(#"{"ts_ms":\#(Self.start + 9_000),"event":"baseline"}"#)
        let decoded = EventDecoder(nowMs: Self.start).decodeAll(Data(text.joined(separator: "\n").utf8))
        let error = try #require(throws: InputError.self) {
            try writer.ingest(decoded.events, atomic: true, lines: decoded.lines)
        }
        #expect(error.line == 8_201)
        #expect(error.message.contains("usage_bytes"))
    }

    @Test func theCLIIngestOfTheAttackFileNamesTheLineAndWhatItStored() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.path("ovf.ndjson")
        try Self.manyPiBAllocations.write(to: URL(fileURLWithPath: file))
        let loose = try CLI.run(["ingest", "--db", dir.path("a.sqlite"), file])
        #expect(loose.status == 1)
        #expect(loose.stderr.contains("line 2: alloc_bytes: component 'ovf' would hold"))
        #expect(loose.stdout.contains("stored 1 events"))
        let strict = try CLI.run(["ingest", "--strict", "--db", dir.path("b.sqlite"), file])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("line 2: alloc_bytes"))
        #expect(!strict.stderr.contains("Fatal") && !strict.stderr.contains("overflow\n"))
    }

    /// Sizes given in MiB on the command line are multiplied into bytes: checked.
    @Test func hugeMebibyteOptionsAreRefusedNotMultipliedIntoACrash() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        try CLI.run(["ingest", "--db", db], stdin: #"{"ts_ms": 1764000000000, "usage_bytes": 1}"#)
        for (option, value) in [("--memory-limit-mb", "9223372036854775807"), ("--growth-floor-mb", "1e300")] {
            let run = try CLI.run(["report", "--db", db, option, value])
            #expect(run.status != 0 && run.status < 128, "\(option): status \(run.status)")
            #expect(run.stderr.contains(option), "\(run.stderr)")
        }
    }
}
