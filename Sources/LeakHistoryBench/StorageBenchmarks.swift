import CSQLite
import Foundation
import LeakHistory
import SQLiteStore

/// Persistence, window reports, year-long trends and CSV export, each beside
/// the raw C API (or the sqlite3 shell) doing the same work in the same run.
enum StorageBenchmarks {
    static let t0: Int64 = 1_790_000_000_000

    /// Sustained persistence of component samples: the recorder's flush of
    /// 10,000 changed components vs a raw prepared-insert loop, 10,000 rows a transaction.
    static func persistence(scratch: ScratchDirectory, rounds: Int, runs: Int) throws -> Figure {
        let components = 10_000
        let rows = components * rounds
        let rawRate = Measure.median((0..<runs).map { run in
            let raw = RawSQLite(path: scratch.path("raw-\(run).sqlite"))
            raw.exec(Queries.benchCreateRawTable)
            let seconds = Measure.seconds {
                raw.insertRows(Queries.benchInsertRaw, rows: rows, perTransaction: components) { i in
                    (Int64(i % components), t0 + Int64(i / components) * 1000, Int64(i))
                }
            }
            return Double(rows) / seconds
        })
        let ourRate = try Measure.median((0..<runs).map { run in
            var options = RecorderOptions(source: "bench", flushIntervalSecs: 0)
            options.pruneIntervalSecs = 0
            let clock = BenchClock(startMs: t0)
            let recorder = try LeakRecorder(path: scratch.path("recorder-\(run).sqlite"), options: options, now: clock.now)
            let handles = try (0..<components).map { try recorder.component("c\($0)") }
            try recorder.flush()
            var seconds = 0.0
            for round in 0..<rounds {
                for (i, h) in handles.enumerated() { h.trackAllocation(bytes: Int64(i + round + 1)) }
                clock.advance(ms: 1000)
                seconds += try Measure.seconds { try recorder.flush() }
            }
            try recorder.close()
            return Double(rows) / seconds
        })
        return Figure(name: "sustained persistence of component samples", value: ourRate, unit: "rows/s",
                      baseline: "raw C-API insert loop, prepared, 10,000 rows/transaction, WAL, WITHOUT ROWID",
                      baselineValue: rawRate, ratio: ourRate / rawRate, target: "≥ 0.7× the raw loop", met: ourRate / rawRate >= 0.7,
                      note: "recorder flushes of \(components) changed components, \(rounds) rounds")
    }

    /// A database of `perComponent` samples for each of `components` components, 1 s apart from `start`.
    static func populate(path: String, components: Int, perComponent: Int, start: Int64 = t0) throws -> [Int64] {
        let t0 = start
        let writer = try HistoryWriter(path: path)
        try writer.ingest((0..<components).map {
            IngestEvent(source: "bench", tsMs: t0, kind: .gauge(component: "c\($0)", bytes: 1 << 20))
        }, atomic: true)
        try writer.close()
        let reader = try HistoryReader(path: path)
        let ids = try reader.components(source: "bench").map(\.id)
        let runID = try reader.runs(source: "bench").first!.id
        try reader.close()
        let raw = RawSQLite(path: path)
        let statement = raw.prepare(Queries.componentSampleInsert)
        defer { sqlite3_finalize(statement) }
        raw.exec("BEGIN")
        for step in 1..<perComponent {
            for (i, id) in ids.enumerated() {
                sqlite3_bind_int64(statement, 1, id)
                sqlite3_bind_int64(statement, 2, t0 + Int64(step) * 1000)
                sqlite3_bind_int64(statement, 3, runID)
                // Most components are flat with noise; every tenth leaks.
                let leak = i % 10 == 0 ? Int64(step) * 512 : 0
                sqlite3_bind_int64(statement, 4, (1 << 20) + leak + Int64((step * 7919 + i * 104_729) % 65_536))
                sqlite3_bind_null(statement, 5)
                sqlite3_bind_null(statement, 6)
                precondition(sqlite3_step(statement) == SQLITE_DONE)
                sqlite3_reset(statement)
            }
            if step % 1000 == 0 { raw.exec("COMMIT"); raw.exec("BEGIN") }
        }
        raw.exec("COMMIT")
        return ids
    }

