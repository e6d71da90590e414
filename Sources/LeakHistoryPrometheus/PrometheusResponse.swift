import Foundation

/// Reads the JSON answers of the Prometheus HTTP API (`/api/v1/query_range`,
/// `/api/v1/query`) straight into series, without building a JSON tree: a day
/// of 1,000 series is millions of `[time, "value"]` pairs.
///
/// ```text
/// {"status":"success","data":{"resultType":"matrix","result":[
///   {"metric":{"__name__":"up","instance":"a"},"values":[[1764000000,"1"],[1764000030.5,"1"]]}]}}
/// {"status":"error","errorType":"bad_data","error":"parse error at char 5: …"}
/// ```
///
/// Keys may come in any order; unknown keys are skipped. Anything that is not
/// that shape throws `PrometheusResponse.FormatError` with the byte offset.
public enum PrometheusResponse {
    public struct FormatError: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var offset: Int
        public var description: String { "malformed Prometheus answer at byte \(offset): \(message)" }
    }

    /// What the server said: series, or its error.
    public enum Outcome: Sendable, Equatable {
        case series([PrometheusSeries], warnings: [String])
        case failure(errorType: String, message: String)
    }

    /// Parses a `matrix` (range query) or `vector` (instant query) answer.
    public static func parse(_ bytes: [UInt8]) throws -> Outcome {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONBytes(buffer)
            return try reader.readEnvelope()
        }
    }
}

/// A cursor over JSON bytes with just the reads the envelope needs.
private struct JSONBytes {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func fail(_ message: String) -> PrometheusResponse.FormatError {
        PrometheusResponse.FormatError(message: message, offset: index)
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func peek() throws -> UInt8 {
        skipSpace()
        guard index < bytes.count else { throw fail("unexpected end of input") }
        return bytes[index]
    }

    mutating func expect(_ byte: UInt8) throws {
        guard try peek() == byte else { throw fail("expected '\(Character(Unicode.Scalar(byte)))'") }
        index += 1
    }

    /// Consumes `byte` when it is next.
    mutating func take(_ byte: UInt8) throws -> Bool {
        guard try peek() == byte else { return false }
        index += 1
        return true
    }

    /// `{ key: value, … }`, calling `body` with the cursor on each value.
    mutating func forEachMember(_ body: (inout JSONBytes, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        if try take(UInt8(ascii: "}")) { return }
        repeat {
            let key = try readString()
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
        } while try take(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"))
    }

    /// `[ value, … ]`, calling `body` with the cursor on each element.
    mutating func forEachElement(_ body: (inout JSONBytes) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        if try take(UInt8(ascii: "]")) { return }
        repeat { try body(&self) } while try take(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"))
    }

    mutating func readString() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        var plain = true
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\") { plain = false; index += 1 }
            index += 1
        }
        guard index < bytes.count else { throw fail("unterminated string") }
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        if plain { return String(decoding: raw, as: UTF8.self) }
        // Rare (escaped label values): let Foundation decode the escapes exactly.
        let quoted = Data([UInt8(ascii: "\"")] + Array(raw) + [UInt8(ascii: "\"")])
        guard let text = try? JSONDecoder().decode(String.self, from: quoted) else { throw fail("bad string escape") }
        return text
    }

    mutating func readNumber() throws -> Double {
        skipSpace()
        let start = index
        while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
        guard index > start, let value = Self.double(UnsafeBufferPointer(rebasing: bytes[start..<index])) else {
            throw fail("expected a number")
        }
        return value
    }

    /// A sample value: Prometheus sends it as a string ("1.5e+09", "NaN", "+Inf").
    mutating func readSampleValue() throws -> Double {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
        guard index < bytes.count else { throw fail("unterminated string") }
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        if let value = Self.double(raw) { return value }
        switch String(decoding: raw, as: UTF8.self) {
        case "NaN": return .nan
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        default: throw fail("sample value is not a number")
        }
    }

    /// Skips any JSON value.
    mutating func skipValue() throws {
        switch try peek() {
        case UInt8(ascii: "{"): try forEachMember { reader, _ in try reader.skipValue() }
        case UInt8(ascii: "["): try forEachElement { try $0.skipValue() }
        case UInt8(ascii: "\""): _ = try readString()
        default:
            let start = index
            while index < bytes.count, Self.isNumberByte(bytes[index]) || (bytes[index] >= 0x61 && bytes[index] <= 0x7A) {
                index += 1
            }
            if index == start { throw fail("expected a value") }
        }
    }

    private static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
            || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }

