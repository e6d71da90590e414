import LeakHistoryAnalysis

/// What Foundation's JSON decoding lets through and an event must not carry:
/// a number that is not written as an integer (`1e3`, `5.0`, `-0`, `-0.0`
/// all decode to an Int64) and a key given twice in one object (the last
/// one would silently win). One pass over the bytes, before decoding.
enum StrictJSONScan {
    struct Problem: Equatable {
        /// The event's member the problem is in (`event` when outside any).
        var field: String
        var message: String
        /// For a JSON array body, the 1-based element it is in.
        var element: Int?
    }

    private struct Container {
        var isObject: Bool
        var keys: Set<[UInt8]> = []
        var awaitingKey: Bool
    }

    static func problem(in bytes: some Collection<UInt8>) -> Problem? {
        var open: [Container] = []
        var member: [UInt8] = []
        var element = 0
        var index = bytes.startIndex
        func name(_ raw: [UInt8]) -> String { String(decoding: raw, as: UTF8.self) }
        func topIsArray() -> Bool { open.first.map { !$0.isObject } ?? false }
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                if open.count == 1 && topIsArray() { element += 1 }
                open.append(Container(isObject: true, awaitingKey: true))
            case UInt8(ascii: "["):
                open.append(Container(isObject: false, awaitingKey: false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !open.isEmpty { open.removeLast() }
            case UInt8(ascii: ","):
                if let last = open.indices.last, open[last].isObject { open[last].awaitingKey = true }
            case UInt8(ascii: "\""):
                var end = bytes.index(after: index)
                let start = end
                while end < bytes.endIndex && bytes[end] != UInt8(ascii: "\"") {
                    if bytes[end] == UInt8(ascii: "\\") { end = bytes.index(after: end) }
                    if end < bytes.endIndex { end = bytes.index(after: end) }
                }
                if let last = open.indices.last, open[last].isObject, open[last].awaitingKey {
                    let key = Array(bytes[start..<end])
                    guard open[last].keys.insert(key).inserted else {
                        return Problem(field: name(key), message: "the key is given more than once in one object",
                                       element: topIsArray() ? element : nil)
                    }
                    if open.count == 1 || (open.count == 2 && topIsArray()) { member = key }
                    open[last].awaitingKey = false
                }
                guard end < bytes.endIndex else { return nil }
                index = bytes.index(after: end)
                continue
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var end = index
                while end < bytes.endIndex, isNumberByte(bytes[end]) { end = bytes.index(after: end) }
                let token = Array(bytes[index..<end])
                if !isPlainInteger(token) {
                    return Problem(field: member.isEmpty ? "event" : name(member),
                                   message: "'\(name(token))' is not a whole number written as one (no fraction, exponent or -0)",
                                   element: topIsArray() ? element : nil)
                }
                index = end
                continue
            default:
                break
            }
            index = bytes.index(after: index)
        }
        return nil
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// `0` or `-?[1-9][0-9]*`: how an integer field must be written (`-0` is refused as meaningless).
    static func isPlainInteger(_ token: [UInt8]) -> Bool {
        var digits = token[...]
        if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        guard let first = digits.first,
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
        if first == UInt8(ascii: "0") { return token == [UInt8(ascii: "0")] }
        return true
    }
}
