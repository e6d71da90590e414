import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// NDJSON ingest: every documented line kind, and bad lines refused with their
/// line number while nothing already recorded is lost.
@Suite("Ingest")
struct IngestTests {
    static let t0: Int64 = 1_764_000_000_000
    let decoder = EventDecoder(nowMs: 1_764_000_000_000)

    @Test("each documented line decodes to its event")
    func lineKinds() throws {
        let lines = [
            #"{"ts_ms": 1764000000000, "usage_bytes": 104857600}"#,
            #"{"ts_ms": 1764000000500, "component": "cache", "alloc_bytes": 4096}"#,
            #"{"ts_ms": 1764000001000, "component": "cache", "dealloc_bytes": 4096, "source": "api"}"#,
            #"{"ts_ms": 1764000001000, "component": "rss_anon", "allocated_bytes": 52428800}"#,
            #"{"ts_ms": 1764000002000, "event": "restart"}"#,
            #"{"ts_ms": 1764000002000, "event": "baseline"}"#,
            #"{"ts_ms": 1764000002000, "event": "baseline", "usage_bytes": 7}"#,
            #"{"usage_bytes": 1}"#,
        ]
        let events = try lines.map { try decoder.decode(Data($0.utf8)) }
        #expect(events[0] == IngestEvent(tsMs: Self.t0, kind: .snapshot(usageBytes: 104_857_600)))
        #expect(events[1].kind == .allocation(component: "cache", bytes: 4096))
        #expect(events[2] == IngestEvent(source: "api", tsMs: Self.t0 + 1000, kind: .deallocation(component: "cache", bytes: 4096)))
        #expect(events[3].kind == .gauge(component: "rss_anon", bytes: 52_428_800))
        #expect(events[4].kind == .restart())
        #expect(events[5].kind == .baseline(usageBytes: nil))
        #expect(events[6].kind == .baseline(usageBytes: 7))
        #expect(events[7].tsMs == Self.t0)
    }

