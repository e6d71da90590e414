import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

/// cgroup v2 memory files parse on fixtures (a current kernel, one before
/// 5.18 without a `kernel` line, garbage), a cgroup directory is sampled
/// through the real probe and sampler, and the test process's own cgroup is
/// read where the machine has a cgroup v2 memory controller.
@Suite struct WatchCgroupParsingTests {
    @Test func memoryStatFixtureGivesTheParts() {
        let stat = CgroupMemoryStat.parse(Fixtures.memoryStat)
        #expect(stat.anonBytes == 2_719_744)
        #expect(stat.fileBytes == 9_076_736)
        #expect(stat.kernelBytes == 1_388_544)
        #expect(stat.sockBytes == 4096)
        #expect(stat.shmemBytes == 135_168)
        #expect(stat.values["pgfault"] == 2_231, "counters are kept as they are")
    }

    @Test func kernelBefore518SumsTheKernelParts() {
        let stat = CgroupMemoryStat.parse("anon 100\nfile 200\nkernel_stack 16\npagetables 32\npercpu 8\nslab 64\nsock 0\n")
        #expect(stat.kernelBytes == Int64(16 + 32 + 8 + 64))
        #expect(CgroupMemoryStat.parse("anon 1\n").kernelBytes == nil)
    }

    @Test func garbageLinesAreSkippedAndTheFirstValueWins() {
        let stat = CgroupMemoryStat.parse("anon\nfile x\na b c\n\nanon 5\nanon 6\n  sock 7\nshmem\t9\n")
        #expect(stat.anonBytes == 5)
        #expect(stat.fileBytes == nil)
        #expect(stat.sockBytes == 7)
        #expect(stat.shmemBytes == 9)
        #expect(stat.values.count == 3)
    }

    @Test func memoryCurrentIsOneNumberOfBytes() {
        #expect(CgroupMemoryStat.parseCurrent("123456\n") == 123_456)
        #expect(CgroupMemoryStat.parseCurrent("0") == 0)
        #expect(CgroupMemoryStat.parseCurrent("max\n") == nil)
        #expect(CgroupMemoryStat.parseCurrent("") == nil)
        #expect(CgroupMemoryStat.parseCurrent("-5") == nil)
        #expect(CgroupMemoryStat.parseCurrent("1 2") == nil)
    }

    @Test func procCgroupGivesTheUnifiedPath() {
        #expect(CgroupMemoryStat.unifiedPath(inProcCgroup: "0::/user.slice/user-1000.slice/session-2.scope\n")
            == "/user.slice/user-1000.slice/session-2.scope")
        // A hybrid system lists the v1 controllers too.
        #expect(CgroupMemoryStat.unifiedPath(inProcCgroup: "4:memory:/process_api/e56\n1:cpu:/\n0::/\n") == "/")
        #expect(CgroupMemoryStat.unifiedPath(inProcCgroup: "0::/odd:name\n") == "/odd:name")
        // cgroup v1 only: no unified hierarchy.
        #expect(CgroupMemoryStat.unifiedPath(inProcCgroup: "4:memory:/a\n1:cpu:/\n") == nil)
        #expect(CgroupMemoryStat.unifiedPath(inProcCgroup: "garbage\n") == nil)
    }

    @Test func cgroupDirectoryIsSampledUntilItIsRemoved() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cgroup = dir.url.appendingPathComponent("app.service")
        try FileManager.default.createDirectory(at: cgroup, withIntermediateDirectories: true)
        try "13209600\n".write(to: cgroup.appendingPathComponent("memory.current"), atomically: true, encoding: .utf8)
        try Fixtures.memoryStat.write(to: cgroup.appendingPathComponent("memory.stat"), atomically: true, encoding: .utf8)

        let path = dir.path("watch.sqlite")
        let sampler = try MemorySampler(cgroupPath: cgroup.path, databasePath: path,
                                        config: .forWatch(intervalSecs: 1, durationSecs: nil), flushIntervalSecs: 0)
        #expect(sampler.source == "app.service")
        #expect(try sampler.sample())
        let reading = try #require(sampler.lastReading)
        #expect(reading.totalBytes == 13_209_600)
        #expect(reading.parts.map(\.component) == ["anon", "file", "kernel", "sock", "shmem"])
        let disjoint: Int64 = reading.parts.filter(\.isDisjoint).map(\.bytes).reduce(0, +)
        let expected: Int64 = 2_719_744 + 9_076_736 + 1_388_544 + 4096
        #expect(disjoint == expected, "anon, file, kernel and sock make up memory.current")

        try FileManager.default.removeItem(at: cgroup)
        #expect(try sampler.sample() == false)
        #expect(sampler.endReason == "the cgroup was removed")
        try sampler.end()

        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "app.service").map(\.usageBytes) == [13_209_600])
        #expect(try reader.runs(source: "app.service").first?.endedMs != nil)
    }

    @Test func directoryWithoutMemoryCurrentIsNotACgroup() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect {
            _ = try MemorySampler(cgroupPath: dir.url.path, databasePath: ":memory:", config: .forWatch(intervalSecs: 1, durationSecs: nil))
        } throws: { error in
            guard case .notACgroup = error as? WatchError else { return false }
            return "\(error)".contains("memory.current")
        }
        #expect(throws: WatchError.notACgroup(path: dir.path("missing"), detail: "it does not exist")) {
            _ = try MemorySampler(cgroupPath: dir.path("missing"), databasePath: ":memory:", config: .forWatch(intervalSecs: 1, durationSecs: nil))
        }
    }

    @Test(.enabled(if: ownMemoryCgroup != nil, "needs a cgroup v2 hierarchy with the memory controller, readable"))
    func ownCgroupIsSampled() throws {
        let path = try #require(ownMemoryCgroup)
        let sampler = try MemorySampler(cgroupPath: path, databasePath: ":memory:",
                                        config: .forWatch(intervalSecs: 1, durationSecs: nil), flushIntervalSecs: 0)
        #expect(try sampler.sample())
        let reading = try #require(sampler.lastReading)
        #expect(reading.totalBytes > 0)
        #expect(reading.parts.contains { $0.component == "anon" && $0.bytes > 0 })
        try sampler.end()
    }

    enum Fixtures {
        /// The start of a real memory.stat (Linux 6.x).
        static let memoryStat = """
            anon 2719744
            file 9076736
            kernel 1388544
            kernel_stack 147456
            pagetables 319488
            sec_pagetables 0
            percpu 480
            sock 4096
            vmalloc 8192
            shmem 135168
            file_mapped 5029888
            file_dirty 0
            slab 896048
            pgfault 2231

            """
    }
}

/// The test process's own cgroup v2 directory, when it has memory.current.
let ownMemoryCgroup: String? = {
    guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
          let relative = CgroupMemoryStat.unifiedPath(inProcCgroup: text) else { return nil }
    // A pure v2 system mounts it at /sys/fs/cgroup; a hybrid one under unified/.
    for mount in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
        let dir = mount + (relative == "/" ? "" : relative)
        if FileManager.default.isReadableFile(atPath: dir + "/memory.current") { return dir }
    }
    return nil
}()
