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
