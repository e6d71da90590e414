import TestSupport
import Testing
@testable import LeakHistory

/// A chunk's five-minute slot summaries say what folding its samples into
/// five-minute buckets says, cost little beside the chunk, and meet damage
/// with an error, never a trap or other figures.
@Suite("Chunk slot summaries")
struct ChunkSlotsCodecTests {
    /// The buckets `samples` fold into, of the chunk's run.
    static func folded(_ samples: [ChunkSample], runID: Int64 = 7, bucketMs: Int64 = ChunkSlotsCodec.slotMs) -> [RollupBucket] {
        RollupBucket.fold(samples.map {
            RawSample(tsMs: $0.tsMs, runID: runID, bytes: $0.bytes, allocations: $0.allocations, deallocations: $0.deallocations)
        }, bucketMs: bucketMs)
    }

    static func decodeSlots(_ samples: [ChunkSample]) throws -> [RollupBucket]? {
        guard let bytes = ChunkSlotsCodec.encode(samples) else { return nil }
        return try ChunkSlotsCodec.decode(bytes, startMs: samples[0].tsMs, firstBytes: samples[0].bytes, sampleCount: samples.count, runID: 7)
    }

    /// Whether two buckets agree: every figure exactly, the sum to its rounding.
    static func same(_ a: RollupBucket, _ b: RollupBucket) -> Bool {
        var x = a, y = b
        let close = (x.sumBytes - y.sumBytes).magnitude <= 1 + 1e-12 * max(x.sumBytes.magnitude, y.sumBytes.magnitude)
        x.sumBytes = 0
        y.sumBytes = 0
        return close && x == y
    }

    @Test("2,000 random chunks of every shape: the slots are the five-minute folds of the samples, or absent only where sparse or a sum cannot fit")
    func slotsAreTheFolds() throws {
        var rng = SeededRandom(state: 41)
        var summarised = 0
        for round in 0..<2_000 {
            let count = round % 10 == 0 ? Int.random(in: 1...2048, using: &rng) : Int.random(in: 1...400, using: &rng)
            let samples = SampleChunkCodecTests.randomSeries(&rng, count: count)
            let mixedCounts = !(samples.allSatisfy { $0.allocations != nil } || samples.allSatisfy { $0.allocations == nil })
            let sparse = samples.count < 2 * Set(samples.map { floor($0.tsMs, ChunkSlotsCodec.slotMs) }).count
            guard let slots = try Self.decodeSlots(samples) else {
                // Only a sparse chunk, a column some samples lack, or values whose differences leave Int64, go without.
                let values = samples.map(\.bytes)
                let low = values.min()!
                let overflows = values.max()!.subtractingReportingOverflow(low).overflow
                    || values.reduce((0 as Int64, false)) { acc, v in
                        let (sum, o) = acc.0.addingReportingOverflow(v &- low)
                        return (sum, acc.1 || o)
                    }.1
                #expect(sparse || mixedCounts || overflows, "round \(round): no summary for \(count) samples that fit")
                continue
            }
            summarised += 1
            let expected = Self.folded(samples)
            #expect(slots.count == expected.count, "round \(round)")
            for (got, want) in zip(slots, expected) where !Self.same(got, want) {
                Issue.record("round \(round): slot \(got) is not the fold \(want)")
                return
            }
        }
        #expect(summarised > 600, "\(summarised) of 2,000 chunks summarised")
    }

    @Test("Merging the slots of a chunk gives its 10, 15 and 30 minute buckets too")
    func wholeSlotBuckets() throws {
        var rng = SeededRandom(state: 5)
        var value: Int64 = 300 << 20
        let samples = (0..<360).map { i -> ChunkSample in
            value += Int64.random(in: -20...24, using: &rng) * 4096
            return ChunkSample(tsMs: 1_790_000_000_000 + Int64(i) * 10_000 + Int64.random(in: 0...9, using: &rng), bytes: value,
                               allocations: Int64(i * 3), deallocations: Int64(i))
        }
        let slots = try #require(try Self.decodeSlots(samples))
        for width: Int64 in [600_000, 900_000, 1_800_000] {
            var fold = BucketFold(bucketMs: width)
            fold.add(slots)
            let merged = fold.buckets
            let expected = Self.folded(samples, bucketMs: width)
            #expect(merged.count == expected.count)
            #expect(zip(merged, expected).allSatisfy { Self.same($0, $1) }, "\(width / 60_000)-minute buckets")
        }
    }

