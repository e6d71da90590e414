import Foundation
import TestSupport
import LeakHistory
import SQLiteStore
import Testing

/// SPEC §7 for HTTP: a `serve` process killed with SIGKILL while clients post
/// events leaves a database that passes `PRAGMA integrity_check` and holds
/// every batch the server answered with a 2xx.
@Suite struct KilledServerKeepsAcknowledgedEventsTests {
    final class Acknowledged: @unchecked Sendable {
        private let lock = NSLock()
        private var batches = 0
        private var stopped = false
        func add() { lock.withLock { batches += 1 } }
        var count: Int { lock.withLock { batches } }
        func stop() { lock.withLock { stopped = true } }
        var isStopped: Bool { lock.withLock { stopped } }
    }

    @Test(arguments: [300, 900])
    func sigkillWhilePosting(afterMs: Int) throws {
        let fixture = try ServerFixture()
        let server = try ServeProcess.start(["serve", "--db", fixture.path, "--port", "0"])
        defer { server.kill() }
        let port = try server.waitForPort()
        let batch = 500
        let acknowledged = Acknowledged()
        let done = DispatchSemaphore(value: 0)
        // The child serves on the real clock, which also applies the retention policy: post recent events.
        let startMs = UnixTime.milliseconds(Date())
        Thread {
            var n = 0
            while !acknowledged.isStopped {
                let body = (0..<batch).map { i in
                    #"{"ts_ms": \#(startMs + Int64(n * batch + i)), "source": "posted", "usage_bytes": \#(1_000 + i)}"#
                }.joined(separator: "\n")
                guard let reply = try? RawHTTP.request(port: port, method: "POST", path: "/api/v1/memory/events",
                                                        body: body, contentType: "application/x-ndjson") else { break }
                if reply.status / 100 == 2 { acknowledged.add() }
                n += 1
            }
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: Double(afterMs) / 1000)
        server.kill()
        acknowledged.stop()
        done.wait()

        let db = try Database(path: fixture.path)
        let check = try db.makeStatement(sql: "PRAGMA integrity_check").fetchOne { $0.string(0) }
        try db.close()
        #expect(check == "ok")
        let reader = try HistoryReader(path: fixture.path)
        defer { try? reader.close() }
        let stored = try reader.snapshots(source: "posted").count
        #expect(stored >= acknowledged.count * batch)
        #expect(stored % batch == 0)
        print("killed serve after \(afterMs) ms: \(acknowledged.count) batches acknowledged, \(stored / batch) stored")
    }
}
