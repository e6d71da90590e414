import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Synchronization
import Testing
@testable import LeakHistoryServer

/// `GET /metrics` lists only the largest components of a source (the rest as
/// one count and one sum), reuses its figures while the file is unchanged,
/// reads them again after a write, and the component limit holds for the
/// stored components: past it, events naming new ones get a 400.
@Suite struct MetricsStayBoundedWhateverTheComponentCountTests {
    /// The component limit's worth of components (10,000), each a gauge of `i` KiB.
    static func manyComponents(_ count: Int) -> [IngestEvent] {
        (0..<count).map { i in
            IngestEvent(source: "wide", tsMs: fixedNowMs - 60_000 + Int64(i % 50_000), kind: .gauge(component: "c\(i)", bytes: Int64(i) * 1024))
        }
    }

    static func sample(_ text: String, _ prefix: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test func tenThousandComponentsGiveTheTopFiftyAndOneSumAndTheScrapeIsCachedUntilAWrite() async throws {
        let count = HistoryWriter.defaultMaxComponentsPerSource
        // The cache's age limit is set far beyond the test: on a starved
        // machine one scrape has taken 48 s, which outlived the default 10 s
        // age and made the second scrape rebuild. A write is what must end
        // the reuse here, not the clock.
        let fixture = try ServerFixture(configure: { $0.metricsCacheSecs = 3600 })
        try fixture.ingest(Self.manyComponents(count))
        let scrapes = Mutex<[(text: String, seconds: Double)]>([])
        try await fixture.test { client in
            for round in 0..<3 {
                if round == 2 {
                    // A write: the next scrape reads the file again and sees the new largest component.
                    let body = #"{"ts_ms": \#(fixedNowMs - 1000), "source": "wide", "component": "c7", "allocated_bytes": 1099511627776}"#
                    try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                        #expect(response.status == .ok)
                    }
                }
                let started = ContinuousClock.now
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    let elapsed = started.duration(to: .now)
                    scrapes.withLock { $0.append((response.text, Double(elapsed.components.attoseconds) * 1e-18 + Double(elapsed.components.seconds))) }
                }
            }
        }
        let all = scrapes.withLock { $0 }
        let first = all[0].text
        let listed = first.split(separator: "\n").filter { $0.hasPrefix("leak_history_component_bytes{source=\"wide\"") }
        #expect(listed.count == 50)
        #expect(listed.first?.contains("component=\"c\(count - 1)\"") == true)
        #expect(Self.sample(first, "leak_history_other_components{source=\"wide\"}") == Double(count - 50))
        let total = (0..<count).reduce(0.0) { $0 + Double($1) * 1024 }
        let listedBytes = listed.compactMap { Double($0.split(separator: " ").last!) }.reduce(0, +)
        #expect(Self.sample(first, "leak_history_other_components_bytes{source=\"wide\"}") == total - listedBytes)
        // The second scrape reused the first's database figures (same collect time); the third, after a write, did not.
        let collect = all.map { Self.sample($0.text, "leak_history_metrics_collect_seconds") }
        #expect(collect[0] != nil && collect[0] == collect[1])
        #expect(all[2].text.contains("component=\"c7\",kind=\"gauge\"} 1099511627776"))
        print("/metrics over \(count) components: \(first.utf8.count) bytes; scrapes took \(all.map { String(format: "%.3f", $0.seconds) }.joined(separator: ", ")) s (the second from the cache; collect \(collect[0] ?? -1) s)")
    }

    @Test func pastTheComponentLimitNewComponentsGetA400NamingTheLine() async throws {
        let fixture = try ServerFixture(maxComponentsPerSource: 5)
        let body = (0..<8).map { #"{"ts_ms": \#(fixedNowMs - 1000 + Int64($0)), "component": "part\#($0)", "alloc_bytes": 10}"# }
            .joined(separator: "\n")
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage.hasPrefix("line 6: component: 'part5' would be one component too many"))
                #expect(response.errorMessage.contains("the limit is 5 per source"))
            }
            // Existing components still take events; five is the limit, not four.
            let five = (0..<5).map { #"{"ts_ms": \#(fixedNowMs - 500 + Int64($0)), "component": "part\#($0)", "alloc_bytes": 10}"# }
                .joined(separator: "\n")
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: five)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/memory/events", method: .post,
                                     body: ByteBuffer(text: #"{"ts_ms": \#(fixedNowMs - 100), "component": "part0", "alloc_bytes": 10}"#)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/memory/events", method: .post,
                                     body: ByteBuffer(text: #"{"ts_ms": \#(fixedNowMs - 100), "component": "another", "alloc_bytes": 10}"#)) { response in
                #expect(response.status == .badRequest)
            }
        }
        #expect(try fixture.storedCounts().componentSamples == 6)
    }
}
