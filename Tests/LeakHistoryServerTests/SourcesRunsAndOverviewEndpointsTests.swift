import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// `GET /sources`, `/runs` and `/overview`, the default source and window,
/// the no-data hint, local times, `POST /baseline` with `{}` and a replayed
/// `POST /events`, all on the router in process.
@Suite struct SourcesRunsAndOverviewEndpointsTests {
    /// `api` leaks (the shared history, ending at `fixedNowMs`); `web` is flat, restarted once, an hour ago.
    static func fixture() throws -> ServerFixture {
        let fixture = try ServerFixture()
        let start = fixedNowMs - 3_600_000
        var events = leakingHistory()
        for i in 0..<20 {
            if i == 10 { events.append(IngestEvent(source: "web", tsMs: start + Int64(i) * 5000, kind: .restart())) }
            events.append(IngestEvent(source: "web", tsMs: start + Int64(i) * 5000, kind: .snapshot(usageBytes: 50 * MiB)))
        }
        try fixture.ingest(events)
        return fixture
    }

    @Test func sourcesListRunsSamplesAndTheVerdict() async throws {
        let fixture = try Self.fixture()
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/sources", method: .get) { response in
                #expect(response.status == .ok)
                let sources = try #require(response.json["sources"] as? [[String: Any]])
                #expect(sources.map { $0["name"] as? String } == ["api", "web"])
                #expect(sources[0]["samples"] as? Int == 60 + 180)
                #expect(sources[0]["snapshots"] as? Int == 60)
                #expect(sources[0]["has_leaks"] as? Bool == true)
                #expect(sources[0]["verdict"] as? String == "leaking")
                #expect(sources[1]["runs"] as? Int == 2)
                #expect(sources[1]["samples"] as? Int == 20)
                #expect(sources[1]["first_sample_ms"] as? Int64 == fixedNowMs - 3_600_000)
                #expect(sources[1]["last_sample_ms"] as? Int64 == fixedNowMs - 3_600_000 + 95_000)
                // web's default window is its newest run, an hour ago, so it has a verdict rather than "no data".
                #expect(sources[1]["window_from_ms"] as? Int64 == fixedNowMs - 3_600_000 + 50_000)
                #expect(sources[1]["verdict"] as? String != "no data")
            }
        }
    }

    @Test func runsOfOneSourceOrOfAll() async throws {
        let fixture = try Self.fixture()
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/runs?source=web", method: .get) { response in
                let runs = try #require(response.json["runs"] as? [[String: Any]])
                #expect(runs.count == 2)
                #expect(runs.map { $0["samples"] as? Int } == [10, 10])
                #expect(runs[0]["ended_ms"] as? Int64 == fixedNowMs - 3_600_000 + 50_000)
                #expect(runs[0]["running"] as? Bool == false)
                #expect(runs[1]["running"] as? Bool == true)
                #expect(runs.allSatisfy { $0["source"] as? String == "web" })
            }
            try await client.execute(uri: "/api/v1/memory/runs", method: .get) { response in
                #expect((response.json["runs"] as? [[String: Any]])?.count == 3)
            }
            try await client.execute(uri: "/api/v1/memory/runs?source=ghost", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.errorMessage.contains("known: api, web"))
            }
        }
    }

    @Test func overviewIsWorstFirst() async throws {
        let fixture = try Self.fixture()
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/overview", method: .get) { response in
                #expect(response.status == .ok)
                let reports = try JSONDecoder().decode([LeakReport].self, from: Data(response.body.readableBytesView))
                #expect(reports.map(\.source) == ["api", "web"])
                #expect(reports[0].hasLeaks)
                #expect(!reports[1].hasLeaks)
            }
        }
    }

    @Test func aWindowWithoutSamplesSaysWhereTheyAre() async throws {
        let fixture = try Self.fixture()
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/leaks?source=web&since=10m", method: .get) { response in
                #expect(response.status == .ok)
                let report = try JSONDecoder().decode(LeakReport.self, from: Data(response.body.readableBytesView))
                #expect(!report.hasLeaks)
                #expect(report.sampleCount == 0)
                let hint = try #require(report.recommendations.first)
                #expect(hint.hasPrefix("No data — newest sample at 2025-11-24T15:01:35.000Z (58m ago)"))
                #expect(hint.contains("from=2025-11-24T15:00:50.000Z&to=2025-11-24T15:01:35.000Z"))
            }
            // Without a window, the newest run (shorter than 10 minutes) is the window.
            try await client.execute(uri: "/api/v1/memory/leaks?source=web", method: .get) { response in
                let report = try JSONDecoder().decode(LeakReport.self, from: Data(response.body.readableBytesView))
                #expect(report.sampleCount == 10)
                #expect(report.windowFromMs == fixedNowMs - 3_600_000 + 50_000)
            }
        }
    }

    @Test func withoutASourceTheOnlyOneIsMeant() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory(source: "solo"))
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/leaks", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["source"] as? String == "solo")
            }
            try await client.execute(uri: "/api/v1/memory/trend", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["source"] as? String == "solo")
            }
        }
    }

    @Test func withSeveralSourcesAndNoneNamedTheErrorListsThemAndCreatesNothing() async throws {
        let fixture = try Self.fixture()
        try await fixture.test { client in
            for (uri, method) in [("/api/v1/memory/leaks", HTTPRequest.Method.get), ("/api/v1/memory/trend", .get),
                                  ("/api/v1/memory/baseline", .get), ("/api/v1/memory/versions", .get)] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .notFound, "\(uri)")
                    // It names what exists, not a "default" source the client never asked for.
                    #expect(response.errorMessage == "source: the database holds 2 sources; name one with ?source= (known: api, web)", "\(uri)")
                }
            }
            // A baseline with a usage but no source does not make a ghost source.
            try await client.execute(uri: "/api/v1/memory/baseline", method: .post, body: ByteBuffer(text: #"{"usage_mb": 10}"#)) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/memory/sources", method: .get) { response in
                let names = (response.json["sources"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                #expect(names == ["api", "web"])
            }
            // Naming one still answers.
            try await client.execute(uri: "/api/v1/memory/leaks?source=web", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["source"] as? String == "web")
            }
        }
    }

    @Test func aTimeWithoutAZoneIsLocalAndABadOneNamesTheForms() async throws {
        let fixture = try Self.fixture()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let local = calendar.date(from: DateComponents(year: 2025, month: 11, day: 24, hour: 15, minute: 30))!
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/leaks?source=api&from=2025-11-24%2015:30&to=2025-11-24T16:00:00Z", method: .get) { response in
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.json["window_from_ms"] as? Int64 == UnixTime.milliseconds(local))
            }
            try await client.execute(uri: "/api/v1/memory/leaks?source=api&from=yesterday-ish", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage.contains("is not a time"))
                #expect(response.errorMessage.contains("Unix milliseconds"))
            }
        }
    }

    @Test func postBaselineWithAnEmptyObjectTakesTheNewestSampleAndOpensNoRun() async throws {
        let fixture = try Self.fixture()
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/baseline?source=web", method: .post, body: ByteBuffer(text: "{}")) { response in
                #expect(response.status == .ok, "\(response.text)")
                let baseline = try #require(response.json["baseline"] as? [String: Any])
                #expect(baseline["usage_bytes"] as? Int64 == 50 * MiB)
                #expect(baseline["sample_ts_ms"] as? Int64 == fixedNowMs - 3_600_000 + 95_000)
            }
            try await client.execute(uri: "/api/v1/memory/runs?source=web", method: .get) { response in
                #expect((response.json["runs"] as? [[String: Any]])?.count == 2)
            }
            try await client.execute(uri: "/api/v1/memory/baseline?source=newsrc", method: .post, body: ByteBuffer(text: "{}")) { response in
                #expect(response.status == .notFound)
            }
        }
        #expect(try fixture.storedCounts().sources == ["api", "web"])
    }

    @Test func aRetriedPostStoresNothingTwice() async throws {
        let fixture = try ServerFixture()
        let body = ndjson(leakingHistory(steps: 5))
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.json["stored"] as? Int == 20)
                #expect(response.json["already_stored"] as? Int == 0)
            }
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .ok)
                #expect(response.json["stored"] as? Int == 0)
                #expect(response.json["already_stored"] as? Int == 20)
            }
        }
        let counts = try fixture.storedCounts()
        #expect(counts.snapshots == 5)
        #expect(counts.componentSamples == 15)
    }
}
