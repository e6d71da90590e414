import TestSupport
import Testing
@testable import LeakHistory

/// The chunk codec gives back exactly what it was given, for any values, is
/// compact on the series a watcher records, and meets a damaged chunk with an
/// error, never a trap or wrong figures.
@Suite("Sample chunk codec")
struct SampleChunkCodecTests {
    static func randomSeries(_ rng: inout SeededRandom, count: Int) -> [ChunkSample] {
        let timeShape = rng.next() % 4, valueShape = rng.next() % 6
        let counts = rng.next() % 3, events = rng.next() % 3
        var ts = Int64.random(in: 946_684_800_000...7_258_118_400_000, using: &rng)
        var value = Int64.random(in: 0...(1 << 50), using: &rng)
        var allocations = Int64.random(in: 0...1_000_000, using: &rng)
        var samples: [ChunkSample] = []
        for i in 0..<count {
            switch timeShape {
            case 0: ts += 10_000
            case 1: ts += 1000 + Int64.random(in: -15...15, using: &rng)
            case 2: ts += Int64.random(in: 1...3_600_000, using: &rng)
            default: ts += i % 50 == 0 ? 600_000 : 1
            }
            switch valueShape {
            case 0: break
            case 1: value += Int64.random(in: -32...32, using: &rng) * 4096
            case 2: value = Int64.random(in: 0...(1 << 50), using: &rng)
            case 3: value += 512 * 1024 + Int64.random(in: -100...100, using: &rng)
            case 4: value = [Int64.min, Int64.max, 0, -1, 1][Int(rng.next() % 5)]
            default: value = Int64(bitPattern: rng.next())
            }
            allocations += Int64.random(in: 0...20, using: &rng)
            let withCounts = counts == 1 || (counts == 2 && rng.next() % 2 == 0)
            let withEvents = events == 1 || (events == 2 && rng.next() % 3 == 0)
            samples.append(ChunkSample(tsMs: ts, bytes: value, allocations: withCounts ? allocations : nil,
                                       deallocations: withCounts ? allocations / 2 : nil,
                                       events: withEvents ? Int64.random(in: 1...5, using: &rng) : nil))
        }
        return samples
    }

    @Test("2,000 random series of 1 to 8,192 samples, of every shape, round-trip exactly")
    func roundTrip() throws {
        var rng = SeededRandom(state: 16)
        for round in 0..<2_000 {
            let count = round % 10 == 0 ? Int.random(in: 1...SampleChunkCodec.maxSamples, using: &rng) : Int.random(in: 1...400, using: &rng)
            let samples = Self.randomSeries(&rng, count: count)
            let decoded = try SampleChunkCodec.decode(SampleChunkCodec.encode(samples))
            #expect(decoded == samples, "round \(round): \(count) samples")
            if decoded != samples { return }
        }
    }

    @Test("Edge values: one sample, two, the Int64 extremes, times that wrap their differences")
    func edges() throws {
        var alternating: [ChunkSample] = []
        for i in 0..<100 {
            let even = i % 2 == 0
            let count: Int64? = even ? nil : 7
            alternating.append(ChunkSample(tsMs: Int64(i), bytes: even ? Int64.max : Int64.min, allocations: count))
        }
        let nearTheEnd: [ChunkSample] = (0..<3).map { i -> ChunkSample in ChunkSample(tsMs: Int64.max - 2 + Int64(i), bytes: 1 << 62) }
        var cases: [[ChunkSample]] = [alternating, nearTheEnd]
        cases.append([ChunkSample(tsMs: 0, bytes: 0)])
        cases.append([ChunkSample(tsMs: .min, bytes: .max, allocations: .max, deallocations: .min, events: 0)])
        cases.append([ChunkSample(tsMs: .min, bytes: .min), ChunkSample(tsMs: .max, bytes: .max)])
        cases.append([ChunkSample(tsMs: -5, bytes: .max), ChunkSample(tsMs: 0, bytes: .min), ChunkSample(tsMs: .max, bytes: .max)])
        for samples in cases {
            #expect(try SampleChunkCodec.decode(SampleChunkCodec.encode(samples)) == samples)
        }
    }

