import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// `/health` reports the database, and every failure, including unknown
/// routes, is a JSON `{"error": …}` with a 4xx, never an empty body.
@Suite struct HealthAndErrorsAnswerJSONTests {
    @Test func healthNamesTheDatabaseAndSchema() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["status"] as? String == "ok")
                #expect(response.json["database"] as? String == fixture.path)
                #expect((response.json["schema_version"] as? Int ?? 0) >= 1)
                #expect(response.json["sources"] as? Int == 1)
            }
        }
    }

    @Test func aMissingDatabaseFileIsCreated() async throws {
        let fixture = try ServerFixture()
        #expect(FileManager.default.fileExists(atPath: fixture.path))
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        await fixture.close()
    }

    @Test func afterCloseRequestsAre503NotCrashes() async throws {
        let fixture = try ServerFixture()
        let app = try fixture.application()
        await fixture.database.close()
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.json["status"] as? String == "unavailable")
            }
            try await client.execute(uri: "/api/v1/memory/leaks", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.errorMessage.contains("shutting down"))
            }
        }
    }

    @Test(arguments: [
        ("/nowhere", HTTPRequest.Method.get, 404, "no route"),
        ("/api/v1/memory/leaks", .put, 405, "PUT is not allowed on /api/v1/memory/leaks (allowed: GET, HEAD)"),
        ("/api/v1/memory/events", .get, 405, "allowed: POST"),
        ("/api/v1/memory/baseline", .patch, 405, "allowed: DELETE, GET, HEAD, POST"),
        ("/health?verbose=1", .get, 400, "verbose"),
        ("/metrics?format=json", .get, 400, "format"),
        ("/api/v1/memory/sources?x=1", .get, 400, "takes none"),
    ])
    func failuresAreJSON(uri: String, method: HTTPRequest.Method, status: Int, named: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            try await client.execute(uri: uri, method: method) { response in
                #expect(response.status.code == status)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(response.errorMessage.contains(named), "\(response.errorMessage)")
            }
        }
    }

    @Test func headRequestsAnswerLikeGets() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            try await client.execute(uri: "/health", method: .head) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
