import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// The seed's "Testing" list, each with the seed's own expectations — including
/// the eight its suite ignored. Time moves by an injected clock.
@Suite("Seed scenarios")
struct SeedScenarioTests {
    @Test("no leaks: balanced allocations against a baseline")
    func noLeaksBaseline() {
        let clock = ManualClock()
        let detector = LeakDetector(now: clock.now)
        detector.setBaseline(usageMB: 100)
        for _ in 0..<50 {
            detector.trackAllocation("test_component", sizeMB: 10)
            detector.trackDeallocation("test_component", sizeMB: 10)
        }
        clock.advance(ms: 5)
        detector.recordSnapshot(usageMB: 100)
        let report = detector.detectLeaks(currentUsageMB: 100)
        #expect(!report.hasLeaks)
        #expect(report.baselineMB == 100)
        #expect(report.currentMB == 100)
        #expect(report.overallGrowthRate < 5.0)
        #expect(report.recommendations == ["No memory leaks detected"])
    }

    @Test("gradual leak: 20 steps of 5 MB, milliseconds apart")
    func gradualLeak() throws {
        let clock = ManualClock()
        let detector = LeakDetector(now: clock.now)
        detector.setBaseline(usageMB: 100)
        var usage = 100
        for _ in 0..<20 {
            clock.advance(ms: 10)
            detector.trackAllocation("leaky_component", sizeMB: 5)
            usage += 5
            detector.recordSnapshot(usageMB: usage)
        }
        let report = detector.detectLeaks(currentUsageMB: usage)
        #expect(report.hasLeaks)
        #expect(report.overallGrowthRate > 5.0)
        #expect(abs(report.overallGrowthRate - 100) < 1e-9)
        // 100 MiB over 200 ms is 30,000 MiB per minute.
        #expect(abs(report.growthMBPerMinute - 30_000) < 1e-6)
        let leaky = try #require(report.leakCandidates.first { $0.component == "leaky_component" })
        #expect(leaky.allocatedMB >= 90)
        #expect(leaky.netAllocations > 10)
        #expect(report.trend?.isLeaking == true)
    }

    @Test("spike: one 500 MB allocation is Critical and fully tracked")
    func spike() throws {
        let clock = ManualClock()
        let detector = LeakDetector(now: clock.now)
        detector.setBaseline(usageMB: 100)
        detector.recordSnapshot(usageMB: 100)
        clock.advance(ms: 10)
        detector.trackAllocation("spike_component", sizeMB: 500)
        detector.recordSnapshot(usageMB: 600)
        let report = detector.detectLeaks(currentUsageMB: 600)
        #expect(report.hasLeaks)
        #expect(report.overallGrowthRate > 100)
        let spike = try #require(report.leakCandidates.first { $0.component == "spike_component" })
        #expect(spike.severity == .critical)
        #expect(spike.allocatedMB == 500)
        #expect(spike.growthRate == 100)
        #expect(report.recommendations.contains { $0.hasPrefix("CRITICAL: Component 'spike_component'") && $0.contains("all the growth comes from it") })
    }

    @Test("component attribution: the component that keeps everything is the candidate")
    func componentAttribution() throws {
        let detector = LeakDetector(now: ManualClock().now)
        detector.setBaseline(usageMB: 100)
        detector.trackAllocation("component_a", sizeMB: 50)
        detector.trackAllocation("component_b", sizeMB: 30)
        detector.trackAllocation("component_c", sizeMB: 20)
        detector.trackDeallocation("component_b", sizeMB: 15)
        detector.trackDeallocation("component_c", sizeMB: 20)
        detector.recordSnapshot(usageMB: 185)
        let report = detector.detectLeaks(currentUsageMB: 185)
        #expect(!report.leakCandidates.isEmpty)
        let a = try #require(report.leakCandidates.first { $0.component == "component_a" })
        #expect(a.growthBytes == 50 * MiB)
        // a grew 50 MB and b 15 MB: a holds 50/65 of the growth.
        #expect(abs(a.growthRate - 50.0 / 65.0 * 100) < 1e-9)
        #expect(!report.leakCandidates.contains { $0.component == "component_c" })
    }

    @Test("threshold configuration: 3% growth passes a 2% threshold, window reported")
    func thresholdConfiguration() {
        var config = LeakDetectionConfig(growthThreshold: 2.0, timeWindowSecs: 60, maxHistorySamples: 50, minAllocationsForLeak: 5)
        config.sizeGrowthPercent = 20
        let detector = LeakDetector(config: config, now: ManualClock().now)
        detector.setBaseline(usageMB: 100)
        detector.trackAllocation("test", sizeMB: 3)
        detector.recordSnapshot(usageMB: 103)
        let report = detector.detectLeaks(currentUsageMB: 103)
        #expect(report.overallGrowthRate > 2.0)
        #expect(report.timeWindowSecs == 60)
        #expect(report.hasLeaks)
        #expect(report.recommendations.first == "Memory growth rate of 3.00% exceeds threshold of 2.00%")
        // Both samples in the same millisecond: no elapsed time, so no per-minute rate.
        #expect(report.growthMBPerMinute == 0)
    }