    @Test("bad lines name the field and the problem", arguments: [
        (#"{"ts_ms": 1764000000000, "usage_bytes": -1}"#, "usage_bytes", "negative"),
        (#"{"ts_ms": 1764000000000, "usage_bytes": 1125899906842625}"#, "usage_bytes", "1 PiB"),
        (#"{"ts_ms": 1764000000000, "usage_bytes": 1.5}"#, "usage_bytes", "whole number"),
        (#"{"ts_ms": 1764000000000, "usage_bytes": "12"}"#, "usage_bytes", "whole number"),
        (#"{"ts_ms": 1764000000000, "usage_bytes": true}"#, "usage_bytes", "whole number"),
        (#"{"ts_ms": 17, "usage_bytes": 1}"#, "ts_ms", "outside"),
        (#"{"ts_ms": 1764000000000, "usage_bytes": 1, "colour": "red"}"#, "colour", "unknown field"),
        (#"{"ts_ms": 1764000000000, "component": "", "alloc_bytes": 1}"#, "component", "empty"),
        (#"{"ts_ms": 1764000000000, "component": "a\u0007b", "alloc_bytes": 1}"#, "component", "control character"),
        (#"{"ts_ms": 1764000000000, "component": "c", "alloc_bytes": 1, "dealloc_bytes": 1}"#, "component", "more than one"),
        (#"{"ts_ms": 1764000000000, "component": "c"}"#, "component", "needs one of"),
        (#"{"ts_ms": 1764000000000, "alloc_bytes": 1}"#, "component", "need a component"),
        (#"{"ts_ms": 1764000000000, "event": "explode"}"#, "event", "not an event"),
        (#"{"ts_ms": 1764000000000}"#, "event", "not an event"),
        (#"{"ts_ms": 1764000000000, "usage_bytes": 1"#, "json", "malformed"),
        (#"[1, 2]"#, "json", "one JSON object"),
        (#"{"ts_ms": 1764000000000, "usage_bytes": 1, "source": null}"#, "source", "null"),
    ])
    func badLines(line: String, field: String, phrase: String) {
        #expect {
            _ = try decoder.decode(Data(line.utf8), line: 7)
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.field == field && error.message.contains(phrase) && error.line == 7
        }
    }

    @Test("a 257-byte component name is refused")
    func longName() {
        let line = #"{"ts_ms": 1764000000000, "component": "\#(String(repeating: "x", count: 257))", "alloc_bytes": 1}"#
        #expect(throws: InputError.self) { try decoder.decode(Data(line.utf8)) }
    }

    @Test("NDJSON with bad lines: good lines kept, bad ones reported by line number")
    func mixedBody() throws {
        let body = """
            {"ts_ms": 1764000000000, "usage_bytes": 1}

            {"ts_ms": 1764000001000, "usage_bytes": -5}
            not json
            {"ts_ms": 1764000002000, "usage_bytes": 3}
            """
        let decoded = decoder.decodeAll(Data(body.utf8))
        #expect(decoded.events.count == 2)
        #expect(decoded.errors.map(\.line) == [3, 4])
        let array = decoder.decodeAll(Data(#"[{"ts_ms": 1764000000000, "usage_bytes": 1}, {"nope": 1}, 5]"#.utf8))
        #expect(array.events.count == 1)
        #expect(array.errors.map(\.line) == [2, 3])
    }

    @Test("each decoded event carries its line (NDJSON) or element (array) number")
    func eventLines() {
        let e = #"{"usage_bytes": 1}"#
        let ndjson = decoder.decodeAll(Data("\n\(e)\n   \n\(e)\r\n\n\(e)".utf8))
        #expect(ndjson.errors.isEmpty)
        #expect(ndjson.lines == [2, 4, 6])
        let array = decoder.decodeAll(Data(" [ \(e), \(e) ]".utf8))
        #expect(array.lines == [1, 2])
        #expect(decoder.decodeAll(Data("\(e)\n{oops\n\(e)".utf8)).lines == [1, 3])
    }

    @Test("allocation events become cumulative samples; a restart starts counters at zero")
    func cumulativeCounters() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("i.sqlite")
        let writer = try HistoryWriter(path: path)
        try writer.ingest([
            IngestEvent(tsMs: Self.t0, kind: .allocation(component: "c", bytes: 100)),
            IngestEvent(tsMs: Self.t0 + 1, kind: .allocation(component: "c", bytes: 50)),
            IngestEvent(tsMs: Self.t0 + 2, kind: .deallocation(component: "c", bytes: 30)),
        ])
        // A second writer (a new process) carries on from the stored counters.
        try writer.close()
        let second = try HistoryWriter(path: path)
        try second.ingest([
            IngestEvent(tsMs: Self.t0 + 3, kind: .allocation(component: "c", bytes: 10)),
            IngestEvent(tsMs: Self.t0 + 4, kind: .restart()),
            IngestEvent(tsMs: Self.t0 + 5, kind: .allocation(component: "c", bytes: 7)),
        ])
        try second.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let samples = try reader.componentSamples(source: "default", component: "c")
        #expect(samples.map(\.allocatedBytes) == [100, 150, 120, 130, 7])
        #expect(samples.map(\.allocations) == [1, 2, 2, 3, 1])
        #expect(samples.map(\.deallocations) == [0, 0, 1, 1, 0])
        let runs = try reader.runs(source: "default")
        #expect(runs.count == 2)
        #expect(runs[0].endedMs == Self.t0 + 4)
        #expect(Set(samples.map(\.runID)) == Set(runs.map(\.id)))
    }

    @Test("atomic ingest of a batch with a contradiction writes nothing; non-atomic keeps the rest")
    func atomicity() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("i.sqlite")
        let writer = try HistoryWriter(path: path)
        defer { try? writer.close() }
        try writer.ingest([IngestEvent(tsMs: Self.t0, kind: .snapshot(usageBytes: 1))])
        let batch = [
            IngestEvent(tsMs: Self.t0 + 1, kind: .allocation(component: "c", bytes: 1)),
            IngestEvent(tsMs: Self.t0 + 2, kind: .gauge(component: "c", bytes: 1)),   // c is counted
            IngestEvent(tsMs: Self.t0 + 3, kind: .snapshot(usageBytes: 3)),
        ]
        #expect(throws: InputError.self) { try writer.ingest(batch, atomic: true) }
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "default").map(\.usageBytes) == [1])
        #expect(try reader.components(source: "default").isEmpty)
        let result = try writer.ingest(batch, lines: [10, 11, 12])
        #expect(result.stored == 2)
        #expect(result.rejected.map(\.line) == [11])
        #expect(try reader.snapshots(source: "default").map(\.usageBytes) == [1, 3])
    }

    @Test("a baseline event takes the usage and component values at its time")
    func baselineEvent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("i.sqlite")
        let writer = try HistoryWriter(path: path)
        try writer.ingest([
            IngestEvent(tsMs: Self.t0, kind: .snapshot(usageBytes: 500)),
            IngestEvent(tsMs: Self.t0, kind: .allocation(component: "c", bytes: 40)),
            IngestEvent(tsMs: Self.t0 + 1, kind: .baseline(usageBytes: nil)),
        ])
        try writer.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let baseline = try #require(try reader.baseline(source: "default"))
        #expect(baseline.usageBytes == 500)
        #expect(baseline.componentBytes == ["c": 40])
    }
}
