import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// Bodies whose every line is within the limits but whose sums are not: a 400
/// naming the line, nothing stored, and the server answers the next request.
/// (Before, the first crashed `serve` with an arithmetic overflow and the
/// second answered 500 from SQLite's "integer overflow".)
@Suite struct OverflowingEventsGetA400AndTheServerStaysUpTests {
    static let PiB = InputRules.maxBytes

    @Test func eightThousandOnePiBAllocationsAreRefusedAtLineTwoAndTheServerAnswersAfterwards() async throws {
        let fixture = try ServerFixture()
        let body = (0..<8_192).map { #"{"ts_ms":\#(fixedNowMs - 10_000 + Int64($0)),"component":"ovf","alloc_bytes":\#(Self.PiB)}"# }
            .joined(separator: "\n")
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage.hasPrefix("line 2: alloc_bytes: component 'ovf' would hold"))
                #expect(response.errorMessage.contains("nothing was stored"))
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(try fixture.storedCounts().componentSamples == 0)
    }

    @Test func aMinuteOfOnePiBSnapshotsIsStoredAndItsTrendAnswers() async throws {
        let fixture = try ServerFixture()
        let minute = fixedNowMs - fixedNowMs % 60_000 - 60_000
        let body = (0..<9_000).map { #"{"ts_ms":\#(minute + Int64($0 * 5)),"usage_bytes":\#(Self.PiB)}"# }.joined(separator: "\n")
        try await fixture.test { client in
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: body)) { response in
                #expect(response.status == .ok)
                #expect(response.json["stored"] as? Int == 9_000)
            }
            try await client.execute(uri: "/api/v1/memory/trend?since=1h&bucket=1h", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/memory/leaks?since=1h", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
