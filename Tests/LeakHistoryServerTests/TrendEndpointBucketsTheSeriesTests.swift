import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// `GET /api/v1/memory/trend` buckets usage or one component over a window,
/// with its verdict, and refuses bad buckets and unknown components.
@Suite struct TrendEndpointBucketsTheSeriesTests {
    @Test func usageInMinuteBucketsWithAVerdict() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/trend?source=api&since=10m&bucket=1m", method: .get) { response in
                #expect(response.status == .ok)
                let json = response.json
                #expect(json["bucket_ms"] as? Int == 60_000)
                let buckets = json["buckets"] as? [[String: Any]] ?? []
                #expect((10...11).contains(buckets.count))
                #expect(buckets.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == 60)
                #expect((json["verdict"] as? [String: Any])?["status"] as? String == "leaking")
            }
        }
    }

    @Test func oneComponentWithAnAutomaticBucket() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/trend?source=api&since=1h&component=session_cache", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["component"] as? String == "session_cache")
                #expect(response.json["bucket_ms"] as? Int == 15_000)
                let last = (response.json["buckets"] as? [[String: Any]])?.last
                #expect(last?["last_bytes"] as? Int == Int(60 * MiB))
            }
        }
    }

    @Test func automaticBucketsAreRoundAndFew() {
        #expect(TrendController<ServerRequestContext>.automaticBucketMs(spanMs: 3_600_000) == 15_000)
        #expect(TrendController<ServerRequestContext>.automaticBucketMs(spanMs: 86_400_000) == 600_000)
        #expect(TrendController<ServerRequestContext>.automaticBucketMs(spanMs: 30 * 86_400_000) == 3 * 3_600_000)
        #expect(TrendController<ServerRequestContext>.automaticBucketMs(spanMs: 10_000) == 1000)
    }

    @Test(arguments: [
        ("/api/v1/memory/trend?source=api&bucket=0s", 400, "bucket"),
        ("/api/v1/memory/trend?source=api&bucket=500ms", 400, "bucket"),
        ("/api/v1/memory/trend?source=api&bucket=fortnight", 400, "bucket"),
        ("/api/v1/memory/trend?source=api&since=100y&bucket=1s", 400, "bucket"),
        ("/api/v1/memory/trend?source=api&component=nope", 404, "nope"),
        ("/api/v1/memory/trend?source=ghost", 404, "ghost"),
        ("/api/v1/memory/trend?source=api&from=1764000000000&to=1700000000000", 400, "from"),
    ])
    func badRequestsNameTheProblem(uri: String, status: Int, named: String) async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory())
        try await fixture.test { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status.code == status, "\(uri): \(response.text)")
                #expect(response.errorMessage.contains(named), "\(uri): \(response.errorMessage)")
            }
        }
    }
}