    @Test("concurrent tracking: five threads, no count lost")
    func concurrentTracking() async {
        let detector = LeakDetector(now: ManualClock().now)
        detector.setBaseline(usageMB: 100)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<5 {
                group.addTask {
                    for _ in 0..<10 { detector.trackAllocation("thread_\(i)", sizeMB: 2) }
                }
            }
        }
        detector.recordSnapshot(usageMB: 200)
        let report = detector.detectLeaks(currentUsageMB: 200)
        #expect(report.leakCandidates.count <= 5)
        let totals = detector.components
        #expect(totals.count == 5)
        for c in totals {
            #expect(c.totals.allocations == 10)
            #expect(c.totals.heldBytes == 20 * MiB)
        }
    }

    @Test("leak history: ten growing snapshots give a per-minute rate")
    func leakHistory() {
        let clock = ManualClock()
        let detector = LeakDetector(now: clock.now)
        detector.setBaseline(usageMB: 100)
        for i in 1...10 {
            clock.advance(ms: 5)
            detector.trackAllocation("growing_component", sizeMB: 10)
            detector.recordSnapshot(usageMB: 100 + i * 10)
        }
        let report = detector.detectLeaks(currentUsageMB: 200)
        #expect(report.hasLeaks)
        #expect(report.growthMBPerMinute > 0)
        #expect(report.baselineMB != nil)
        #expect(report.leakCandidates.contains { $0.component == "growing_component" })
        #expect(detector.history.count == 11)
    }

    @Test("false positives: three small allocations are not a candidate")
    func falsePositiveAvoidance() {
        let detector = LeakDetector(now: ManualClock().now)
        detector.setBaseline(usageMB: 100)
        for _ in 0..<3 { detector.trackAllocation("small_component", sizeMB: 2) }
        detector.recordSnapshot(usageMB: 106)
        let report = detector.detectLeaks(currentUsageMB: 106)
        #expect(!report.leakCandidates.contains { $0.component == "small_component" })
    }

    @Test("report format: timestamp, baseline, current, recommendations")
    func reportFormat() {
        let clock = ManualClock()
        let detector = LeakDetector(now: clock.now)
        detector.setBaseline(usageMB: 100)
        detector.trackAllocation("test", sizeMB: 50)
        detector.recordSnapshot(usageMB: 150)
        let report = detector.detectLeaks(currentUsageMB: 150)
        #expect(report.timestamp == UInt64(clock.nowMs / 1000))
        #expect(report.baselineMB == 100)
        #expect(report.currentMB == 150)
        #expect(!report.recommendations.isEmpty)
        #expect(report.recommendations.allSatisfy { !$0.isEmpty })
    }

    @Test("100+ components: every one classified in one report")
    func manyComponents() {
        let detector = LeakDetector(now: ManualClock().now)
        detector.setBaseline(usageMB: 100)
        for i in 0..<150 {
            detector.trackAllocation("component_\(i)", sizeMB: i % 10)
        }
        detector.recordSnapshot(usageMB: 500)
        let report = detector.detectLeaks(currentUsageMB: 500)
        #expect(detector.components.count == 150)
        // Growth 9 MiB ≥ 20% of 100 MiB fails; none has ≥ 10 allocations: no candidates.
        #expect(report.leakCandidates.isEmpty)
        #expect(report.overallGrowthRate == 400)
        #expect(report.hasLeaks)
    }

    @Test("severity classification: sizes map to Critical, High, Medium, Low")
    func severityClassification() throws {
        let detector = LeakDetector(now: ManualClock().now)
        detector.setBaseline(usageMB: 100)
        detector.trackAllocation("critical_component", sizeMB: 1100)
        detector.trackAllocation("high_component", sizeMB: 600)
        detector.trackAllocation("medium_component", sizeMB: 150)
        detector.trackAllocation("low_component", sizeMB: 50)
        detector.recordSnapshot(usageMB: 1900)
        let report = detector.detectLeaks(currentUsageMB: 1900)
        let bySeverity = Dictionary(uniqueKeysWithValues: report.leakCandidates.map { ($0.component, $0.severity) })
        #expect(bySeverity["critical_component"] == .critical)
        #expect(bySeverity["high_component"] == .high)
        #expect(bySeverity["medium_component"] == .medium)
        #expect(bySeverity["low_component"] == .low)
        #expect(report.leakCandidates.map(\.component) == ["critical_component", "high_component", "medium_component", "low_component"])
    }

    @Test("recommendations: a critical leak is named, cleanup is suggested")
    func recommendations() {
        let detector = LeakDetector(now: ManualClock().now)
        detector.setBaseline(usageMB: 100)
        detector.trackAllocation("critical_leak", sizeMB: 1500)
        detector.recordSnapshot(usageMB: 1600)
        let report = detector.detectLeaks(currentUsageMB: 1600)
        #expect(report.recommendations.contains { $0.contains("CRITICAL") && $0.contains("critical_leak") })
        #expect(report.recommendations.contains { $0.contains("garbage collection") || $0.contains("cleanup") })
        #expect(report.recommendations.contains("CRITICAL: Component 'critical_leak' has 1500 MB allocated with 100.0% growth rate — all the growth comes from it"))
    }
}
