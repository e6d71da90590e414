import Foundation
import TestSupport
import SQLiteStore
import Testing
@testable import LeakHistory

/// SPEC §7 for files and memory: broken or foreign files give a clear error
/// naming the file and stay as they were; a full disk fails a flush cleanly;
/// when the disk stalls, buffers stay bounded and what is dropped is counted.
@Suite("Reliability: files and buffers", .serialized)
struct ReliabilityFilesAndBuffersTests {
    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test("a file that is not SQLite, or a truncated database, is refused by name and left unchanged")
    func brokenFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let text = dir.path("notes.sqlite")
        try "these are not the bytes you are looking for\n".write(toFile: text, atomically: true, encoding: .utf8)

        let good = dir.path("good.sqlite")
        let recorder = try LeakRecorder(path: good, options: RecorderOptions(flushIntervalSecs: 0))
        for i in 0..<2_000 { recorder.trackAllocation("c\(i % 50)", bytes: Int64(i)); if i % 100 == 0 { try recorder.flush() } }
        try recorder.close()
        let truncated = dir.path("truncated.sqlite")
        let whole = try Self.bytes(good)
        try whole.prefix(whole.count / 3).write(to: URL(fileURLWithPath: truncated))

        for path in [text, truncated] {
            let before = try Self.bytes(path)
            #expect {
                _ = try LeakRecorder(path: path, options: RecorderOptions(flushIntervalSecs: 0))
            } throws: { error in
                "\(error)".contains(path)
            }
            #expect {
                _ = try HistoryReader(path: path).report(window: TimeWindow(fromMs: 0, toMs: 1))
            } throws: { error in
                "\(error)".contains(path)
            }
            #expect(try Self.bytes(path) == before)
        }
    }

    @Test("another application's SQLite file is refused, not migrated")
    func foreignFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("other.sqlite")
        let db = try Database(path: path)
        try db.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        try db.close()
        #expect {
            _ = try HistoryWriter(path: path)
        } throws: { error in
            "\(error)".contains("not a LeakHistory database")
        }
    }

    @Test("a directory that cannot hold the file gives a clear error naming the path")
    func unwritableLocation() {
        let path = "/proc/leak-history-\(UUID().uuidString).sqlite"
        #expect {
            _ = try LeakRecorder(path: path, options: RecorderOptions(flushIntervalSecs: 0))
        } throws: { error in
            "\(error)".contains(path)
        }
    }

    @Test("a full disk fails the flush with a clear error; flushed data stays intact")
    func fullDisk() throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("lh-full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mountPoint]
        mount.standardError = FileHandle.nullDevice
        guard (try? mount.run()) != nil else { return }
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else {
            print("full-disk test skipped: cannot mount a tmpfs here (needs root)")
            return
        }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint]
            try? umount.run()
            umount.waitUntilExit()
        }
        let path = mountPoint + "/full.sqlite"
        var options = RecorderOptions(source: "full", flushIntervalSecs: 0)
        options.pruneIntervalSecs = 0
        let clock = ManualClock()
        let recorder = try LeakRecorder(path: path, options: options, now: clock.now)
        recorder.recordSnapshot(usageBytes: 1)
        try recorder.flush()
        var failure: (any Error)?
        var flushed = 1
        for round in 0..<2_000 where failure == nil {
            clock.advance(ms: 1000)
            for i in 0..<200 { recorder.trackAllocation("component-with-a-long-name-\(round)-\(i)", bytes: 1) }
            recorder.recordSnapshot(usageBytes: Int64(round + 2))
            do {
                try recorder.flush()
                flushed += 1
            } catch {
                failure = error
            }
        }
        let error = try #require(failure)
        #expect("\(error)".contains("full") || "\(error)".contains("disk"))
        #expect("\(error)".contains(path))
        try? recorder.close()
        #expect(try ReliabilityCrashSafetyTests.integrityCheck(path) == "ok")
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "full").count >= flushed)
    }

    @Test("when the disk stalls, pending snapshots stay bounded and the dropped ones are counted")
    func boundedBuffer() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("stall.sqlite")
        var options = RecorderOptions(source: "stall", flushIntervalSecs: 0)
        options.maxPendingSnapshots = 100
        options.busyTimeoutMilliseconds = 20
        let clock = ManualClock()
        let recorder = try LeakRecorder(path: path, options: options, now: clock.now)
        try recorder.flush()
        // Another process holds the write lock: every flush times out.
        let blocker = try Database(path: path)
        try blocker.execute(sql: "BEGIN IMMEDIATE")
        for i in 0..<250 {
            clock.advance(ms: 10)
            recorder.recordSnapshot(usageBytes: Int64(i))
            if i % 50 == 49 { #expect(throws: (any Error).self) { try recorder.flush() } }
        }
        #expect(recorder.droppedSnapshotCount == 150)
        #expect(recorder.detectLeaks().recommendations.contains { $0.hasPrefix("150 snapshots were dropped") })
        try blocker.execute(sql: "ROLLBACK")
        try blocker.close()
        try recorder.flush()
        try recorder.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        // The newest 100 survived.
        #expect(try reader.snapshots(source: "stall").map(\.usageBytes) == (150..<250).map(Int64.init))
    }
}
