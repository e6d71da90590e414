import Foundation
import TestSupport
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// `SortedJSONEncoder` writes the bytes Foundation's `JSONEncoder` writes
/// with sorted keys and unescaped slashes: for the server's real answers (on
/// its fast path, not through the fallback) and for generated values with
/// unsorted and repeated keys, escapes, extreme numbers, nesting, and the
/// types and uses the fast path hands to Foundation.
@Suite struct AnswersAreFoundationsJSONBytesTests {
    static let foundation = SortedJSONEncoder.foundation

    /// A history with a leak, a flat source, a restart, gauges, names that
    /// need escaping: the reports, overviews, listings, trends and run
    /// comparisons over windows from a minute to a day.
    @Test func theServersAnswersAreWrittenOnTheFastPathAsFoundationWritesThem() throws {
        let fixture = try ServerFixture()
        var events = leakingHistory(source: "api", endMs: fixedNowMs - 3_600_000, steps: 90) + leakingHistory()
        events.append(IngestEvent(source: "api", tsMs: fixedNowMs - 1_800_000, kind: .restart(try RunDeployment(version: "2.0", labels: ["region": "eu/west"]))))
        for step in 0..<120 {
            let ts = fixedNowMs - Int64(120 - step) * 30_000
            events.append(IngestEvent(source: #"flat "quoted"\path/é"#, tsMs: ts, kind: .snapshot(usageBytes: 500 * MiB + Int64(step % 3) * 4096)))
            events.append(IngestEvent(source: #"flat "quoted"\path/é"#, tsMs: ts, kind: .gauge(component: "rss\tanon/\u{1}", bytes: 40 * MiB + Int64(step) * 977)))
        }
        try fixture.ingest(events.sorted { $0.tsMs < $1.tsMs })
        let reader = try HistoryReader(path: fixture.path)
        defer { try? reader.close() }

        var answers: [(name: String, value: any Encodable)] = []
        for span: Int64 in [60_000, 600_000, 1_800_000, 3_600_000, 6 * 3_600_000, 86_400_000] {
            let window = try TimeWindow(fromMs: fixedNowMs - span, toMs: fixedNowMs)
            for source in try reader.sources() {
                answers.append(("report \(source) \(span)", try reader.report(source: source, window: window, nowMs: fixedNowMs)))
                answers.append(("trend \(source) \(span)", try reader.trend(source: source, window: window, bucketMs: max(1000, span / 30), nowMs: fixedNowMs)))
            }
            answers.append(("overview \(span)", OverviewResponse(reports: try reader.overview(window: window, defaultSpanMs: 600_000, nowMs: fixedNowMs, cliHints: false))))
        }
        answers.append(("sources", SourcesResponse(defaultSource: "api", sources: try reader.sourceListings(defaultSpanMs: 600_000, nowMs: fixedNowMs))))
        answers.append(("runs", RunsResponse(runs: try reader.sourceSummaries().flatMap { s in s.runs.map { SourcedRun(source: s.name, run: $0) } })))
        answers.append(("compare", try reader.compare(source: "api", nowMs: fixedNowMs)))

        for (name, value) in answers {
            let fast = try #require(try? JSONWriting.encode(value), "\(name) left the fast path")
            #expect(fast == Array(try Self.foundation.encode(value)), "\(name)")
        }
    }

    /// Generated values: for each, the same bytes as Foundation, or an error
    /// where Foundation gives one.
    @Test(arguments: 0..<8)
    func generatedValuesGiveFoundationsBytesOrItsError(seed: UInt64) throws {
        var random = SeededRandom(state: 0xC0DE_0000 &+ seed)
        var fastPaths = 0
        for _ in 0..<150 {
            let node = Node.random(&random, depth: 0)
            let expected = Result(catching: { try Self.foundation.encode(node) })
            let actual = Result(catching: { try SortedJSONEncoder().encode(node) })
            switch (expected, actual) {
            case (.success(let foundation), .success(let ours)):
                #expect(ours == Array(foundation), "\(node)")
            case (.failure, .failure):
                break
            default:
                Issue.record("Foundation \(expected), ours \(actual) for \(node)")
            }
            if (try? JSONWriting.encode(node)) != nil { fastPaths += 1 }
        }
        // Most generated values stay on the fast path; it is what is tested.
        #expect(fastPaths > 75)
    }

    @Test func numbersAndStringsAtTheirEdges() throws {
        let doubles: [Double] = [0, -0.0, 1, -1, 0.1, 1e20, 1e21, 1e-5, 1e-7, 123456789012345680000, 5e-324,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .ulpOfOne, 100, 1e16, 2.5e15, 12345678.9]
        let integers: [Int64] = [0, 9, 10, -1, -10, .max, .min, 1_000_000_007]
        var strings = ["", "plain", "a/b", "é😀", "\u{2028}\u{2029}", "\u{7f}", #"\""#, "tab\there", "12345678", "1234567\"", "\"1234567"]
        strings.append(String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) }))
        struct Edges: Encodable { var doubles: [Double]; var integers: [Int64]; var unsigned: [UInt64]; var strings: [String]; var floats: [Float] }
        let value = Edges(doubles: doubles, integers: integers, unsigned: [0, .max], strings: strings, floats: [1.5, 0.1, 1e20, -0.0])
        let fast = try JSONWriting.encode(value)
        #expect(fast == Array(try Self.foundation.encode(value)))
    }

    @Test func whatFoundationRefusesIsRefused() {
        #expect(throws: (any Error).self) { try SortedJSONEncoder().encode([Double.nan]) }
        #expect(throws: (any Error).self) { try SortedJSONEncoder().encode(["x": Double.infinity]) }
    }
}

/// A generated JSON-ish value, encoded through every kind of container.
indirect enum Node: Encodable, CustomStringConvertible {
    case object([(String, Node)])
    case nestedObject([(String, Node)])
    case array([Node])
    case string(String)
    case double(Double)
    case integer(Int)
    case bool(Bool)
    case null
    case date(Double)
    case viaSuperEncoder(Node)
    case empty

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in members { try container.encode(value, forKey: Key(stringValue: key)) }
        case .nestedObject(let members):
            var container = encoder.container(keyedBy: Key.self)
            var nested = container.nestedContainer(keyedBy: Key.self, forKey: Key(stringValue: "nested"))
            for (key, value) in members { try nested.encode(value, forKey: Key(stringValue: key)) }
            var list = container.nestedUnkeyedContainer(forKey: Key(stringValue: "after"))
            try list.encode(members.count)
            try list.encodeNil()
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .string(let s):
            var container = encoder.singleValueContainer()
            try container.encode(s)
        case .double(let d):
            var container = encoder.singleValueContainer()
            try container.encode(d)
        case .integer(let i):
            var container = encoder.singleValueContainer()
            try container.encode(i)
        case .bool(let b):
            var container = encoder.singleValueContainer()
            try container.encode(b)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .date(let seconds):
            var container = encoder.singleValueContainer()
            try container.encode(Date(timeIntervalSince1970: seconds))
        case .viaSuperEncoder(let inner):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(1, forKey: Key(stringValue: "own"))
            try inner.encode(to: container.superEncoder())
        case .empty:
            break
        }
    }

