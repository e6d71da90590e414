import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

/// smaps_rollup is read on a schedule: once for a process whose RSS does not
/// move, at every sample when asked, and again as soon as RSS moves by more
/// than the given share; in between PSS follows RSS.
@Suite struct WatchPSSScheduleTests {
    @Test func pssIsReadOnlyWhenDueAndFollowsRSSInBetween() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let path = dir.path("watch.sqlite")
        let (lazyReads, eagerReads, growingReads, samples, carried) = try await offThePool {
            let steady = try ChildProcess.spawn([programs.python, "\(dir.url.path)/steady.py", "30", "60"])
            defer { _ = steady.terminate(graceSecs: 2) }
            let growing = try ChildProcess.spawn([programs.python, "\(dir.url.path)/leaky.py", "20", "60"])
            defer { _ = growing.terminate(graceSecs: 2) }
            #expect(programs.waitForPrograms(2))
            // Past the interpreter's start-up: steady.py has its block.
            let deadline = Date(timeIntervalSinceNow: 30)
            while Date() < deadline, ((try? ProcStatus.read(pid: steady.pid))?.vmRSSBytes ?? 0) < 30 << 20 { usleep(20_000) }
            usleep(300_000)

            let config = LeakDetectionConfig.forWatch(intervalSecs: 0.05, durationSecs: 5)
            func sampled(_ pid: Int32, _ schedule: PSSSchedule, source: String) throws -> (reads: Int, readings: [MemoryReading]) {
                let sampler = try MemorySampler(pid: pid, databasePath: path, source: source, config: config, pssSchedule: schedule)
                var readings: [MemoryReading] = []
                for _ in 0..<20 {
                    try sampler.sample()
                    if let reading = sampler.lastReading { readings.append(reading) }
                    usleep(50_000)
                }
                try sampler.end()
                return (sampler.pssReads, readings)
            }
            // A read only every 10 s, whatever RSS does: PSS is carried forward by the RSS change.
            let carried = try sampled(growing.pid, PSSSchedule(maxAgeSecs: 10, rssChangeFraction: 10), source: "carried")
            #expect(carried.reads <= 1)
            return (try sampled(steady.pid, PSSSchedule(), source: "lazy").reads,
                    try sampled(steady.pid, PSSSchedule(maxAgeSecs: 0), source: "eager").reads,
                    try sampled(growing.pid, PSSSchedule(), source: "growing").reads, 20, carried.readings)
        }
        guard FileManager.default.isReadableFile(atPath: "/proc/self/smaps_rollup") else { return }
        #expect(lazyReads <= 2, "RSS steady over 1 s: read once (twice if the allocator moved a page): \(lazyReads)")
        #expect(eagerReads == samples)
        // 20 MB/s on ~30 MB moves RSS by more than 1 % at nearly every 50 ms sample.
        #expect(growingReads > samples / 2, "\(growingReads)")

        // Between reads PSS moves with RSS, byte for byte: PSS − RSS stays what it was at the read.
        func pss(_ reading: MemoryReading) -> Int64? { reading.parts.first { $0.component == "pss" }?.bytes }
        let first = try #require(carried.first)
        let offset = try #require(pss(first)) - first.totalBytes
        for reading in carried.dropFirst() {
            #expect(pss(reading).map { $0 - reading.totalBytes } == offset)
        }
        #expect(try #require(carried.last).totalBytes > first.totalBytes, "the leaker grew")
    }
}
