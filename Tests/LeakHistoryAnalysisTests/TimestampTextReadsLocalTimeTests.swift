import Foundation
import TestSupport
import Testing
@testable import LeakHistoryAnalysis

/// Times without a zone are local time (here: a zone passed in), times with
/// one are exact, and anything else is an error naming the accepted forms.
@Suite struct TimestampTextReadsLocalTimeTests {
    static let paris = TimeZone(identifier: "Europe/Paris")!
    /// 2025-11-24T16:00:00Z.
    static let t0: Int64 = 1_764_000_000_000

    @Test(arguments: [
        ("2025-11-24 17:00", t0), ("2025-11-24T17:00", t0), ("2025-11-24 17:00:00", t0), ("2025-11-24T17:00:00.250", t0 + 250),
        ("2025-11-24T16:00:00Z", t0), ("2025-11-24T18:00:00+02:00", t0), ("2025-11-24T11:00:00-0500", t0),
        ("2025-11-24T16:00:00.5Z", t0 + 500), ("2025-11-24", t0 - 17 * 3_600_000), ("1764000000000", t0),
        // Summer time: Paris is UTC+2 in July.
        ("2025-07-01 12:00", 1_751_364_000_000),
    ])
    func accepted(text: String, expected: Int64) throws {
        #expect(try TimestampText.milliseconds(text, field: "from", timeZone: Self.paris) == expected)
    }

    @Test(arguments: ["2025-02-30 10:00", "2025-11-24T25:00", "2025-11-24T17:00:00x", "24/11/2025", "2025-11-24T17", "yesterday",
                      "2025-11-24T17:00:00+25:00", "", "2025-11-24 17:00:00.1234567890"])
    func refused(text: String) {
        #expect {
            try TimestampText.milliseconds(text, field: "from", timeZone: Self.paris)
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("from: ") && message.contains("is not a time") && message.contains("Unix milliseconds")
        }
    }
}

/// `TimestampText.iso` writes what Foundation's ISO 8601 formatter writes (it
/// no longer builds one per call), for any time, and reads back as written.
@Suite struct TimestampTextWritesISOTests {
    @Test("5,000 random times from 1600 to 9999, the days around leap years and the epoch: the formatter's text, read back to the millisecond")
    func matchesTheFormatter() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var rng = SeededRandom(state: 86_400)
        // 1600-01-01, 1900-03-01, 2000-02-29, 2100-03-01, 9999-12-31T23:59:59.999.
        var times: [Int64] = [0, -1, 1, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 4_107_542_400_000,
                              -11_676_096_000_000, -2_203_891_200_000, 253_402_300_799_999, 1_764_000_000_000]
        for _ in 0..<5_000 { times.append(Int64.random(in: -11_676_096_000_000...253_402_300_799_999, using: &rng)) }
        for ms in times {
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
            let written = TimestampText.iso(ms)
            #expect(written == expected, "\(ms)")
            if written != expected { return }
            if ms >= 0 { #expect(TimestampText.parse(written, timeZone: .gmt) == ms, "\(written)") }
        }
        // Before 1600 (the Julian calendar before 1582) the formatter itself writes the text.
        #expect(TimestampText.iso(-62_135_596_800_000) == formatter.string(from: Date(timeIntervalSince1970: -62_135_596_800)))
    }
}
