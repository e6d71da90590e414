import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// With `--protect-reads`, every GET needs the bearer token too (the CSV
/// export holds the whole history), except `/health` and `/metrics`, which
/// stay open unless protected on their own.
@Suite struct ProtectReadsPutsEveryGetBehindTheTokenTests {
    static let token = "0123456789abcdef0123456789abcdef"
    static let reads = ["/api/v1/memory/export.csv", "/api/v1/memory/leaks?source=api", "/api/v1/memory/trend?source=api",
                        "/api/v1/memory/baseline?source=api", "/api/v1/memory/sources", "/", "/openapi.yaml"]

    func statuses(_ configure: @escaping (inout ServerConfiguration) -> Void, authorized: Bool) async throws -> [String: UInt] {
        let fixture = try ServerFixture(token: Self.token, configure: configure)
        try fixture.ingest(leakingHistory())
        let result = StatusBox()
        let headers: HTTPFields = authorized ? [.authorization: "Bearer \(Self.token)"] : [:]
        try await fixture.test { client in
            for path in Self.reads + ["/health", "/metrics"] {
                try await client.execute(uri: path, method: .get, headers: headers) { response in
                    result.set(path, response.status.code)
                    if response.status == .unauthorized { #expect(response.errorMessage.contains("Bearer")) }
                }
            }
        }
        return result.all
    }

    @Test func withoutTheFlagReadsStayOpen() async throws {
        let open = try await statuses({ _ in }, authorized: false)
        for path in Self.reads + ["/health", "/metrics"] { #expect(open[path] == 200, "\(path)") }
    }

    @Test func withTheFlagEveryReadButHealthAndMetricsNeedsTheToken() async throws {
        let closed = try await statuses({ $0.protectReads = true }, authorized: false)
        for path in Self.reads { #expect(closed[path] == 401, "\(path)") }
        #expect(closed["/health"] == 200)
        #expect(closed["/metrics"] == 200)
        let allowed = try await statuses({ $0.protectReads = true }, authorized: true)
        for path in Self.reads + ["/health", "/metrics"] { #expect(allowed[path] == 200, "\(path)") }
    }

    @Test func healthAndMetricsCanBeProtectedApart() async throws {
        let closed = try await statuses({ $0.protectReads = true; $0.protectMetrics = true }, authorized: false)
        #expect(closed["/health"] == 200)
        #expect(closed["/metrics"] == 401)
        let both = try await statuses({ $0.protectReads = true; $0.protectMetrics = true; $0.protectHealth = true }, authorized: false)
        #expect(both["/health"] == 401)
    }

    @Test func protectingReadsWithoutATokenIsRefused() throws {
        var configuration = ServerConfiguration(databasePath: "/tmp/x.sqlite")
        configuration.protectReads = true
        #expect(throws: ServerConfigurationError.self) { try configuration.validate() }
    }
}

final class StatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [String: UInt] = [:]
    func set(_ path: String, _ status: Int) { lock.withLock { statuses[path] = UInt(status) } }
    var all: [String: UInt] { lock.withLock { statuses } }
}
