import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

/// What a watch stores: RSS as the snapshot, and its parts as gauge
/// components with no counts, taken from the real /proc files.
@Suite struct WatchRecordsRSSAndGaugePartsTests {
    @Test func snapshotsAreRSSAndPartsAreGaugesWithNullCounts() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("watch.sqlite")
        let (lastReading, sampleCount) = try await offThePool {
            let config = LeakDetectionConfig.forWatch(intervalSecs: 0.05, durationSecs: 0.5)
            let sampler = try MemorySampler(pid: getpid(), databasePath: path, source: "self", config: config,
                                            flushIntervalSecs: 0.1)
            _ = try watchUntilDone([sampler], intervalSecs: 0.05, durationSecs: 0.5)
            return (sampler.lastReading, sampler.sampleCount)
        }

        let reading = try #require(lastReading)
        let parts = Dictionary(uniqueKeysWithValues: reading.parts.map { ($0.component, $0) })
        for name in ["rss_anon", "rss_file", "rss_shmem"] {
            #expect(parts[name]?.isDisjoint == true, "\(name) missing from \(reading.parts)")
        }
        // VmRSS is the sum of its three parts, as the kernel computes it.
        let sum = ["rss_anon", "rss_file", "rss_shmem"].compactMap { parts[$0]?.bytes }.reduce(0, +)
        #expect(sum == reading.totalBytes)
        if FileManager.default.isReadableFile(atPath: "/proc/self/smaps_rollup") {
            #expect(parts["pss"]?.isDisjoint == false)
            #expect((parts["pss"]?.bytes ?? 0) > 0)
        }

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let stored = try reader.components(source: "self")
        #expect(Set(stored.map(\.name)).isSuperset(of: ["rss_anon", "rss_file", "rss_shmem"]))
        #expect(stored.allSatisfy { $0.kind == .gauge })
        let samples = try reader.componentSamples(source: "self", component: "rss_anon")
        #expect(!samples.isEmpty)
        #expect(samples.allSatisfy { $0.allocations == nil && $0.deallocations == nil && $0.allocatedBytes > 0 })
        let snapshots = try reader.snapshots(source: "self")
        #expect(snapshots.count == sampleCount)
        #expect(snapshots.allSatisfy { $0.usageBytes > 0 })
    }
}
