import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// Ingesting the same input twice leaves the file exactly as after the
/// first time; a different value for a stored millisecond is reported.
@Suite("Ingest is idempotent", .serialized)
struct IngestIsIdempotentTests {
    static let t0: Int64 = 1_764_000_000_000

    /// Snapshots, counted events (several in one millisecond), a gauge, a
    /// restart and a baseline, for two sources.
    static var mixedNDJSON: String {
        var lines: [String] = []
        for i in 0..<20 {
            let ts = t0 + Int64(i) * 1000
            lines.append(#"{"ts_ms": \#(ts), "source": "api", "usage_bytes": \#((100 + i) * 1_048_576)}"#)
            lines.append(#"{"ts_ms": \#(ts), "source": "api", "component": "cache", "alloc_bytes": 4096}"#)
            lines.append(#"{"ts_ms": \#(ts), "source": "api", "component": "cache", "alloc_bytes": 4096}"#)
            if i % 3 == 0 { lines.append(#"{"ts_ms": \#(ts), "source": "api", "component": "cache", "dealloc_bytes": 4096}"#) }
            lines.append(#"{"ts_ms": \#(ts), "source": "web", "component": "rss_anon", "allocated_bytes": \#(50 * 1_048_576 + i)}"#)
        }
        lines.append(#"{"ts_ms": \#(t0 + 5000), "source": "api", "event": "baseline"}"#)
        lines.append(#"{"ts_ms": \#(t0 + 20_000), "source": "api", "event": "restart"}"#)
        for i in 0..<5 {
            lines.append(#"{"ts_ms": \#(t0 + 21_000 + Int64(i)), "source": "api", "component": "cache", "alloc_bytes": 100}"#)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("the same file twice: identical tables row by row, and the summary says what was already stored")
    func sameFileTwice() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite"), file = dir.path("events.ndjson")
        try Self.mixedNDJSON.write(toFile: file, atomically: true, encoding: .utf8)
        let first = try CLI.run(["ingest", "--db", db, file])
        #expect(first.status == 0, "\(first.stderr)")
        let lineCount = Self.mixedNDJSON.split(separator: "\n").count
        #expect(first.stdout == "stored \(lineCount) events\n")
        let after1 = try tableRows(of: db)
        #expect(after1["component_sample"]?.isEmpty == false)
        #expect(after1["baseline"]?.count == 1)
        #expect(after1["run"]?.count == 3)

        let second = try CLI.run(["ingest", "--db", db, file])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == "stored 0 events; \(lineCount) already stored (skipped)\n")
        let after2 = try tableRows(of: db)
        #expect(after2.keys.sorted() == after1.keys.sorted())
        for table in after1.keys.sorted() {
            #expect(after2[table] == after1[table], "table \(table) changed on re-ingest")
        }

        // In small batches too: positions carry across the batches of one input.
        let third = try CLI.run(["ingest", "--db", db, "--batch", "7", file])
        #expect(third.stdout == "stored 0 events; \(lineCount) already stored (skipped)\n")
        #expect(try tableRows(of: db) == after1)
    }

    @Test("two events of one component in one millisecond both count; replaying them counts neither")
    func eventsInOneMillisecond() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try HistoryWriter(path: dir.path("h.sqlite"))
        defer { try? writer.close() }
        let events = (0..<3).map { _ in IngestEvent(tsMs: Self.t0, kind: .allocation(component: "cache", bytes: 10)) }
        #expect(try writer.ingest(events).stored == 3)
        let replay = try writer.ingest(events)
        #expect(replay.stored == 0 && replay.alreadyStored == 3)
        // A longer input that starts with the same three stores only what is new.
        let longer = try writer.ingest(events + [IngestEvent(tsMs: Self.t0, kind: .allocation(component: "cache", bytes: 10)),
                                                 IngestEvent(tsMs: Self.t0 + 1, kind: .allocation(component: "cache", bytes: 10))])
        #expect(longer.stored == 2 && longer.alreadyStored == 3)
        let reader = try HistoryReader(path: dir.path("h.sqlite"))
        defer { try? reader.close() }
        let samples = try reader.componentSamples(source: "default", component: "cache")
        #expect(samples.map(\.allocations) == [4, 5])
        #expect(samples.map(\.allocatedBytes) == [40, 50])
    }

    @Test("a second value for a stored millisecond is a bad line naming both values; the stored one is kept")
    func conflictingSnapshot() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        let input = """
            {"ts_ms": \(Self.t0), "usage_bytes": 100}
            {"ts_ms": \(Self.t0 + 1), "usage_bytes": 200}
            {"ts_ms": \(Self.t0 + 1), "usage_bytes": 300}
            """
        let result = try CLI.run(["ingest", "--db", db, "-"], stdin: input)
        #expect(result.status == 1)
        #expect(result.stdout == "stored 2 events; 1 bad line skipped\n")
        #expect(result.stderr.contains("line 3"))
        #expect(result.stderr.contains("already stored as 200"))
        #expect(result.stderr.contains("says 300"))
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "default").map(\.usageBytes) == [100, 200])

        // The same value again is no conflict, only a replay.
        let same = try CLI.run(["ingest", "--db", db, "-"], stdin: #"{"ts_ms": \#(Self.t0 + 1), "usage_bytes": 200}"#)
        #expect(same.status == 0)
        #expect(same.stdout == "stored 0 events; 1 already stored (skipped)\n")
    }

    @Test("a counted event older than the stored series is refused: the cumulative counts would be wrong")
    func outOfOrderCountedEvent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try HistoryWriter(path: dir.path("h.sqlite"))
        defer { try? writer.close() }
        try writer.ingest([IngestEvent(tsMs: Self.t0 + 10, kind: .allocation(component: "cache", bytes: 10))])
        let late = try writer.ingest([IngestEvent(tsMs: Self.t0 + 5, kind: .allocation(component: "cache", bytes: 10))])
        #expect(late.stored == 0)
        #expect(late.rejected.first?.message.contains("time order") == true)
    }
}
