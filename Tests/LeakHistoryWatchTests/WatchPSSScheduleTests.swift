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

/// While reads find PSS where RSS carried it, the wait before the next read
/// doubles up to `longestAgeSecs`; a read that finds it elsewhere (sharing
/// changed: a sibling started or exited) brings the wait back to
/// `maxAgeSecs`, and so does a change in the tree's processes.
@Suite struct WatchPSSBackoffTests {
    @Test func confirmedReadsDoubleTheWaitUpToTheLongestAndAMissResetsIt() {
        let schedule = PSSSchedule()   // 10 s, 1 %, up to 2 min
        let mb: Int64 = 1 << 20
        var age = schedule.maxAgeSecs
        var waits: [Double] = []
        for _ in 0..<6 {
            age = schedule.nextAgeSecs(after: age, carried: 200 * mb, read: 200 * mb + mb)   // 0.5 % off: confirmed
            waits.append(age)
        }
        #expect(waits == [20, 40, 80, 120, 120, 120])
        // 5 MB off on 200 MB (2.5 %): the carried value was wrong.
        #expect(schedule.nextAgeSecs(after: 120, carried: 200 * mb, read: 205 * mb) == 10)
        // At every sample stays at every sample; a fixed schedule stays fixed.
        #expect(PSSSchedule(maxAgeSecs: 0).nextAgeSecs(after: 0, carried: mb, read: mb) == 0)
        #expect(PSSSchedule(maxAgeSecs: 10, longestAgeSecs: 10).nextAgeSecs(after: 10, carried: mb, read: mb) == 10)
        // The longest is never shorter than the first wait.
        #expect(PSSSchedule(maxAgeSecs: 300, longestAgeSecs: 60).longestAgeSecs == 300)
    }

    @Test func aReadIsDueAtTheAgeGivenOrWhenRSSMoved() {
        let schedule = PSSSchedule()
        let mb: Int64 = 1 << 20
        #expect(!schedule.isDue(lastRSS: 200 * mb, rss: 200 * mb, elapsedNs: 30_000_000_000, ageSecs: 40))
        #expect(schedule.isDue(lastRSS: 200 * mb, rss: 200 * mb, elapsedNs: 40_000_000_000, ageSecs: 40))
        #expect(schedule.isDue(lastRSS: 200 * mb, rss: 203 * mb, elapsedNs: 1_000_000_000, ageSecs: 120), "RSS moved 1.5 %")
    }

    /// A steady process read for 3 s with a 1 s first wait: read at 0 s, at
    /// 1 s (confirmed: next after 2 s more), at 3 s at the latest; never at
    /// every one of the 30 samples.
    @Test func aSteadyProcessIsReadLessAndLessOften() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let path = dir.path("watch.sqlite")
        let (backedOff, fixed) = try await offThePool {
            let steady = try ChildProcess.spawn([programs.python, "\(dir.url.path)/steady.py", "20", "60", "\(dir.url.path)/ready"])
            defer { _ = steady.terminate(graceSecs: 2) }
            #expect(programs.waitForReady(1))
            let config = LeakDetectionConfig.forWatch(intervalSecs: 0.1, durationSecs: 5)
            func reads(_ schedule: PSSSchedule, source: String) throws -> Int {
                let sampler = try MemorySampler(pid: steady.pid, databasePath: path, source: source, config: config,
                                                pssSchedule: schedule, flushIntervalSecs: 0)
                let start = Date()
                while Date().timeIntervalSince(start) < 3.3 {
                    try sampler.sample()
                    usleep(100_000)
                }
                try sampler.end()
                return sampler.pssReads
            }
            // A 10 % RSS change before a read is due: only the schedule decides.
            return (try reads(PSSSchedule(maxAgeSecs: 1, rssChangeFraction: 0.1, longestAgeSecs: 60), source: "backoff"),
                    try reads(PSSSchedule(maxAgeSecs: 1, rssChangeFraction: 0.1, longestAgeSecs: 1), source: "fixed"))
        }
        guard FileManager.default.isReadableFile(atPath: "/proc/self/smaps_rollup") else { return }
        // Reads at 0, 1 and 3 s (the next would be at 7 s); a loaded machine stretches the 3.3 s, not the reads.
        #expect(backedOff <= 3, "\(backedOff)")
        #expect(fixed >= 3, "a fixed 1 s schedule reads at 0, 1, 2 and 3 s: \(fixed)")
        #expect(backedOff < fixed)
    }
}
