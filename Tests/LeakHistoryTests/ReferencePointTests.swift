import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// Without a baseline, a component's growth is measured from its held bytes
/// at the oldest sample in the window. The detector keeps those values in
/// compact per-component tracks; these tests hold them to a plain model.
@Suite("Reference points")
struct ReferencePointTests {
    @Test("a track answers every held sample exactly, across forgetting, big jumps and repeats")
    func trackMatchesModel() {
        var rng = SeededRandom(state: 0x7EAC)
        for round in 0..<50 {
            var track = ReferenceTrack()
            var model: [Int64: Int64] = [:]  // seq -> held bytes at that sample
            var oldest: Int64 = 1
            var value: Int64 = 0
            let born = Int64(rng.next() % 5) + 1
            for seq in born...400 {
                switch rng.next() % 6 {
                case 0: value = 0
                case 1: value = Int64(rng.next() >> 2)  // huge jumps, far past 32 bits
                case 2: break  // unchanged
                default: value = max(0, value + Int64(rng.next() % 20_001) - 10_000)
                }
                track.record(value, atSeq: seq)
                model[seq] = value
                if seq > 100 && rng.next() % 3 == 0 {
                    // The oldest held sample only moves forward, as in the ring.
                    oldest = max(oldest, seq - Int64(rng.next() % 100))
                    track.forget(before: oldest)
                }
                // Every sample still held answers as recorded; before birth, 0.
                if seq % 37 == 0 || seq == 400 {
                    for q in oldest...seq {
                        #expect(track.value(atSeq: q) == (model[q] ?? 0), "round \(round), sample \(q) of \(seq)")
                    }
                }
            }
        }
    }

    @Test("over a wrapped history, growth is held now minus held at the oldest sample in the window")
    func detectorMatchesModelOverWrappedHistory() {
        var rng = SeededRandom(state: 0xA11C)
        let clock = ManualClock()
        let config = LeakDetectionConfig(timeWindowSecs: 120, maxHistorySamples: 50)
        let detector = LeakDetector(config: config, now: clock.now)
        let names = (0..<40).map { "component_\($0)" }
        var held = [String: Int64]()
        var heldAt: [(tsMs: Int64, held: [String: Int64])] = []
        for step in 0..<400 {
            for name in names where rng.next() % 3 == 0 {
                let bytes = Int64(rng.next() % 4) << 20
                if rng.next() % 4 == 0, (held[name] ?? 0) >= bytes {
                    detector.trackDeallocation(name, bytes: bytes)
                    held[name, default: 0] -= bytes
                } else {
                    detector.trackAllocation(name, bytes: bytes)
                    held[name, default: 0] += bytes
                }
            }
            detector.recordSnapshot(usageMB: 100 + step)
            heldAt.append((UnixTime.milliseconds(clock.now()), held))
            clock.advance(seconds: Double(rng.next() % 4))
            guard step % 25 == 24 else { continue }
            // The model: the oldest of the last 50 samples no older than the window.
            let nowMs = UnixTime.milliseconds(clock.now())
            let reference = heldAt.suffix(50).first { $0.tsMs >= nowMs - 120_000 }!.held
            let report = detector.detectLeaks(currentUsageMB: 100 + step)
            let expected = names.filter { (held[$0] ?? 0) - (reference[$0] ?? 0) > 0 }
            for candidate in report.leakCandidates {
                #expect(candidate.growthBytes == (held[candidate.component] ?? 0) - (reference[candidate.component] ?? 0),
                        "step \(step): \(candidate.component)")
            }
            // Shares add up over every growing component, candidate or not.
            let gross = expected.reduce(Int64(0)) { $0 + (held[$1] ?? 0) - (reference[$1] ?? 0) }
            for candidate in report.leakCandidates {
                #expect(abs(candidate.growthRate - Double(candidate.growthBytes) / Double(gross) * 100) < 1e-9)
            }
            #expect(!report.leakCandidates.isEmpty, "step \(step): the random walk grows some component")
        }
    }

    @Test("ties in severity and size keep the order components were first tracked")
    func tiesKeepRegistrationOrder() {
        let detector = LeakDetector(now: ManualClock().now)
        detector.setBaseline(usageMB: 1000)
        for name in ["zeta", "alpha", "mid", "beta"] {
            for _ in 0..<20 { detector.trackAllocation(name, bytes: 4096) }
        }
        detector.trackAllocation("big", sizeMB: 1)
        for _ in 0..<19 { detector.trackAllocation("big", bytes: 1) }
        let report = detector.detectLeaks(currentUsageMB: 1000)
        #expect(report.leakCandidates.map(\.component) == ["big", "zeta", "alpha", "mid", "beta"])
    }

    @Test("more threads than exclusive stripes, in waves, lose no count")
    func manyThreadsInWaves() throws {
        let detector = LeakDetector(now: ManualClock().now)
        let handle = try detector.component("shared")
        final class Work: @unchecked Sendable {
            let body: () -> Void
            init(_ body: @escaping () -> Void) { self.body = body }
        }
        for wave in 0..<3 {
            var threads: [pthread_t] = []
            for t in 0..<12 {
                let work = Work {
                    for _ in 0..<5_000 { handle.trackAllocation(bytes: 7) }
                    for _ in 0..<2_000 { handle.trackDeallocation(bytes: 7) }
                    for _ in 0..<1_000 { detector.trackAllocation("own_\(wave)_\(t)", bytes: 1) }
                }
                var thread = pthread_t()
                let started = pthread_create(&thread, nil, { context in
                    Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
                    return nil
                }, Unmanaged.passRetained(work).toOpaque())
                try #require(started == 0)
                threads.append(thread)
            }
            for thread in threads { pthread_join(thread, nil) }
        }
        let totals = handle.totals
        #expect(totals.allocations == Int64(36 * 5_000))
        #expect(totals.deallocations == Int64(36 * 2_000))
        #expect(totals.heldBytes == 36 * 3_000 * 7)
        for (name, _, own) in detector.components where name.hasPrefix("own_") {
            #expect(own.allocations == 1_000 && own.heldBytes == 1_000, "\(name)")
        }
        #expect(detector.components.count == 1 + 36)
    }
}
