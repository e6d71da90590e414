import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// When the file cannot take writes, a POST answers 503 (507 for a full disk)
/// saying so in plain words, nothing of it is stored, `/health` reports
/// `degraded` with the reason, and reads keep working. (Before: 500
/// "internal error" and a `/health` that said ok.)
@Suite(.serialized) struct UnwritableDatabaseAnswers503AndHealthSaysDegradedTests {
    /// The server on the file at `path` (which need not be in a fixture's directory).
    static func server(_ path: String) throws -> (HistoryDatabase, some ApplicationProtocol) {
        let database = try HistoryDatabase(path: path, readerConnections: 1, logger: ServerFixture.logger)
        var configuration = ServerConfiguration(databasePath: path)
        configuration.port = 0
        let app = try buildApplication(configuration, database: database, logger: ServerFixture.logger,
                                       now: { UnixTime.date(milliseconds: fixedNowMs) })
        return (database, app)
    }

    static let body = ByteBuffer(text: #"{"ts_ms": 1763999990000, "usage_bytes": 1048576}"#)

    /// The tests run as root, whom a 0444 mode does not stop: the immutable
    /// attribute makes the file read-only for root too (skipped without it).
    @Test func aReadOnlyFileGets503ReadOnlyAndHealthDegraded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lh-ro-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ro.sqlite").path
        let writer = try HistoryWriter(path: path)
        try writer.ingest(leakingHistory(), atomic: true)
        try writer.close()
        guard SmallDisk.run("/usr/bin/chattr", ["+i", path]) else {
            print("skipped: chattr +i is not available here")
            return
        }
        defer { SmallDisk.run("/usr/bin/chattr", ["-i", path]) }
        let (database, app) = try Self.server(path)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["status"] as? String == "degraded")
                #expect((response.json["reason"] as? String)?.contains("is read-only") == true)
            }
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: Self.body) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.errorMessage.contains("the database file '\(path)' is read-only"))
                #expect(response.errorMessage.contains("nothing of this request was stored"))
            }
            try await client.execute(uri: "/api/v1/memory/leaks?source=api", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        await database.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "default").isEmpty)
    }

    @Test func aFullDiskGets507DiskFullAndHealthDegradedAndReadsStillWork() async throws {
        guard let disk = SmallDisk(kilobytes: 768) else { return }
        let path = disk.path("full.sqlite")
        let (database, app) = try Self.server(path)
        try await app.test(.router) { client in
            var stored = 0
            var failure: (status: HTTPResponse.Status, message: String)?
            for batch in 0..<200 where failure == nil {
                let body = (0..<2_000).map { i in
                    #"{"ts_ms": \#(fixedNowMs - 3_600_000 + Int64(batch * 2_000 + i)), "component": "c\#(i % 50)-with-a-longish-name", "allocated_bytes": \#(i)}"#
                }.joined(separator: "\n")
                try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                    if response.status == .ok { stored += 2_000 } else { failure = (response.status, response.errorMessage) }
                }
            }
            let failed = try #require(failure, "the disk never filled")
            #expect(failed.status.code == 507)
            #expect(failed.message.contains("the disk holding '\(path)' is full"))
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.json["status"] as? String == "degraded")
                #expect((response.json["reason"] as? String)?.contains("is full") == true)
            }
            try await client.execute(uri: "/api/v1/memory/trend?since=2h&bucket=1m&component=c1-with-a-longish-name", method: .get) { response in
                #expect(response.status == .ok)
            }
            print("full disk: \(stored) events stored in 768 KiB, then 507: \(failed.message)")
        }
        await database.close()
    }
}