    /// strtod over a short, NUL-terminated copy (numbers are at most a few dozen bytes).
    private static func double(_ raw: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !raw.isEmpty, raw.count < 64, raw.allSatisfy(isNumberByte) else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: raw.count + 1) { buf -> Double? in
            for i in 0..<raw.count { buf[i] = CChar(bitPattern: raw[i]) }
            buf[raw.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buf.baseAddress!, &end)
            guard let end, end == buf.baseAddress! + raw.count else { return nil }
            return value
        }
    }

    // MARK: The envelope

    mutating func readEnvelope() throws -> PrometheusResponse.Outcome {
        var status: String?
        var errorType = "", errorText = ""
        var series: [PrometheusSeries]?
        var warnings: [String] = []
        try forEachMember { reader, key in
            switch key {
            case "status": status = try reader.readString()
            case "errorType": errorType = try reader.readString()
            case "error": errorText = try reader.readString()
            case "warnings": try reader.forEachElement { warnings.append(try $0.readString()) }
            case "data": series = try reader.readData()
            default: try reader.skipValue()
            }
        }
        skipSpace()
        guard index == bytes.count else { throw fail("text after the answer") }
        switch status {
        case "success":
            guard let series else { throw fail("no \"data\" in a successful answer") }
            return .series(series, warnings: warnings)
        case "error":
            return .failure(errorType: errorType, message: errorText)
        default:
            throw fail("\"status\" is \(status.map { "'\($0)'" } ?? "missing")")
        }
    }

    mutating func readData() throws -> [PrometheusSeries] {
        var resultType: String?
        var series: [PrometheusSeries] = []
        try forEachMember { reader, key in
            switch key {
            case "resultType": resultType = try reader.readString()
            case "result":
                try reader.forEachElement { series.append(try $0.readSeries()) }
            default: try reader.skipValue()
            }
        }
        guard resultType == "matrix" || resultType == "vector" else {
            throw fail("result type \(resultType.map { "'\($0)'" } ?? "missing"): the query must select series (matrix or vector)")
        }
        return series
    }

    mutating func readSeries() throws -> PrometheusSeries {
        var labels: [String: String] = [:]
        var times: [Int64] = []
        var values: [Double] = []
        try forEachMember { reader, key in
            switch key {
            case "metric":
                try reader.forEachMember { reader, name in labels[name] = try reader.readString() }
            case "values":
                try reader.forEachElement { reader in
                    let (t, v) = try reader.readSample()
                    times.append(t)
                    values.append(v)
                }
            case "value":
                let (t, v) = try reader.readSample()
                times.append(t)
                values.append(v)
            default: try reader.skipValue()
            }
        }
        return PrometheusSeries(labels: SeriesLabels(labels), timesMs: times, values: values)
    }

    /// `[1764000000.123, "42"]`: seconds become milliseconds.
    mutating func readSample() throws -> (Int64, Double) {
        try expect(UInt8(ascii: "["))
        let seconds = try readNumber()
        try expect(UInt8(ascii: ","))
        let value = try readSampleValue()
        try expect(UInt8(ascii: "]"))
        let ms = (seconds * 1000).rounded()
        guard ms.isFinite, abs(ms) < 9.0e15 else { throw fail("timestamp \(seconds) is out of range") }
        return (Int64(ms), value)
    }
}