    @Test("A still gauge at a regular 10 s costs under 0.25 bytes a sample (a bit for each time); one moving by pages with jittered times under 2")
    func compact() throws {
        let still = (0..<360).map { ChunkSample(tsMs: 1_790_000_000_000 + Int64($0) * 10_000, bytes: 50 << 20) }
        let stillBytes = SampleChunkCodec.encode(still).count
        #expect(Double(stillBytes) / 360 < 0.25, "\(stillBytes) bytes")
        var rng = SeededRandom(state: 3)
        var value: Int64 = 80 << 20
        let moving = (0..<360).map { i -> ChunkSample in
            value += Int64.random(in: -8...8, using: &rng) * 4096
            return ChunkSample(tsMs: 1_790_000_000_000 + Int64(i) * 10_000 + Int64.random(in: 0...15, using: &rng), bytes: value)
        }
        let movingBytes = SampleChunkCodec.encode(moving).count
        #expect(Double(movingBytes) / 360 < 2, "\(movingBytes) bytes")
        #expect(try SampleChunkCodec.decode(SampleChunkCodec.encode(moving)) == moving)
    }

    @Test("Every truncation and every flipped bit of a chunk is refused with a reason, never decoded as other figures")
    func corruption() throws {
        var rng = SeededRandom(state: 99)
        for _ in 0..<20 {
            let samples = Self.randomSeries(&rng, count: Int.random(in: 1...200, using: &rng))
            let bytes = SampleChunkCodec.encode(samples)
            for length in 0..<bytes.count {
                #expect(throws: ChunkCorruption.self) { try SampleChunkCodec.decode(Array(bytes[..<length])) }
            }
            for index in bytes.indices {
                for bit in 0..<8 {
                    var damaged = bytes
                    damaged[index] ^= 1 << UInt8(bit)
                    #expect(throws: ChunkCorruption.self) { try SampleChunkCodec.decode(damaged) }
                }
            }
        }
    }

    @Test("Random bytes, with a valid checksum or without, are refused or decoded without trapping")
    func randomBytes() {
        var rng = SeededRandom(state: 7)
        for round in 0..<5_000 {
            var bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if round % 2 == 0 {
                // A plausible header, then a checksum that matches: only the structure checks can refuse it.
                bytes = [SampleChunkCodec.format] + bytes
                let checksum = SampleChunkCodec.fnv1a(bytes[...])
                bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: checksum >> UInt32($0)) }
            }
            do {
                let samples = try SampleChunkCodec.decode(bytes)
                #expect(!samples.isEmpty && samples.count <= SampleChunkCodec.maxSamples)
            } catch {
                #expect(!error.reason.isEmpty)
            }
        }
    }

    @Test("The bit writer's accumulator writes what writing bit by bit writes, for runs of every length and any interleaving")
    func bitWriterMatchesBitByBit() throws {
        var rng = SeededRandom(state: 11)
        for _ in 0..<2_000 {
            var writer = BitWriter()
            var expected: [Bool] = []
            for _ in 0..<Int.random(in: 0...200, using: &rng) {
                let value = rng.next(), count = Int.random(in: 0...64, using: &rng)
                switch rng.next() % 4 {
                case 0:
                    writer.bit(value & 1 == 1)
                    expected.append(value & 1 == 1)
                case 1:
                    writer.alignToByte()
                    while expected.count % 8 != 0 { expected.append(false) }
                default:
                    writer.bits(value, count: count)
                    expected += (0..<count).reversed().map { (value >> UInt64($0)) & 1 == 1 }
                }
            }
            writer.alignToByte()
            while expected.count % 8 != 0 { expected.append(false) }
            let bytes = stride(from: 0, to: expected.count, by: 8).map { start in
                expected[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
            }
            #expect(writer.bytes == bytes)
        }
    }
}
