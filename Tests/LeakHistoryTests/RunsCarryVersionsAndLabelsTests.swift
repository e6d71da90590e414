import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// A run records the version it ran and a few labels, from every way a run
/// starts (a restart event, a recorder, a watch); bad ones are refused by
/// name; a file of schema 3 migrates in place and keeps its history.
@Suite struct RunsCarryVersionsAndLabelsTests {
    static let t0: Int64 = 1_795_500_000_000
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    @Test("a restart event's version and labels start a run that carries them; a replay stores nothing twice")
    func restartEventsCarryTheRun() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        let text = """
            {"ts_ms": \(Self.t0), "source": "api", "event": "restart", "version": "1.4.1", "labels": {"host": "web-1", "commit": "8d41b07"}}
            {"ts_ms": \(Self.t0 + 1000), "source": "api", "usage_bytes": 1048576}
            {"ts_ms": \(Self.t0 + 60000), "source": "api", "event": "restart", "version": "1.4.2"}
            {"ts_ms": \(Self.t0 + 61000), "source": "api", "usage_bytes": 2097152}
            """
        let writer = try HistoryWriter(path: db)
        defer { try? writer.close() }
        let decoded = EventDecoder(nowMs: Self.t0).decodeAll(Data(text.utf8))
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        #expect(decoded.events[0].kind == .restart(try RunDeployment(version: "1.4.1", labels: ["host": "web-1", "commit": "8d41b07"])))
        #expect(try writer.ingest(decoded.events).stored == 4)
        let again = try writer.ingest(decoded.events)
        #expect(again.stored == 0 && again.alreadyStored == 4 && again.rejected.isEmpty)

        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        let runs = try reader.runs(source: "api")
        #expect(runs.map(\.version) == ["1.4.1", "1.4.2"])
        #expect(runs[0].deployment.labels == ["host": "web-1", "commit": "8d41b07"])
        #expect(runs[1].deployment.labels.isEmpty)
        let summary = try reader.sourceSummary("api")
        let json = String(decoding: try JSONEncoder().encode(SourcedRun(source: "api", run: summary.runs[0])), as: UTF8.self)
        #expect(json.contains(#""version":"1.4.1""#) && json.contains(#""labels":{"#), "\(json)")

