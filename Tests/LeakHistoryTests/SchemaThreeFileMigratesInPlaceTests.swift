import Foundation
import TestSupport
import SQLiteStore
import Testing
@testable import LeakHistory

/// A file written by the release before chunked storage (schema 3: every
/// sample a row) migrates in place when opened: its rows become chunks but
/// each series' newest hour, and it reads back exactly as that release read it.
@Suite("A schema-3 file migrates in place")
struct SchemaThreeFileMigratesInPlaceTests {
    /// `Fixtures/schema3.leak-history` was written by `leak-history ingest` of
    /// the release at schema 3 (8,162 events: two sources, gauges, a counted
    /// component with two events in one millisecond, a restart, a baseline);
    /// `schema3-components.csv` and `schema3-snapshots.csv` are that release's
    /// `export --csv` of it.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A copy of `Fixtures/schema<N>.leak-history` in `dir`.
    static func copyOfFixture(schema: Int = 3, in dir: TemporaryDirectory) throws -> String {
        let path = dir.path("old.sqlite")
        try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent("schema\(schema).leak-history").path, toPath: path)
        return path
    }

    /// Expects this release's `export --csv` of `path` to be, byte for byte,
    /// what the release at `schema` exported (`Fixtures/schema<N>-*.csv`).
    static func expectExportsOfRelease(schema: Int, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for what in ["components", "snapshots"] {
            let exported = try CLI.run(["export", "--csv", "--db", path, "--what", what])
            #expect(exported.status == 0, "\(exported.stderr)", sourceLocation: sourceLocation)
            let expected = try String(contentsOf: fixtures.appendingPathComponent("schema\(schema)-\(what).csv"), encoding: .utf8)
            #expect(exported.stdout == expected, "export of \(what) differs after the migration", sourceLocation: sourceLocation)
        }
    }

    static func query(_ path: String, _ sql: String) throws -> Int {
        let db = try Database(path: path)
        defer { try? db.close() }
        return try db.makeStatement(sql: sql).fetchOne { $0.int(0) } ?? -1
    }

    @Test("Opened by this release: schema 5, rows sealed into chunks, integrity ok, the same CSV export byte for byte")
    func migratesAndReadsTheSame() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try Self.copyOfFixture(in: dir)
        #expect(try Self.query(path, "PRAGMA user_version") == 3)
        let rowsBefore = try Self.query(path, "SELECT (SELECT count(*) FROM snapshot) + (SELECT count(*) FROM component_sample)")

        try Self.expectExportsOfRelease(schema: 3, path)
        #expect(try Self.query(path, "PRAGMA user_version") == EmbeddedMigrations.all.count)
        let chunks = try Self.query(path, "SELECT count(*) FROM component_chunk") + Self.query(path, "SELECT count(*) FROM snapshot_chunk")
        let sealed = try Self.query(path, "SELECT (SELECT total(sample_count) FROM component_chunk) + (SELECT total(sample_count) FROM snapshot_chunk)")
        let rowsAfter = try Self.query(path, "SELECT (SELECT count(*) FROM snapshot) + (SELECT count(*) FROM component_sample)")
        #expect(chunks > 0)
        #expect(sealed + rowsAfter == rowsBefore)
        // Each series keeps only its newest hour as rows.
        #expect(try Self.query(path, """
            SELECT count(*) FROM component_sample s
            WHERE s.ts_ms < (SELECT max(ts_ms) FROM component_sample t WHERE t.component_id = s.component_id) / 3600000 * 3600000
            """) == 0)
        let db = try Database(path: path)
        #expect(try db.makeStatement(sql: "PRAGMA integrity_check").fetchOne { $0.string(0) } == "ok")
        try db.close()
    }

    @Test("A report over the migrated file sees every run, the baseline and the leak the old release recorded")
    func reportAfterMigration() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try Self.copyOfFixture(in: dir)
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        #expect(try reader.sources() == ["api", "batch"])
        #expect(try reader.runs(source: "api").count == 2)
        #expect(try reader.baseline(source: "api") != nil)
        let samples = try reader.componentSamples(source: "api", component: "cache")
        #expect(samples.count == 1260)
        let end = samples.last!.tsMs
        let report = try reader.report(source: "api", window: TimeWindow(fromMs: end - 3_600_000, toMs: end), nowMs: end)
        #expect(report.hasLeaks)
        #expect(report.leakCandidates.map(\.component).contains("rss_anon"))
    }
}