    var description: String {
        switch self {
        case .object(let m): "{" + m.map { "\($0.0.debugDescription): \($0.1)" }.joined(separator: ", ") + "}"
        case .nestedObject(let m): "nested{" + m.map { "\($0.0.debugDescription): \($0.1)" }.joined(separator: ", ") + "}"
        case .array(let e): "[" + e.map(\.description).joined(separator: ", ") + "]"
        case .string(let s): s.debugDescription
        case .double(let d): "\(d)"
        case .integer(let i): "\(i)"
        case .bool(let b): "\(b)"
        case .null: "null"
        case .date(let s): "date(\(s))"
        case .viaSuperEncoder(let n): "super(\(n))"
        case .empty: "empty"
        }
    }

    static func random(_ random: inout SeededRandom, depth: Int) -> Node {
        let roll = Int(random.next() % 100)
        if depth >= 4 || roll < 45 {
            switch roll % 9 {
            case 0, 1: return .string(randomString(&random))
            case 2, 3:
                // Any finite bit pattern, or a value from a short list of awkward ones.
                let bits = Double(bitPattern: random.next())
                let awkward: [Double] = [0, -0.0, 1e21, 1e-7, .nan, .infinity, 0.1, 100]
                return .double(random.next() % 4 == 0 ? awkward[Int(random.next() % 8)] : bits)
            case 4, 5: return .integer(Int(bitPattern: UInt(random.next() >> (random.next() % 64))) * (random.next() % 2 == 0 ? 1 : -1))
            case 6: return .bool(random.next() % 2 == 0)
            case 7: return random.next() % 10 == 0 ? .date(Double(random.next() % 1_000_000)) : .null
            default: return random.next() % 6 == 0 ? .empty : .null
            }
        }
        let count = Int(random.next() % 7)
        switch roll % 8 {
        case 0, 1, 2:
            return .object((0..<count).map { _ in (randomKey(&random), Node.random(&random, depth: depth + 1)) })
        case 3:
            return .nestedObject((0..<count).map { _ in (randomKey(&random), Node.random(&random, depth: depth + 1)) })
        case 4:
            return random.next() % 8 == 0 ? .viaSuperEncoder(Node.random(&random, depth: depth + 1)) : .array([])
        default:
            return .array((0..<count).map { _ in Node.random(&random, depth: depth + 1) })
        }
    }

    /// Keys with shared prefixes longer and shorter than eight bytes, so the
    /// order is settled past the first eight; sometimes one that needs escaping
    /// or is not ASCII; repeated now and then.
    static func randomKey(_ random: inout SeededRandom) -> String {
        let stems = ["rate", "rate_bytes_per_hour", "rate_bytes_per_minute", "a", "A", "_", "z9", "z10", "é", "key\"q", "tab\tkey", "", "growth_since_onset_bytes", "growth_since"]
        return stems[Int(random.next() % UInt64(stems.count))] + (random.next() % 3 == 0 ? "\(random.next() % 4)" : "")
    }

    static func randomString(_ random: inout SeededRandom) -> String {
        let pieces = ["plain", "/", "\"", "\\", "\n", "\u{1}", "\u{1f}", "é", "😀", "\u{7f}", "01234567", "ab"]
        return (0..<Int(random.next() % 6)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }
}
