import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

/// `/proc/PID/status` and `/proc/PID/smaps_rollup` parse on the test
/// process's own files and on unusual content: missing fields, kernel threads
/// and zombies without VmRSS, sizes in kB, garbage lines.
@Suite struct WatchProcParsingTests {
    @Test func ownStatusHasRSSThatIsTheSumOfItsParts() throws {
        let status = ProcStatus.parse(try String(contentsOfFile: "/proc/self/status", encoding: .utf8))
        #expect(status.name?.isEmpty == false)
        #expect(status.pid == getpid())
        #expect(status.tgid == getpid())
        #expect(status.hasUserMemory)
        let rss = try #require(status.vmRSSBytes)
        #expect(rss > 1 * MiB)
        #expect(rss % 1024 == 0)
        let anon = try #require(status.rssAnonBytes)
        let file = try #require(status.rssFileBytes)
        let shmem = try #require(status.rssShmemBytes)
        #expect(anon + file + shmem == rss)
    }

    @Test(.enabled(if: FileManager.default.isReadableFile(atPath: "/proc/self/smaps_rollup"), "needs Linux 4.14 or later"))
    func ownSmapsRollupHasPSS() throws {
        let rollup = SmapsRollup.parse(try String(contentsOfFile: "/proc/self/smaps_rollup", encoding: .utf8))
        let pss = try #require(rollup.pssBytes)
        let rss = try #require(rollup.rssBytes)
        #expect(pss > 0)
        #expect(pss <= rss)
        #expect(rollup.pssAnonBytes != nil)
    }

    @Test func userProcessFixture() {
        let status = ProcStatus.parse(Fixtures.userProcess)
        #expect(status.name == "process_api")
        #expect(status.state == "S")
        #expect(status.pid == 1)
        #expect(status.isKernelThreadFlag == false)
        #expect(status.vmRSSBytes == kB(10_448))
        #expect(status.rssAnonBytes == kB(3_980))
        #expect(status.rssFileBytes == kB(8))
        #expect(status.rssShmemBytes == kB(6_460))
        #expect(status.vmSwapBytes == 0)
        #expect(status.vmHWMBytes == kB(12_000))
        #expect(status.hasUserMemory)
    }

    @Test func kernelThreadHasNoVmRSSAndNoUserMemory() {
        let status = ProcStatus.parse(Fixtures.kernelThread)
        #expect(status.name == "kthreadd")
        #expect(status.vmRSSBytes == nil)
        #expect(status.rssAnonBytes == nil)
        #expect(!status.hasUserMemory)
        #expect(!status.isZombie)
        // Linux 6.8+ says so outright; a stray VmRSS line does not change that.
        let flagged = ProcStatus.parse(Fixtures.kernelThread + "Kthread:\t1\nVmRSS:\t0 kB\n")
        #expect(flagged.isKernelThreadFlag == true)
        #expect(!flagged.hasUserMemory)
    }

    @Test func zombieHasNoUserMemory() {
        let status = ProcStatus.parse(Fixtures.zombie)
        #expect(status.state == "Z")
        #expect(status.isZombie)
        #expect(!status.hasUserMemory)
    }

    @Test func oldKernelWithoutRSSPartsKeepsTheTotal() {
        // Before Linux 4.5 there were no RssAnon/RssFile/RssShmem lines.
        let status = ProcStatus.parse("Name:\told\nState:\tR (running)\nVmRSS:\t  2048 kB\n")
        #expect(status.vmRSSBytes == 2 * MiB)
        #expect(status.rssAnonBytes == nil)
        #expect(status.hasUserMemory)
    }

    @Test func garbageLinesAndBadSizesAreSkipped() {
        let status = ProcStatus.parse(Fixtures.garbage)
        #expect(status.name == "weird name (x) \\n")
        #expect(status.vmRSSBytes == 4 * MiB)
        #expect(status.rssAnonBytes == nil, "a size in MB is not the kernel's format")
        #expect(status.rssFileBytes == nil, "a size with no unit is not the kernel's format")
        #expect(status.rssShmemBytes == nil, "a negative size")
        #expect(status.vmSwapBytes == nil, "an overflowing size")
        #expect(status.vmHWMBytes == nil, "not a number")
        #expect(ProcStatus.parse("") == ProcStatus())
        #expect(ProcStatus.parse("\u{0}\u{1}binary\n::::\n") == ProcStatus())
    }

    @Test func smapsRollupFixtureSkipsTheAddressLine() {
        let rollup = SmapsRollup.parse(Fixtures.smapsRollup)
        #expect(rollup.rssBytes == kB(1680))
        #expect(rollup.pssBytes == kB(633))
        #expect(rollup.pssAnonBytes == kB(116))
        #expect(rollup.pssFileBytes == kB(517))
        #expect(rollup.pssShmemBytes == 0)
        #expect(rollup.swapBytes == 0)
        #expect(SmapsRollup.parse("Pss: lots\n").pssBytes == nil)
    }

