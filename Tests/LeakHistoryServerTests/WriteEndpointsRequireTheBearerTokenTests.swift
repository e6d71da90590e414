import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// With a token configured, POST and DELETE need `Authorization: Bearer
/// <token>`; reads stay open, and a refused write changes nothing.
@Suite struct WriteEndpointsRequireTheBearerTokenTests {
    static let token = "s3cret-token-0123456789abcdef"
    static let event = #"{"ts_ms": 1763999990000, "usage_bytes": 1048576}"#

    @Test(arguments: [
        (nil, "requires"),
        ("Bearer wrong-token-0123456789abcdef", "wrong"),
        ("Basic czNjcmV0", "wrong"),
        ("Bearer ", "wrong"),
        ("bearer s3cret-token-0123456789abcde", "wrong"),
    ] as [(String?, String)])
    func aWriteWithoutTheRightTokenIs401AndWritesNothing(authorization: String?, named: String) async throws {
        let fixture = try ServerFixture(token: Self.token)
        try await fixture.test { client in
            var headers: HTTPFields = [:]
            if let authorization { headers[.authorization] = authorization }
            try await client.execute(uri: "/api/v1/memory/events", method: .post, headers: headers, body: ByteBuffer(text: Self.event)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.errorMessage.contains(named))
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            try await client.execute(uri: "/api/v1/memory/baseline?source=default", method: .delete, headers: headers) { response in
                #expect(response.status == .unauthorized)
            }
        }
        #expect(try fixture.storedCounts().snapshots == 0)
    }

    @Test func theRightTokenWritesAndReadsNeedNone() async throws {
        let fixture = try ServerFixture(token: Self.token)
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post,
                                     headers: [.authorization: "Bearer \(Self.token)"], body: ByteBuffer(text: Self.event)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/memory/events", method: .post,
                                     headers: [.authorization: "bearer \(Self.token)"], body: ByteBuffer(text: Self.event)) { response in
                #expect(response.status == .ok, "the scheme is case-insensitive")
            }
            for uri in ["/api/v1/memory/leaks", "/api/v1/memory/baseline", "/metrics", "/health", "/"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                }
            }
        }
    }

    @Test func withoutATokenWritesAreOpen() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: Self.event)) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func theComparisonIsExact() {
        let expected = Array("abcdef0123456789".utf8)
        #expect(BearerTokenMiddleware<ServerRequestContext>.constantTimeEqual(expected, expected))
        #expect(!BearerTokenMiddleware<ServerRequestContext>.constantTimeEqual(Array("abcdef012345678".utf8), expected))
        #expect(!BearerTokenMiddleware<ServerRequestContext>.constantTimeEqual(Array("abcdef01234567890".utf8), expected))
        #expect(!BearerTokenMiddleware<ServerRequestContext>.constantTimeEqual(Array("Abcdef0123456789".utf8), expected))
        #expect(!BearerTokenMiddleware<ServerRequestContext>.constantTimeEqual([], expected))
    }
}