    /// The window report over 10% of 2,000,000 samples vs a raw range scan computing the same per-component figures.
    static func windowReport(path: String, perComponent: Int, runs: Int) throws -> Figure {
        let span = Int64(perComponent) * 1000
        let window = try TimeWindow(fromMs: t0 + span * 45 / 100, toMs: t0 + span * 55 / 100)
        let raw = RawSQLite(path: path)
        let scan = raw.prepare(Queries.benchRangeScan)
        defer { sqlite3_finalize(scan) }
        var slopes = 0.0
        let rawSeconds = Measure.medianSeconds(runs: runs) {
            sqlite3_bind_int64(scan, 1, window.fromMs)
            sqlite3_bind_int64(scan, 2, window.toMs)
            while sqlite3_step(scan) == SQLITE_ROW {
                let n = Double(sqlite3_column_int64(scan, 1))
                let st = Double(sqlite3_column_int64(scan, 6)), sv = Double(sqlite3_column_int64(scan, 7))
                let stt = Double(sqlite3_column_int64(scan, 8)), stv = Double(sqlite3_column_int64(scan, 9))
                let denominator = n * stt - st * st
                slopes += denominator != 0 ? (n * stv - st * sv) / denominator : 0
            }
            sqlite3_reset(scan)
        }
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        var candidates = 0
        let ours = try Measure.medianSeconds(runs: runs) {
            candidates = try reader.report(source: "bench", window: window, nowMs: window.toMs).leakCandidates.count
        }
        return Figure(name: "report over a 10% window of 2,000,000 samples, 100 components", value: ours * 1000, unit: "ms",
                      baseline: "raw C-API range scan: first, last, min, max, count, least-squares slope per component",
                      baselineValue: rawSeconds * 1000, ratio: ours / rawSeconds, target: "≤ 1.5× the raw scan",
                      met: ours / rawSeconds <= 1.5, note: "\(candidates) candidates found (10 components leak); slopes checksum \(slopes.isFinite)")
    }

    /// CSV export of every sample vs `sqlite3 -csv` running the same query, both to /dev/null.
    static func export(path: String, rows: Int, runs: Int) throws -> Figure {
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let devNull = FileHandle(forWritingAtPath: "/dev/null")!
        var exported = 0
        let ours = try Measure.medianSeconds(runs: runs) {
            exported = try reader.exportCSV(.components, window: TimeWindow(fromMs: 0, toMs: .max)) { devNull.write($0) }
        }
        let plain = path + ".plain"
        try PlainSampleTable.write(from: reader, to: plain)
        defer { try? FileManager.default.removeItem(atPath: plain) }
        let shell = try PlainSampleTable.dumpSeconds(plain, runs: runs)
        return Figure(name: "CSV export of \(rows) rows", value: Double(exported) / ours, unit: "rows/s",
                      baseline: "sqlite3 -csv over a plain row table of the same rows", baselineValue: Double(exported) / shell,
                      ratio: shell / ours, target: "no slower than sqlite3 -csv (ratio ≥ 1)", met: ours <= shell,
                      note: "\(exported) rows")
    }

