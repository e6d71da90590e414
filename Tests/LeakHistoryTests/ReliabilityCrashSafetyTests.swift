import Foundation
import TestSupport
import SQLiteStore
import Testing
@testable import LeakHistory

/// SPEC §7: a writer killed with SIGKILL at any moment leaves a database that
/// passes `PRAGMA integrity_check` and holds every acknowledged event; two
/// writers on one file lose nothing; a reader never sees half a batch.
/// Short versions here; `scripts/crash-loop.sh` runs hundreds of kills.
@Suite("Reliability: crashes and concurrency", .serialized)
struct ReliabilityCrashSafetyTests {
    static let t0: Int64 = 1_790_000_000_000

    static func ndjson(source: String, count: Int) -> String {
        (0..<count).map { #"{"ts_ms":\#(t0 + Int64($0)),"source":"\#(source)","usage_bytes":\#(1_000_000 + $0)}"# }
            .joined(separator: "\n") + "\n"
    }

    static func integrityCheck(_ path: String) throws -> String {
        let db = try Database(path: path)
        defer { try? db.close() }
        return try db.makeStatement(sql: "PRAGMA integrity_check").fetchOne { $0.string(0) } ?? ""
    }

    /// Starts `leak-history ingest --commit-lines` on `file`.
    static func startIngest(db: String, file: String, batch: Int) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = try CLI.executable
        process.arguments = ["ingest", "--db", db, "--batch", "\(batch)", "--commit-lines", file]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    @Test("SIGKILL during heavy ingestion: intact file, every acknowledged batch present, no half batch", arguments: 0..<6)
    func killDuringIngest(round: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("crash.sqlite")
        let input = dir.path("events.ndjson")
        try Self.ndjson(source: "s", count: 120_000).write(toFile: input, atomically: true, encoding: .utf8)
        let batch = 4_000
        let (process, out) = try Self.startIngest(db: db, file: input, batch: batch)
        // Kill after a varying number of acknowledged batches (round 0: before any).
        var acknowledged = 0
        let reader = out.fileHandleForReading
        var buffer = Data()
        let wanted = round * 2
        while acknowledged < wanted * batch, let chunk = try reader.read(upToCount: 64), !chunk.isEmpty {
            buffer.append(chunk)
            let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            for line in lines.dropLast() where line.hasPrefix("committed ") {
                acknowledged = max(acknowledged, Int(line.dropFirst("committed ".count)) ?? 0)
            }
            buffer = Data((lines.last ?? "").utf8)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        guard FileManager.default.fileExists(atPath: db) else {
            #expect(acknowledged == 0)
            return
        }
        #expect(try Self.integrityCheck(db) == "ok")
        let reader2 = try HistoryReader(path: db)
        defer { try? reader2.close() }
        let stored = try reader2.snapshots(source: "s").count
        #expect(stored >= acknowledged)
        #expect(stored % batch == 0)
    }

    @Test("two processes ingesting into one file at once lose nothing")
    func twoWriters() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("two.sqlite")
        try LeakRecorder(path: db, options: RecorderOptions(flushIntervalSecs: 0)).close()   // create the file first
        let count = 30_000
        var processes: [Process] = []
        for source in ["left", "right"] {
            let file = dir.path("\(source).ndjson")
            try Self.ndjson(source: source, count: count).write(toFile: file, atomically: true, encoding: .utf8)
            processes.append(try Self.startIngest(db: db, file: file, batch: 2_000).0)
        }
        for p in processes { p.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "left").count == count)
        #expect(try reader.snapshots(source: "right").count == count)
        #expect(try Self.integrityCheck(db) == "ok")
    }

    @Test("a reader during heavy writes never waits on the writer and only sees whole batches")
    func readerDuringWrites() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("read.sqlite")
        let input = dir.path("events.ndjson")
        try Self.ndjson(source: "s", count: 100_000).write(toFile: input, atomically: true, encoding: .utf8)
        try LeakRecorder(path: db, options: RecorderOptions(flushIntervalSecs: 0)).close()
        let batch = 2_000
        let (process, _) = try Self.startIngest(db: db, file: input, batch: batch)
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        var observations: [Int] = []
        while process.isRunning {
            observations.append(try reader.snapshots(source: "s").count)
        }
        process.waitUntilExit()
        observations.append(try reader.snapshots(source: "s").count)
        #expect(observations.allSatisfy { $0 % batch == 0 })
        #expect(observations.last == 100_000)
        #expect(Set(observations).count > 1)   // it did read while the writer wrote
    }
}
