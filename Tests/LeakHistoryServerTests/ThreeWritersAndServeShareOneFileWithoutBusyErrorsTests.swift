import Foundation
import TestSupport
import LeakHistory
import Testing

/// SPEC §7, "two processes may write the same database file", under load:
/// three `leak-history ingest` processes, each ingesting file after file,
/// while a `serve` process takes POSTs from two clients, all into one file.
/// Writers wait their turn (busy handler with backoff): no run fails with
/// SQLITE_BUSY, no POST gets anything but 200, and every event is stored.
/// `scripts/concurrent-writers.sh` runs the same for longer.
@Suite struct ThreeWritersAndServeShareOneFileWithoutBusyErrorsTests {
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: Int] = [:]
        private var notes: [String] = []
        func add(_ key: String, _ n: Int = 1) { lock.withLock { values[key, default: 0] += n } }
        func note(_ text: String) { lock.withLock { notes.append(text) } }
        subscript(_ key: String) -> Int { lock.withLock { values[key] ?? 0 } }
        var allNotes: [String] { lock.withLock { notes } }
    }

    static let seconds = 20.0
    static let linesPerFile = 20_000

    @Test func threeIngestProcessesAndServeUnderLoadHaveNoErrorsAndLoseNothing() async throws {
        let fixture = try ServerFixture()
        let server = try ServeProcess.start(["serve", "--db", fixture.path, "--port", "0"])
        defer { server.kill() }
        let port = try server.waitForPort()
        let tally = Tally()
        let startMs = UnixTime.milliseconds(Date())
        let deadline = Date().addingTimeInterval(Self.seconds)
        let group = DispatchGroup()
        for writer in 1...3 {
            DispatchQueue.global().async(group: group) {
                var round = 0
                // At least one round each: on a loaded machine the queue may start a block after the deadline.
                repeat {
                    let file = fixture.directory.appendingPathComponent("w\(writer)-\(round).ndjson").path
                    let base = startMs + Int64(round * Self.linesPerFile)
                    let text = (0..<Self.linesPerFile).map { #"{"ts_ms":\#(base + Int64($0)),"source":"w\#(writer)","usage_bytes":\#(1_000 + $0)}"# }
                        .joined(separator: "\n")
                    try? text.write(toFile: file, atomically: true, encoding: .utf8)
                    do {
                        let run = try leakHistory(["ingest", "--db", fixture.path, "--batch", "2000", file])
                        if run.status == 0 { tally.add("w\(writer)", Self.linesPerFile) } else { tally.note("ingest w\(writer) exit \(run.status): \(run.stderr)") }
                    } catch {
                        tally.note("ingest w\(writer): \(error)")
                    }
                    try? FileManager.default.removeItem(atPath: file)
                    round += 1
                } while Date() < deadline && round < 50
            }
        }
        for client in 1...2 {
            DispatchQueue.global().async(group: group) {
                var batch = 0
                repeat {
                    let base = startMs + Int64(batch * 500)
                    let body = (0..<500).map { #"{"ts_ms":\#(base + Int64($0)),"source":"p\#(client)","usage_bytes":\#(7 + $0)}"# }
                        .joined(separator: "\n")
                    do {
                        let reply = try RawHTTP.request(port: port, method: "POST", path: "/api/v1/memory/events", body: body,
                                                        contentType: "application/x-ndjson")
                        if reply.status == 200 { tally.add("p\(client)", 500) } else { tally.note("POST p\(client): \(reply.status) \(reply.body)") }
                        let health = try RawHTTP.request(port: port, method: "GET", path: "/api/v1/memory/leaks?source=p\(client)")
                        if health.status != 200 { tally.note("GET leaks p\(client): \(health.status) \(health.body)") }
                    } catch {
                        tally.note("POST p\(client): \(error)")
                    }
                    batch += 1
                } while Date() < deadline && batch < 10_000
            }
        }
        // Waited for on a thread of its own: a 20 s wait must not hold one of
        // the few threads Swift Testing runs every other test on.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { done.resume() }
        }
        #expect(tally.allNotes.isEmpty, "\(tally.allNotes.prefix(5))")
        let reader = try HistoryReader(path: fixture.path)
        defer { try? reader.close() }
        var summary: [String] = []
        for source in ["w1", "w2", "w3", "p1", "p2"] {
            let stored = try reader.snapshots(source: source).count
            #expect(stored == tally[source], "\(source)")
            #expect(tally[source] > 0, "\(source) wrote nothing")
            summary.append("\(source) \(stored)")
        }
        print("3 ingest processes + serve with 2 posting clients for \(Self.seconds) s: \(summary.joined(separator: ", ")) events stored, \(tally.allNotes.count) errors")
    }
}