        // The same restart saying another version is a bad line; the stored run is kept.
        let conflicting = EventDecoder(nowMs: Self.t0).decodeAll(Data(#"{"ts_ms": \#(Self.t0 + 60000), "source": "api", "event": "restart", "version": "1.4.3"}"#.utf8))
        let refused = try writer.ingest(conflicting.events, lines: conflicting.lines)
        #expect(refused.stored == 0)
        #expect(refused.rejected.map(\.description) == ["line 1: version: the run that started at \(Self.t0 + 60000) is stored with version 1.4.2, this line says version 1.4.3; one millisecond starts one run (the stored one is kept)"])
        #expect(try reader.runs(source: "api").map(\.version) == ["1.4.1", "1.4.2"])

        // Deleting the source deletes its runs' labels too.
        try writer.deleteSource("api")
        #expect(try reader.counts().runs == 0)
    }

    @Test("bad versions and labels are refused by line and field, nothing stored", arguments: [
        (#"{"event": "restart", "version": ""}"#, "line 1: version: the version is empty"),
        (#"{"event": "restart", "version": "1.4 beta"}"#, "line 1: version: the version holds U+20; a version is letters, digits and . _ - + : ~ / (e.g. 1.4.2, v2.0.0-rc.1)"),
        (#"{"event": "restart", "version": "1,4"}"#, "line 1: version: the version holds ','; a version is letters, digits and . _ - + : ~ / (e.g. 1.4.2, v2.0.0-rc.1)"),
        (#"{"event": "restart", "version": 142}"#, "line 1: version: expected a string, found something else"),
        (#"{"event": "restart", "labels": {"Host": "a"}}"#, "line 1: labels: 'Host' is not a label key: 1…64 of a-z, 0-9, _ . -, starting with a letter"),
        (#"{"event": "restart", "labels": {"version": "1"}}"#, "line 1: labels: 'version' is not a label: give the version as the run's version"),
        (#"{"event": "restart", "labels": {"host": ""}}"#, "line 1: labels.host: name is empty"),
        (#"{"event": "restart", "labels": {"host": 1}}"#, "line 1: host: expected a string, found something else"),
        (#"{"usage_bytes": 5, "version": "1.0"}"#, #"line 1: version: a version and labels go on a restart event ({"event": "restart", "version": "1.4.2"}), which starts the run they describe"#),
        (#"{"event": "baseline", "labels": {"a": "b"}}"#, #"line 1: labels: a version and labels go on a restart event ({"event": "restart", "version": "1.4.2"}), which starts the run they describe"#),
    ])
    func badDeployments(line: String, message: String) {
        let decoded = EventDecoder(nowMs: Self.t0).decodeAll(Data(line.utf8))
        #expect(decoded.events.isEmpty)
        #expect(decoded.errors.map(\.description) == [message])
    }

    @Test("seventeen labels are one too many")
    func tooManyLabels() {
        let labels = (0..<17).map { "\"k\($0)\": \"v\"" }.joined(separator: ", ")
        let decoded = EventDecoder(nowMs: Self.t0).decodeAll(Data(#"{"event": "restart", "labels": {\#(labels)}}"#.utf8))
        #expect(decoded.errors.map(\.description) == ["line 1: labels: 17 labels; a run has at most 16"])
    }

    @Test("LeakRecorder(path:version:labels:) records them with its run; a bad version throws before the file is touched")
    func recorderRecordsItsVersion() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("r.sqlite")
        let recorder = try LeakRecorder(path: db, options: RecorderOptions(source: "app", flushIntervalSecs: 0), version: "2.0.0-rc.1+b7",
                                        labels: ["host": "ci-3"])
        recorder.recordSnapshot(usageBytes: 10 * MiB)
        try recorder.close()
        var options = RecorderOptions(source: "app", flushIntervalSecs: 0)
        options.deployment = try RunDeployment(version: "2.0.0")
        let second = try LeakRecorder(path: db, options: options)
        #expect(second.deployment.version == "2.0.0")
        try second.close()
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        let runs = try reader.runs(source: "app")
        #expect(runs.map(\.version) == ["2.0.0-rc.1+b7", "2.0.0"])
        #expect(runs[0].deployment.labels == ["host": "ci-3"])
        #expect(throws: InputError.self) { try LeakRecorder(path: dir.path("never.sqlite"), version: "bad version") }
        #expect(!FileManager.default.fileExists(atPath: dir.path("never.sqlite")))
    }

    @Test("a file written by the schema-3 build migrates in place: its runs have no version, its history is intact, new runs take one")
    func schemaThreeFileMigratesInPlace() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("old.sqlite")
        // Made by the schema-3 build: `leak-history ingest --db schema3-history.db schema3-history.ndjson`.
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("schema3-history.db").path, toPath: db)
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        #expect(try reader.schemaVersion == HistorySchema.version)
        #expect(HistorySchema.version >= 4)
        let runs = try reader.runs(source: "api")
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.version == nil && $0.deployment.labels.isEmpty })
        #expect(try reader.snapshots(source: "api").count == 12)
        #expect(try reader.baseline(source: "api")?.usageBytes == 103 * MiB)
        #expect(try reader.componentSamples(source: "api", component: "sessions").count == 12)

        let writer = try HistoryWriter(path: db)
        defer { try? writer.close() }
        let next = Self.t0 + 120_000
        let stored = try writer.ingest([IngestEvent(source: "api", tsMs: next, kind: .restart(try RunDeployment(version: "1.1"))),
                                        IngestEvent(source: "api", tsMs: next, kind: .snapshot(usageBytes: 5 * MiB))])
        #expect(stored.stored == 2)
        #expect(try reader.runs(source: "api").map(\.version) == [nil, nil, "1.1"])
    }
}
