import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// Random and adversarial NDJSON thrown at the decoder and the writer: no
/// crash, every rejected line a clear `InputError` with its line number, every
/// accepted event within the rules, and a rejected atomic batch changes nothing.
@Suite("Reliability: fuzzed input")
struct ReliabilityFuzzTests {
    static let seeds = [
        #"{"ts_ms": 1790000000000, "usage_bytes": 104857600}"#,
        #"{"ts_ms": 1790000000500, "component": "cache", "alloc_bytes": 4096, "source": "api"}"#,
        #"{"ts_ms": 1790000001000, "component": "cache", "dealloc_bytes": 4096}"#,
        #"{"ts_ms": 1790000001000, "component": "rss_anon", "allocated_bytes": 52428800}"#,
        #"{"ts_ms": 1790000002000, "event": "restart"}"#,
        #"{"ts_ms": 1790000002000, "event": "baseline", "usage_bytes": 5}"#,
    ]
    static let fragments = [
        "", "-", "1e999", "-0", "0.5", "null", "true", "[]", "{}", "\"\"", "\"\\u0000\"", "\"\\u0007\"", "9223372036854775808",
        "\"x'); DROP TABLE snapshot; --\"", "\"\(String(repeating: "é", count: 200))\"", "{\"a\":", "\"ts_ms\"", ",", ":", "\\",
        "\u{FFFF}", "\u{1F4A5}", "\"\u{202E}evil\"", "1764000000000", "-9223372036854775808", "\"restart\"", "\"baseline\"",
    ]

    static func mutate(_ line: String, _ rng: inout SeededRandom) -> String {
        var chars = Array(line.unicodeScalars)
        for _ in 0..<(1 + rng.below(4)) {
            switch rng.below(5) {
            case 0 where !chars.isEmpty:
                chars.remove(at: rng.below(chars.count))
            case 1:
                let f = Array(rng.pick(fragments).unicodeScalars)
                chars.insert(contentsOf: f, at: rng.below(chars.count + 1))
            case 2 where !chars.isEmpty:
                chars[rng.below(chars.count)] = Unicode.Scalar(UInt8(rng.below(128)))
            case 3:
                // Replace a value after a colon with a fragment.
                if let colon = chars.indices.filter({ chars[$0] == ":" }).randomElement(using: &rng) {
                    let end = chars[(colon + 1)...].firstIndex { $0 == "," || $0 == "}" } ?? chars.count
                    chars.replaceSubrange((colon + 1)..<end, with: Array(" \(rng.pick(fragments))".unicodeScalars))
                }
            default:
                chars = Array((String(String.UnicodeScalarView(chars)) + rng.pick(fragments)).unicodeScalars)
            }
        }
        return String(String.UnicodeScalarView(chars))
    }

    @Test("20,000 mutated lines: each is a valid event or a clear InputError, never a crash")
    func decoderFuzz() {
        var rng = SeededRandom(state: 20_261_124)
        let decoder = EventDecoder(nowMs: 1_790_000_000_000)
        var accepted = 0, rejected = 0
        for i in 0..<20_000 {
            let line = Self.mutate(rng.pick(Self.seeds), &rng)
            do {
                let event = try decoder.decode(Data(line.utf8), line: i + 1)
                accepted += 1
                #expect(InputRules.timestampRange.contains(event.tsMs))
                #expect((try? InputRules.validateName(event.source)) != nil)
                switch event.kind {
                case .snapshot(let b), .baseline(.some(let b)):
                    #expect((0...InputRules.maxBytes).contains(b))
                case .allocation(let c, let b), .deallocation(let c, let b), .gauge(let c, let b):
                    #expect((0...InputRules.maxBytes).contains(b))
                    #expect((try? InputRules.validateName(c)) != nil)
                case .restart, .baseline(nil):
                    break
                }
            } catch let error as InputError {
                rejected += 1
                #expect(error.line == i + 1)
                #expect(!error.message.isEmpty)
            } catch {
                Issue.record("line \(i + 1) threw a non-InputError: \(error) for \(line)")
            }
        }
        print("decoder fuzz: 20000 cases, \(accepted) accepted, \(rejected) rejected with a clear error")
        #expect(accepted > 100 && rejected > 10_000)
    }

    @Test("random bytes, including invalid UTF-8, never crash the NDJSON reader")
    func randomBytes() {
        var rng = SeededRandom(state: 7)
        let decoder = EventDecoder(nowMs: 1_790_000_000_000)
        for _ in 0..<2_000 {
            let bytes = (0..<rng.below(200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let result = decoder.decodeAll(Data(bytes))
            #expect(result.errors.allSatisfy { $0.line != nil || $0.field == "body" })
        }
    }

    @Test("an atomic batch with any bad event changes nothing in the database")
    func atomicBatches() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("fuzz.sqlite")
        let writer = try HistoryWriter(path: path)
        defer { try? writer.close() }
        try writer.ingest([IngestEvent(tsMs: 1_790_000_000_000, kind: .allocation(component: "counted", bytes: 1))], atomic: true)
        var rng = SeededRandom(state: 99)
        for round in 0..<50 {
            var batch = (0..<rng.below(20)).map { i in
                IngestEvent(source: "s\(round)", tsMs: 1_790_000_000_000 + Int64(i), kind: .snapshot(usageBytes: Int64(i)))
            }
            // A gauge line for the counted component contradicts the store.
            batch.insert(IngestEvent(tsMs: 1_790_000_000_000, kind: .gauge(component: "counted", bytes: 1)), at: rng.below(batch.count + 1))
            #expect(throws: InputError.self) { try writer.ingest(batch, atomic: true) }
        }
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        #expect(try reader.sources() == ["default"])
        #expect(try reader.snapshots(source: "default").isEmpty)
        #expect(try reader.componentSamples(source: "default", component: "counted").count == 1)
    }
}

