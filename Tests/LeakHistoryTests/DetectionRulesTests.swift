import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// The fine points of SPEC §3 that the seed scenarios do not pin down.
@Suite("Detection rules")
struct DetectionRulesTests {
    @Test("a sample exactly timeWindowSecs old is inside the window; older ones are not")
    func windowEdge() {
        let clock = ManualClock()
        let detector = LeakDetector(config: LeakDetectionConfig(timeWindowSecs: 60), now: clock.now)
        detector.recordSnapshot(usageMB: 50)      // will be 61 s old
        clock.advance(seconds: 1)
        detector.recordSnapshot(usageMB: 100)     // will be exactly 60 s old
        clock.advance(seconds: 60)
        detector.recordSnapshot(usageMB: 110)
        let report = detector.detectLeaks(currentUsageMB: 110)
        #expect(report.sampleCount == 2)
        #expect(abs(report.overallGrowthRate - 10) < 1e-9)
        #expect(abs(report.growthMBPerMinute - 10) < 1e-9)
    }

    @Test("growth must strictly exceed the threshold")
    func strictThreshold() {
        let detector = LeakDetector(now: ManualClock().now)
        detector.setBaseline(usageMB: 100)
        detector.recordSnapshot(usageMB: 105)
        let report = detector.detectLeaks(currentUsageMB: 105)
        #expect(report.overallGrowthRate == 5)
        #expect(!report.hasLeaks)
        #expect(report.recommendations == ["No memory leaks detected"])
    }

    @Test("falling memory gives negative growth and no leak")
    func negativeGrowth() {
        let clock = ManualClock()
        let detector = LeakDetector(now: clock.now)
        detector.recordSnapshot(usageMB: 200)
        clock.advance(seconds: 60)
        detector.recordSnapshot(usageMB: 150)
        let report = detector.detectLeaks(currentUsageMB: 150)
        #expect(report.overallGrowthRate == -25)
        #expect(report.growthMBPerMinute == -50)
        #expect(!report.hasLeaks)
    }

    @Test("equal timestamps keep insertion order: the baseline set first is the oldest")
    func equalTimestamps() {
        let detector = LeakDetector(now: ManualClock().now)
        detector.setBaseline(usageMB: 100)
        detector.recordSnapshot(usageMB: 150)
        detector.recordSnapshot(usageMB: 120)
        #expect(detector.detectLeaks(currentUsageMB: 120).overallGrowthRate == 20)
    }

    @Test("detectLeaks adds nothing to the history")
    func detectIsReadOnly() {
        let detector = LeakDetector(now: ManualClock().now)
        detector.recordSnapshot(usageMB: 1)
        _ = detector.detectLeaks(currentUsageMB: 500)
        _ = detector.detectLeaks(currentUsageMB: 900)
        #expect(detector.history.count == 1)
    }

    @Test("size thresholds compare bytes: just over 1000 MiB is Critical, exactly 1000 is not")
    func byteThresholds() throws {
        let big = LeakDetector(now: ManualClock().now)
        big.setBaseline(usageMB: 1000)
        big.trackAllocation("exact", bytes: 1000 * MiB)
        big.trackAllocation("over", bytes: 1000 * MiB + 1)
        big.trackAllocation("third", bytes: 1000 * MiB)
        let bigReport = big.detectLeaks(currentUsageMB: 4000)
        let bySeverity = Dictionary(uniqueKeysWithValues: bigReport.leakCandidates.map { ($0.component, $0.severity) })
        #expect(bySeverity["over"] == .critical)
        #expect(bySeverity["exact"] == .high)
        #expect(bigReport.leakCandidates.first { $0.component == "over" }?.allocatedMB == 1000)
    }

    @Test("without a baseline, growth is measured from the oldest sample in the window")
    func referenceIsOldestSample() throws {
        let clock = ManualClock()
        let detector = LeakDetector(config: LeakDetectionConfig(timeWindowSecs: 60), now: clock.now)
        detector.trackAllocation("old", sizeMB: 500)
        detector.recordSnapshot(usageMB: 500)            // leaves the window
        clock.advance(seconds: 30)
        detector.trackAllocation("old", sizeMB: 10)
        detector.recordSnapshot(usageMB: 510)            // the oldest in the window
        clock.advance(seconds: 40)
        detector.trackAllocation("old", sizeMB: 250)
        detector.trackAllocation("young", sizeMB: 300)   // born after the reference: reference 0
        detector.recordSnapshot(usageMB: 1060)
        let report = detector.detectLeaks(currentUsageMB: 1060)
        let byName = Dictionary(uniqueKeysWithValues: report.leakCandidates.map { ($0.component, $0) })
        #expect(byName["old"]?.growthBytes == 250 * MiB)
        #expect(byName["young"]?.growthBytes == 300 * MiB)
        #expect(abs((byName["young"]?.growthRate ?? 0) - 300.0 / 550.0 * 100) < 1e-9)
    }