    /// A year of one-minute snapshots written through ingest (sealing keeps
    /// the hour rollups), then the trend of the whole year.
    static func yearTrend(path: String, runs: Int, days: Int = 365) throws -> [Figure] {
        let minutes = days * 1440
        let writer = try HistoryWriter(path: path)
        let build = try Measure.seconds {
            var i = 0
            while i < minutes {
                var batch: [IngestEvent] = []
                for m in i..<min(minutes, i + 10_000) {
                    let usage: Int64 = (1 << 28) + Int64(m) * 64 + Int64((m * 7919) % 4096)
                    batch.append(IngestEvent(source: "year", tsMs: t0 + Int64(m) * 60_000, kind: .snapshot(usageBytes: usage)))
                }
                try writer.ingest(batch, atomic: true, continuingInput: i > 0)
                i += 10_000
            }
        }
        try writer.close()
        let end = t0 + Int64(minutes) * 60_000
        let year = try TimeWindow(fromMs: t0, toMs: end)
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        var buckets = 0
        let daily = try Measure.medianSeconds(runs: runs) {
            buckets = try reader.trend(source: "year", window: year, bucketMs: 86_400_000, nowMs: end).buckets.count
        }
        let hourly = try Measure.medianSeconds(runs: runs) {
            _ = try reader.trend(source: "year", window: year, bucketMs: 3_600_000, nowMs: end)
        }
        return [
            Figure(name: "trend over a year (daily buckets from hour rollups)", value: daily * 1000, unit: "ms",
                   baseline: nil, baselineValue: nil, ratio: nil, target: "< 20 ms", met: daily < 0.020, note: "\(buckets) buckets"),
            Figure(name: "trend over a year (8,760 hourly buckets)", value: hourly * 1000, unit: "ms",
                   baseline: nil, baselineValue: nil, ratio: nil, target: "< 20 ms", met: hourly < 0.020),
            Figure(name: "writing \(minutes) one-minute snapshots through ingest (chunks and hour rollups)", value: build * 1000, unit: "ms",
                   baseline: nil, baselineValue: nil, ratio: nil, target: "—", met: nil),
        ]
    }
}

/// The CSV export's rows as a plain table in a file of their own, for the
/// `sqlite3 -csv` dump an export is compared with: read back through
/// `HistoryReader`, so they are exactly the samples the export writes.
enum PlainSampleTable {
    /// The median seconds `sqlite3 -csv` takes to dump the plain table at `path` to /dev/null.
    static func dumpSeconds(_ path: String, runs: Int) throws -> Double {
        let devNull = FileHandle(forWritingAtPath: "/dev/null")!
        return try Measure.medianSeconds(runs: runs) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            process.arguments = ["-csv", "-header", path, Queries.benchDumpPlain]
            process.standardOutput = devNull
            try process.run()
            process.waitUntilExit()
        }
    }

    static func write(from reader: HistoryReader, to path: String) throws {
        let raw = RawSQLite(path: path)
        raw.exec(Queries.benchCreatePlainTable)
        let statement = raw.prepare(Queries.benchInsertPlain)
        defer { sqlite3_finalize(statement) }
        raw.exec("BEGIN")
        for source in try reader.sources() {
            for component in try reader.components(source: source) {
                for sample in try reader.componentSamples(source: source, component: component.name) {
                    sqlite3_bind_text(statement, 1, source, -1, SQLITE_TRANSIENT)
                    sqlite3_bind_text(statement, 2, component.name, -1, SQLITE_TRANSIENT)
                    sqlite3_bind_text(statement, 3, component.kind.name, -1, SQLITE_TRANSIENT)
                    sqlite3_bind_int64(statement, 4, sample.runID)
                    sqlite3_bind_int64(statement, 5, sample.tsMs)
                    sqlite3_bind_int64(statement, 6, sample.allocatedBytes)
                    if let a = sample.allocations { sqlite3_bind_int64(statement, 7, a) } else { sqlite3_bind_null(statement, 7) }
                    if let d = sample.deallocations { sqlite3_bind_int64(statement, 8, d) } else { sqlite3_bind_null(statement, 8) }
                    precondition(sqlite3_step(statement) == SQLITE_DONE)
                    sqlite3_reset(statement)
                }
            }
        }
        raw.exec("COMMIT")
    }
}

/// A settable clock for the recorder benchmark: flushes one simulated second apart.
final class BenchClock: @unchecked Sendable {
    // @unchecked: only the benchmark's thread moves it, between flushes.
    private var ms: Int64
    init(startMs: Int64) { ms = startMs }
    var now: @Sendable () -> Date { { [self] in UnixTime.date(milliseconds: self.ms) } }
    func advance(ms delta: Int64) { ms += delta }
}
