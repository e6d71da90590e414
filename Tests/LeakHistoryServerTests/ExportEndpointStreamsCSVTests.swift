import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Synchronization
import Testing
@testable import LeakHistoryServer

/// `GET /api/v1/memory/export.csv` streams RFC 4180 CSV with a header row,
/// checks everything it can refuse before the first byte, and its pipe
/// holds back a producer that gets ahead of the client.
@Suite struct ExportEndpointStreamsCSVTests {
    @Test func snapshotsWithAHeaderRow() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/export.csv?source=api", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true)
                #expect(response.headers[.contentDisposition]?.contains("leak-history-snapshots.csv") == true)
                let lines = response.text.split(separator: "\r\n", omittingEmptySubsequences: true)
                #expect(lines.first == "source,run_id,ts_ms,ts,usage_bytes")
                #expect(lines.count == 61)
                #expect(lines.last?.hasPrefix("api,") == true)
                #expect(lines.last?.hasSuffix(",\(159 * MiB)") == true)
            }
        }
    }

    @Test func oneComponentInAWindow() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            let uri = "/api/v1/memory/export.csv?what=components&source=api&component=session_cache&from=\(fixedNowMs - 95_000)&to=\(fixedNowMs)"
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok)
                let lines = response.text.split(separator: "\r\n")
                #expect(lines.first == "source,component,kind,run_id,ts_ms,ts,allocated_bytes,allocations,deallocations")
                #expect(lines.count == 11)
                #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("api,session_cache,counted,") })
            }
        }
    }

    @Test func aLargeExportArrivesWhole() async throws {
        let fixture = try ServerFixture()
        let events = (0..<30_000).map { IngestEvent(source: "big", tsMs: fixedNowMs - 3_000_000 + Int64($0) * 100, kind: .snapshot(usageBytes: Int64($0))) }
        try fixture.ingest(events)
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/export.csv", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes > 64 * 1024 * 10, "several chunks' worth")
                #expect(response.text.split(separator: "\r\n").count == 30_001)
            }
        }
    }

    @Test(arguments: [
        ("/api/v1/memory/export.csv?what=everything", 400, "what"),
        ("/api/v1/memory/export.csv?component=session_cache", 400, "what=components"),
        ("/api/v1/memory/export.csv?source=ghost", 404, "ghost"),
        ("/api/v1/memory/export.csv?what=components&source=api&component=ghost", 404, "ghost"),
        ("/api/v1/memory/export.csv?since=2h&from=1764000000000&to=1764000100000", 400, "at most one"),
        ("/api/v1/memory/export.csv?limit=10", 400, "limit"),
    ])
    func refusalsComeBeforeTheFirstByte(uri: String, status: Int, named: String) async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status.code == status, "\(uri): \(response.text)")
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(response.errorMessage.contains(named), "\(uri): \(response.errorMessage)")
            }
        }
    }

    @Test func tooManyConcurrentExportsAre503() async throws {
        let limiter = ExportLimiter(limit: 2)
        let first = limiter.acquire()
        let second = limiter.acquire()
        #expect(first != nil && second != nil)
        #expect(limiter.acquire() == nil)
        first?.release()
        first?.release()
        let third = limiter.acquire()
        #expect(third != nil)
        #expect(limiter.acquire() == nil, "a lease released twice frees one place only")
        withExtendedLifetime((second, third)) {}
    }

    @Test func thePipeHoldsTheProducerBackAndReleasesItOnCancel() async throws {
        // A stall timeout far past any delay a loaded machine adds: only the cancel may stop it.
        let pipe = ChunkPipe(capacity: 2, stallTimeoutSecs: 600)
        let sent = Atomic<Int>(0)
        let outcome = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let producer = Thread {
            do {
                for index in 0..<100 {
                    try pipe.send(ByteBuffer(string: "chunk \(index)"))
                    sent.add(1, ordering: .relaxed)
                }
                outcome.withLock { $0 = "finished" }
            } catch {
                outcome.withLock { $0 = "\(error)" }
            }
            done.signal()
        }
        producer.start()
        #expect(String(buffer: try #require(try await pipe.next())) == "chunk 0")
        try await Task.sleep(for: .milliseconds(200))
        // Two waiting in the pipe plus the one taken: the producer is blocked, not racing ahead.
        #expect(sent.load(ordering: .relaxed) <= 3)
        pipe.cancel()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(outcome.withLock { $0 } == "the client went away")
    }

    @Test func aStalledClientStopsTheProducer() async throws {
        let pipe = ChunkPipe(capacity: 1, stallTimeoutSecs: 0.2)
        try pipe.send(ByteBuffer(string: "a"))
        #expect(throws: ChunkPipe.Stopped.self) { try pipe.send(ByteBuffer(string: "b")) }
    }

    @Test func aProducerErrorReachesTheConsumerAfterItsChunks() async throws {
        struct Broken: Error {}
        let pipe = ChunkPipe(capacity: 4, stallTimeoutSecs: 5)
        try pipe.send(ByteBuffer(string: "a"))
        pipe.finish(throwing: Broken())
        #expect(try await pipe.next().map { String(buffer: $0) } == "a")
        await #expect(throws: Broken.self) { _ = try await pipe.next() }
    }
}