    @Test("a candidate needs positive growth: a component that shrank since the baseline is not one")
    func shrinkingIsNotACandidate() {
        let detector = LeakDetector(now: ManualClock().now)
        for _ in 0..<20 { detector.trackAllocation("pool", sizeMB: 10) }
        detector.setBaseline(usageMB: 300)
        detector.trackDeallocation("pool", sizeMB: 50)
        let report = detector.detectLeaks(currentUsageMB: 250)
        #expect(report.leakCandidates.isEmpty)
    }

    @Test("age_secs counts whole seconds from the component's first event")
    func age() throws {
        let clock = ManualClock()
        let detector = LeakDetector(now: clock.now)
        detector.trackAllocation("a", sizeMB: 100)
        clock.advance(ms: 90_999)
        let candidate = try #require(detector.detectLeaks(currentUsageMB: 100).leakCandidates.first)
        #expect(candidate.ageSecs == 90)
    }

    @Test("bad names and negative sizes are refused and counted, and change nothing")
    func badInput() throws {
        let detector = LeakDetector(now: ManualClock().now)
        detector.trackAllocation("", sizeMB: 1)
        detector.trackAllocation(String(repeating: "x", count: 257), sizeMB: 1)
        detector.trackAllocation("tab\there", sizeMB: 1)
        detector.trackAllocation("ok", sizeMB: -1)
        detector.recordSnapshot(usageMB: -5)
        #expect(detector.rejectedEventCount == 5)
        #expect(detector.components.isEmpty)
        #expect(detector.history.isEmpty)
        #expect(throws: InputError.self) { try detector.component("line\nbreak") }
        #expect(try detector.component(String(repeating: "é", count: 128)).name.utf8.count == 256)
    }

    @Test("the registry bound refuses new components past maxComponents")
    func registryBound() {
        let detector = LeakDetector(maxComponents: 3, now: ManualClock().now)
        for i in 0..<5 { detector.trackAllocation("c\(i)", bytes: 1) }
        #expect(detector.components.count == 3)
        #expect(detector.rejectedEventCount == 2)
    }

    @Test("handles and names reach the same counters, across table growth")
    func handlesAndNames() throws {
        let detector = LeakDetector(now: ManualClock().now)
        let handle = try detector.component("shared")
        for i in 0..<1000 { detector.trackAllocation("filler_\(i)", bytes: 1) }   // grows the table several times
        handle.trackAllocation(bytes: 10)
        detector.trackAllocation("shared", bytes: 5)
        detector.trackDeallocation("shared", bytes: 3)
        let totals = try #require(detector.components.first { $0.name == "shared" }?.totals)
        #expect(totals.heldBytes == 12)
        #expect(totals.allocations == 2)
        #expect(totals.deallocations == 1)
        #expect(try detector.component("shared") === handle)
    }

    @Test("many threads on one component lose no count")
    func contendedCounting() async throws {
        let detector = LeakDetector(now: ManualClock().now)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<10_000 { detector.trackAllocation("hot", bytes: 3) }
                    for _ in 0..<4_000 { detector.trackDeallocation("hot", bytes: 3) }
                }
            }
        }
        let totals = try #require(detector.components.first?.totals)
        #expect(totals.allocations == 80_000)
        #expect(totals.deallocations == 32_000)
        #expect(totals.heldBytes == 48_000 * 3)
    }

    @Test("growth over the threshold that the trend test rejects is not a leak, and says why")
    func trendRejectsPlateau() {
        let clock = ManualClock()
        let detector = LeakDetector(now: clock.now)
        // Warm-up ramp to a plateau: 100 → 200 MB in 10 samples, then flat for 20.
        for i in 0..<30 {
            detector.recordSnapshot(usageMB: 100 + min(i, 10) * 10)
            clock.advance(seconds: 10)
        }
        let report = detector.detectLeaks(currentUsageMB: 200)
        #expect(report.overallGrowthRate == 100)
        #expect(report.trend?.isLeaking == false)
        #expect(report.trend?.rejectedBy != nil)
        #expect(!report.hasLeaks)
        #expect(report.recommendations.contains { $0.hasPrefix("The trend test does not confirm a leak") })
    }
}