    @Test("A clock hour of jittered 10 s samples costs under 0.4 bytes a sample of summary (12 slots), moving by pages or noisy around a level")
    func compact() throws {
        var rng = SeededRandom(state: 8)
        var value: Int64 = 80 << 20
        let hourStart: Int64 = 1_789_999_200_000
        let moving = (0..<360).map { i -> ChunkSample in
            value += Int64.random(in: -32...32, using: &rng) * 4096
            return ChunkSample(tsMs: hourStart + Int64(i) * 10_000 + Int64.random(in: 0...15, using: &rng), bytes: value)
        }
        let noisy = (0..<360).map { i -> ChunkSample in
            ChunkSample(tsMs: hourStart + Int64(i) * 10_000 + Int64.random(in: 0...15, using: &rng),
                        bytes: (80 << 20) + Int64.random(in: -32...32, using: &rng) * 4096)
        }
        for samples in [moving, noisy] {
            let bytes = try #require(ChunkSlotsCodec.encode(samples))
            #expect(Double(bytes.count) / 360 < 0.4, "\(bytes.count) bytes beside a chunk of \(SampleChunkCodec.encode(samples).count)")
        }
        // Sparse chunks (fewer than two samples a slot) go without: decoding them is as cheap.
        let sparse = (0..<12).map { ChunkSample(tsMs: hourStart + Int64($0) * 300_000, bytes: 1 << 20) }
        #expect(ChunkSlotsCodec.encode(sparse) == nil)
    }

    @Test("Every truncation and flipped bit of a summary, and a summary read against another chunk's row, is refused with a reason")
    func corruption() throws {
        var rng = SeededRandom(state: 13)
        var checked = 0
        while checked < 20 {
            let samples = SampleChunkCodecTests.randomSeries(&rng, count: Int.random(in: 1...300, using: &rng))
            guard let bytes = ChunkSlotsCodec.encode(samples) else { continue }
            checked += 1
            let start = samples[0].tsMs, first = samples[0].bytes, n = samples.count
            for length in 0..<bytes.count {
                #expect(throws: ChunkCorruption.self) { try ChunkSlotsCodec.decode(Array(bytes[..<length]), startMs: start, firstBytes: first, sampleCount: n, runID: 1) }
            }
            for index in bytes.indices {
                for bit in 0..<8 {
                    var damaged = bytes
                    damaged[index] ^= 1 << UInt8(bit)
                    #expect(throws: ChunkCorruption.self) { try ChunkSlotsCodec.decode(damaged, startMs: start, firstBytes: first, sampleCount: n, runID: 1) }
                }
            }
            // The right bytes, the wrong row: another count or another start.
            #expect(throws: ChunkCorruption.self) { try ChunkSlotsCodec.decode(bytes, startMs: start, firstBytes: first, sampleCount: n + 1, runID: 1) }
            #expect(throws: ChunkCorruption.self) { try ChunkSlotsCodec.decode(bytes, startMs: start &+ 1, firstBytes: first, sampleCount: n, runID: 1) }
        }
    }

    @Test("Random bytes with a valid checksum are refused or decoded into consistent slots, never a trap")
    func randomBytes() {
        var rng = SeededRandom(state: 17)
        for _ in 0..<5_000 {
            var bytes = [ChunkSlotsCodec.format] + (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let checksum = SampleChunkCodec.fnv1a(bytes[...])
            bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: checksum >> UInt32($0)) }
            let count = Int.random(in: 1...400, using: &rng)
            do {
                let slots = try ChunkSlotsCodec.decode(bytes, startMs: Int64.random(in: -1000...1000, using: &rng),
                                                       firstBytes: Int64.random(in: -1000...1000, using: &rng), sampleCount: count, runID: 1)
                #expect(slots.reduce(0) { $0 + $1.count } == Int64(count))
                #expect(slots.allSatisfy { $0.minBytes <= $0.lastBytes && $0.lastBytes <= $0.maxBytes && $0.firstTsMs <= $0.lastTsMs })
            } catch {
                #expect(!error.reason.isEmpty)
            }
        }
    }
}