    @Test func sourceNamesComeFromCommandNamesAndAreMadeDistinct() throws {
        #expect(MemorySampler.sourceName(comm: "nginx", pid: 7) == "nginx")
        #expect(MemorySampler.sourceName(comm: "bad\u{7}name", pid: 7) == "bad?name")
        #expect(MemorySampler.sourceName(comm: "", pid: 7) == "pid-7")
        #expect(MemorySampler.defaultSource(command: "/usr/bin/python3") == "python3")
        #expect(MemorySampler.defaultSource(command: "./run.sh") == "run.sh")
        #expect(MemorySampler.sourceName(cgroupPath: "/sys/fs/cgroup/system.slice/app.service/") == "app.service")
        let me = getpid()
        let names = try MemorySampler.defaultSources(pids: [me, me])
        #expect(names.count == 2)
        #expect(names[0].hasSuffix("-\(me)"), "two processes with one name get their pids: \(names)")
    }

    /// Sizes in the kernel's kB (KiB), typed as the parser's bytes.
    func kB(_ kilobytes: Int64) -> Int64 { kilobytes * 1024 }

    enum Fixtures {
        static let userProcess = """
            Name:\tprocess_api
            Umask:\t0022
            State:\tS (sleeping)
            Tgid:\t1
            Ngid:\t0
            Pid:\t1
            PPid:\t0
            Kthread:\t0
            VmPeak:\t   20000 kB
            VmHWM:\t   12000 kB
            VmRSS:\t   10448 kB
            RssAnon:\t    3980 kB
            RssFile:\t       8 kB
            RssShmem:\t    6460 kB
            VmSwap:\t       0 kB
            Threads:\t4
            voluntary_ctxt_switches:\t150

            """

        static let kernelThread = """
            Name:\tkthreadd
            Umask:\t0000
            State:\tS (sleeping)
            Tgid:\t2
            Ngid:\t0
            Pid:\t2
            PPid:\t0
            Threads:\t1
            Cpus_allowed_list:\t0-1

            """

        static let zombie = """
            Name:\tsleep
            State:\tZ (zombie)
            Tgid:\t4242
            Pid:\t4242
            PPid:\t1
            Threads:\t1

            """

        static let garbage = """
            this line has no colon
            : value without a key
            Two words: are not a key
            Name:\tweird name (x) \\n
            VmRSS:\t4096 kB
            RssAnon:\t12 MB
            RssFile:\t12
            RssShmem:\t-4 kB
            VmSwap:\t99999999999999999999 kB
            VmHWM:\tlots kB
            \t\t
            """

        static let smapsRollup = """
            563128142000-7ffc89dc5000 ---p 00000000 00:00 0                          [rollup]
            Rss:                1680 kB
            Pss:                 633 kB
            Pss_Dirty:           116 kB
            Pss_Anon:            116 kB
            Pss_File:            517 kB
            Pss_Shmem:             0 kB
            Shared_Clean:       1432 kB
            Swap:                  0 kB
            SwapPss:               0 kB

            """
    }
}

/// A `/proc` file kept open is read afresh at each `read`, and once its
/// process has exited (and been reaped) every read fails with ESRCH: a pid
/// given to a later process is never read through it.
@Suite struct WatchProcFileHandleTests {
    @Test func aKeptFileReadsTheProcessAsItIsNowAndFailsOnceItIsGone() async throws {
        let (first, again, afterExit, statThreads) = try await offThePool {
            let child = try ChildProcess.spawn(["sleep", "30"])
            defer { _ = child.terminate(graceSecs: 2) }
            let status = try ProcFileHandle("/proc/\(child.pid)/status")
            let stat = try ProcFileHandle("/proc/\(child.pid)/stat")
            // posix_spawn returns before the exec is done: wait until the child is sleep.
            var first = try status.read { ProcStatus.parse(bytes: $0) }
            for _ in 0..<500 where first.name != "sleep" {
                usleep(10_000)
                first = try status.read { ProcStatus.parse(bytes: $0) }
            }
            let again = try status.read { ProcStatus.parse(bytes: $0) }
            let threads = try stat.read { ProcStat.parse(buffer: $0) }?.threads
            _ = child.terminate(graceSecs: 2)
            var afterExit: WatchError?
            do throws(WatchError) { _ = try status.read { $0.count } } catch { afterExit = error }
            return (first, again, afterExit, threads)
        }
        #expect(first.name == "sleep")
        #expect(first.pid != nil && first.pid == again.pid)
        #expect(again.vmRSSBytes != nil)
        #expect(statThreads == 1)
        guard case .unreadable(_, let code) = afterExit else {
            Issue.record("a read after the exit: \(String(describing: afterExit))")
            return
        }
        #expect(code == ESRCH)
    }

    @Test func aChildrenFileListsThePids() {
        let text = Array("4242 4243 17 ".utf8)
        #expect(text.withUnsafeBufferPointer { ProcessTree.pids(in: $0) } == [4242, 4243, 17])
        #expect([UInt8]().withUnsafeBufferPointer { ProcessTree.pids(in: $0) } == [])
    }
}
