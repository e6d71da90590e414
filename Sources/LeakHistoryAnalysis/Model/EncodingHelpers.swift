/// Pieces several JSON bodies share, written once.
extension KeyedEncodingContainer {
    /// A rate and its reader's text: `"rate_bytes_per_hour": 3.6e6, "rate_text": "+3.43 MiB/h"`.
    mutating package func encodeRate(_ bytesPerHour: Double, forKey rate: Key, textKey text: Key) throws {
        try encode(bytesPerHour, forKey: rate)
        try encode(AnalysisText.rate(bytesPerHour: bytesPerHour), forKey: text)
    }

    /// The first `limit` elements and how many more there are:
    /// `"components": [...], "other_components": 3`.
    mutating package func encodeListed<Element: Encodable>(_ elements: [Element], limit: Int, forKey list: Key, othersKey others: Key) throws {
        try encode(Array(elements.prefix(limit)), forKey: list)
        try encode(Swift.max(0, elements.count - limit), forKey: others)
    }
}
