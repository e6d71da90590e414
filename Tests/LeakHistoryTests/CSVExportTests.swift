import Foundation
import TestSupport
import SwiftCSV
import Testing
@testable import LeakHistory

/// CSV export: RFC 4180 quoting, a header row, every stored row once, and
/// output a standard CSV reader (SwiftCSV) parses back to the same values.
@Suite("CSV export")
struct CSVExportTests {
    static let t0: Int64 = 1_764_000_000_000

    @Test("names with commas, quotes and newlines round-trip through a standard CSV reader")
    func quoting() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("c.sqlite")
        let names = ["plain", "with,comma", "with \"quotes\"", "multi\nline", "ünïcödé ✓"]
        var events: [IngestEvent] = []
        for (i, name) in names.enumerated() {
            for j in 0..<3 {
                events.append(IngestEvent(source: "a,b", tsMs: Self.t0 + Int64(j * 1000 + i),
                                          kind: .allocation(component: name, bytes: Int64(100 * (i + 1)))))
            }
        }
        events.append(IngestEvent(source: "a,b", tsMs: Self.t0, kind: .gauge(component: "rss", bytes: 42)))
        let writer = try HistoryWriter(path: path)
        try writer.ingest(events, atomic: true)
        try writer.close()

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        var data = Data()
        let count = try reader.exportCSV(.components, window: TimeWindow(fromMs: 0, toMs: .max)) { data.append($0) }
        #expect(count == events.count)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix("source,component,kind,run_id,ts_ms,ts,allocated_bytes,allocations,deallocations\r\n"))
        let csv = try CSV<Named>(string: text)
        #expect(csv.rows.count == events.count)
        #expect(Set(csv.rows.map { $0["component"]! }) == Set(names + ["rss"]))
        #expect(csv.rows.allSatisfy { $0["source"] == "a,b" })
        let quoted = csv.rows.filter { $0["component"] == "with \"quotes\"" }
        #expect(quoted.map { $0["allocated_bytes"]! } == ["300", "600", "900"])
        #expect(quoted.map { $0["allocations"]! } == ["1", "2", "3"])
        let gauge = try #require(csv.rows.first { $0["component"] == "rss" })
        #expect(gauge["kind"] == "gauge")
        #expect(gauge["allocations"] == "")
        #expect(gauge["ts"] == "2025-11-24T16:00:00.000Z")
    }

    @Test("snapshot export: row count equals what was ingested, window and source filters apply")
    func snapshotRows() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("c.sqlite")
        let writer = try HistoryWriter(path: path)
        var events: [IngestEvent] = []
        for i in 0..<2_500 {
            events.append(IngestEvent(source: "one", tsMs: Self.t0 + Int64(i) * 1000, kind: .snapshot(usageBytes: Int64(i))))
            events.append(IngestEvent(source: "two", tsMs: Self.t0 + Int64(i) * 1000, kind: .snapshot(usageBytes: -1 * Int64(-i))))
        }
        try writer.ingest(events, atomic: true)
        try writer.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        var chunks = 0
        var all = Data()
        #expect(try reader.exportCSV(.snapshots, window: TimeWindow(fromMs: 0, toMs: .max)) { all.append($0); chunks += 1 } == 5_000)
        #expect(chunks >= 2)   // streamed in chunks, not one buffer
        let rows = try CSV<Enumerated>(string: String(decoding: all, as: UTF8.self)).rows
        #expect(rows.count == 5_000)
        #expect(rows[1] == ["one", "1", "\(Self.t0 + 1000)", "2025-11-24T16:00:01.000Z", "1"])
        let window = try TimeWindow(fromMs: Self.t0 + 10_000, toMs: Self.t0 + 19_999)
        #expect(try reader.exportCSV(.snapshots, source: "two", window: window) { _ in } == 10)
        #expect(throws: InputError.self) { try reader.exportCSV(.snapshots, source: "three", window: window) { _ in } }
    }
}
