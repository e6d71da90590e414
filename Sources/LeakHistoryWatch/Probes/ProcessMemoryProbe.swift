#if canImport(Glibc)
import LeakHistory
import Glibc
#endif

/// Samples one process's memory from `/proc/PID/status` and `/proc/PID/smaps_rollup`.
///
/// ```swift
/// let probe = try ProcessMemoryProbe(pid: 1234)
/// if case .reading(let reading) = try probe.read() { print(reading.totalBytes) }
/// ```
///
/// The probe keeps `/proc/PID` and its `status` open and reads through those
/// descriptors (`status` with one `pread` a sample): once the process is gone
/// every read fails with `ESRCH`, so a new process that reuses the pid is
/// never mistaken for the one being watched.
///
/// Parts: `rss_anon`, `rss_file`, `rss_shmem` (they add up to VmRSS), `swap`
/// (anonymous memory swapped out, where the kernel reports it) and `pss`
/// (from smaps_rollup, where readable: it needs ptrace access to the
/// process, and walks every mapping under the process's mmap lock).
///
/// Reading smaps_rollup costs several times the rest of a sample on a large
/// process, so it is read on the `PSSSchedule`: at most every 10 s by default,
/// sooner when RSS moved by more than 1 % since, and less and less often (up
/// to every 2 min) while each read finds PSS where the RSS change had carried
/// it. In between, PSS is the last value read moved by the RSS change since
/// (RSS pages are either private, which PSS counts whole, or shared, which
/// barely move).
final class ProcessMemoryProbe: MemoryProbe {
    let pid: Int32
    /// The command name (`comm`) when the probe was opened.
    let name: String
    /// `/proc/PID/cmdline` with its arguments joined by spaces, if readable.
    let commandLine: String?
    /// Why PSS is not sampled, once a read of smaps_rollup has failed.
    private(set) var pssUnavailable: WatchError?
    private var directory: Int32
    private var statusFile: ProcFileHandle?
    private var readsPSS: Bool
    private let schedule: PSSSchedule
    /// The last PSS read, the RSS and the time (monotonic ns) it was read at.
    private var lastPSS: (pss: Int64, rss: Int64, atNs: UInt64)?
    /// How long the last PSS read may be carried forward (`PSSSchedule.nextAgeSecs`).
    private var pssAgeSecs: Double
    /// How many times smaps_rollup was read.
    private(set) var pssReads = 0
    /// The command name at the latest read: it changes when the process runs a new program.
    private(set) var currentName: String

    var label: String { "pid \(pid)" }
    var goneDescription: String { "the process exited" }

    init(pid: Int32, readPSS: Bool = true, schedule: PSSSchedule = PSSSchedule()) throws(WatchError) {
        guard pid > 0 else { throw .noSuchProcess(pid: pid) }
        let path = "/proc/\(pid)"
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw ProcFile.meansGone(code) ? .noSuchProcess(pid: pid) : .unreadable(path: path, errno: code)
        }
        let status: ProcStatus
        let statusFile: ProcFileHandle
        do throws(WatchError) {
            statusFile = try ProcFileHandle("status", in: fd, displayPath: "\(path)/status")
            status = try statusFile.read { ProcStatus.parse(bytes: $0) }
        } catch {
            Glibc.close(fd)
            if case .unreadable(_, let code) = error, ProcFile.meansGone(code) { throw .noSuchProcess(pid: pid) }
            throw error
        }
        let name = status.name ?? "pid-\(pid)"
        guard !status.isZombie else {
            Glibc.close(fd)
            throw .processExited(pid: pid)
        }
        guard status.hasUserMemory else {
            Glibc.close(fd)
            throw .kernelThread(pid: pid, name: name)
        }
        self.pid = pid
        self.name = name
        currentName = name
        directory = fd
        self.statusFile = statusFile
        readsPSS = readPSS
        self.schedule = schedule
        pssAgeSecs = schedule.maxAgeSecs
        commandLine = Self.readCommandLine(in: fd)
    }

    /// `/proc/PID/cmdline` with its arguments joined by spaces. posix_spawn
    /// returns while the child is still inside execve, before the new
    /// program's arguments are in place (the file is empty then), so a
    /// process watched the moment it was started gets a few ms to get there.
    private static func readCommandLine(in directory: Int32) -> String? {
        readArguments(in: directory).map { $0.joined(separator: " ") }
    }

    /// The arguments in `/proc/PID/cmdline`, or `nil` when there are none.
    private static func readArguments(in directory: Int32) -> [String]? {
        for attempt in 0..<50 {
            guard let text = try? ProcFile.read("cmdline", in: directory) else { return nil }
            let arguments = text.split(separator: "\0", omittingEmptySubsequences: true).map(String.init)
            if !arguments.isEmpty { return arguments }
            if attempt < 49 { usleep(1_000) }
        }
        return nil
    }

    /// What the process runs now (read again after it ran a new program), or `nil` once it is gone.
    func identity() -> ProgramIdentity? {
        guard directory >= 0, let arguments = Self.readArguments(in: directory) else { return nil }
        return ProgramIdentity(arguments: arguments)
    }

    deinit {
        close()
    }

    func close() {
        statusFile?.close()
        statusFile = nil
        if directory >= 0 { Glibc.close(directory) }
        directory = -1
    }

    /// Brings the next PSS read back to the shortest schedule (`maxAgeSecs`
    /// after the last): the sharing of pages may have changed (a process of
    /// the tree started or exited), which RSS does not show.
    func shortenPSSSchedule() {
        pssAgeSecs = schedule.maxAgeSecs
    }

    func read() throws(WatchError) -> ProbeResult {
        guard directory >= 0, let statusFile else { return .gone }
        let status: ProcStatus
        do throws(WatchError) {
            status = try statusFile.read { ProcStatus.parse(bytes: $0) }
        } catch {
            if case .unreadable(_, let code) = error, ProcFile.meansGone(code) { return .gone }
            throw error
        }
        // An exiting process has already dropped its memory map: nothing left to sample.
        guard status.hasUserMemory, let rss = status.vmRSSBytes else { return .gone }
        if let name = status.name { currentName = name }

        var parts: [MemoryPart] = []
        if let anon = status.rssAnonBytes { parts.append(MemoryPart(component: "rss_anon", bytes: anon, isDisjoint: true)) }
        if let file = status.rssFileBytes { parts.append(MemoryPart(component: "rss_file", bytes: file, isDisjoint: true)) }
        if let shmem = status.rssShmemBytes { parts.append(MemoryPart(component: "rss_shmem", bytes: shmem, isDisjoint: true)) }
        if let swap = status.vmSwapBytes { parts.append(MemoryPart(component: "swap", bytes: swap, isDisjoint: true)) }
        if readsPSS, let pss = pss(rss: rss) { parts.append(MemoryPart(component: "pss", bytes: pss, isDisjoint: false)) }
        return .reading(MemoryReading(totalBytes: rss, parts: parts))
    }

    /// PSS on the schedule: read when due, else the last value moved by the RSS change since.
    private func pss(rss: Int64) -> Int64? {
        let now = WatchWakeup.uptimeNanoseconds()
        if let last = lastPSS, !schedule.isDue(lastRSS: last.rss, rss: rss, elapsedNs: now &- last.atNs, ageSecs: pssAgeSecs) {
            return Self.carried(last, rss: rss)
        }
        guard let pss = readPSS() else { return nil }
        if let last = lastPSS {
            pssAgeSecs = schedule.nextAgeSecs(after: pssAgeSecs, carried: Self.carried(last, rss: rss), read: pss)
        }
        lastPSS = (pss, rss, now)
        return pss
    }

    private static func carried(_ last: (pss: Int64, rss: Int64, atNs: UInt64), rss: Int64) -> Int64 {
        max(0, last.pss &+ (rss &- last.rss))
    }

    /// PSS, or `nil` when it cannot be read; a lasting failure turns PSS off.
    private func readPSS() -> Int64? {
        pssReads += 1
        do throws(WatchError) {
            return SmapsRollup.parse(try ProcFile.read("smaps_rollup", in: directory, displayPath: "/proc/\(pid)/smaps_rollup")).pssBytes
        } catch {
            // ESRCH: the process died between the two reads; the next status read says so.
            if case .unreadable(_, let code) = error, code == ESRCH { return nil }
            // ENOENT (before Linux 4.14), EACCES/EPERM (no ptrace access): it will not get better.
            readsPSS = false
            pssUnavailable = error
            return nil
        }
    }
}

/// When PSS is read from `/proc/PID/smaps_rollup` again rather than carried
/// forward from the last read by the RSS change.
///
/// ```swift
/// let every = PSSSchedule(maxAgeSecs: 0)                 // at every sample
/// let fixed = PSSSchedule(maxAgeSecs: 10, longestAgeSecs: 10)
/// let lazy = PSSSchedule(maxAgeSecs: 30, rssChangeFraction: 0.05)
/// ```
///
/// A read is due `maxAgeSecs` after the last, or at once when RSS moved by
/// more than `rssChangeFraction` since. When a read finds PSS where the RSS
/// change had carried it (within `rssChangeFraction` of it), the next may
/// wait twice as long, up to `longestAgeSecs`; a read that finds it
/// elsewhere brings the wait back to `maxAgeSecs`.
public struct PSSSchedule: Sendable, Equatable {
    /// How long a PSS value is carried forward at first, and after a read
    /// that found the carried value wrong; 0 reads it at every sample.
    public var maxAgeSecs: Double
    /// An RSS change, as a share of the RSS at the last read, that makes a read due at once.
    public var rssChangeFraction: Double
    /// The longest a PSS value is carried forward while reads keep finding it
    /// where it was carried (at least `maxAgeSecs`).
    public var longestAgeSecs: Double

    public init(maxAgeSecs: Double = 10, rssChangeFraction: Double = 0.01, longestAgeSecs: Double = 120) {
        self.maxAgeSecs = maxAgeSecs
        self.rssChangeFraction = rssChangeFraction
        self.longestAgeSecs = max(maxAgeSecs, longestAgeSecs)
    }

    func isDue(lastRSS: Int64, rss: Int64, elapsedNs: UInt64, ageSecs: Double? = nil) -> Bool {
        if Double(elapsedNs) / 1e9 >= (ageSecs ?? maxAgeSecs) { return true }
        let moved = Double(rss) - Double(lastRSS)
        return abs(moved) > Double(max(lastRSS, 1)) * rssChangeFraction
    }

    /// How long the value just `read` may be carried, after a wait of
    /// `ageSecs`: twice that when the value `carried` until then was within
    /// `rssChangeFraction` of it (up to `longestAgeSecs`), else `maxAgeSecs`.
    ///
    /// ```swift
    /// PSSSchedule().nextAgeSecs(after: 10, carried: 200 << 20, read: 200 << 20)   // 20
    /// PSSSchedule().nextAgeSecs(after: 80, carried: 200 << 20, read: 150 << 20)   // 10
    /// ```
    public func nextAgeSecs(after ageSecs: Double, carried: Int64, read: Int64) -> Double {
        guard maxAgeSecs > 0 else { return 0 }
        let off = abs(Double(carried) - Double(read))
        guard off <= Double(max(read, 1)) * rssChangeFraction else { return maxAgeSecs }
        return min(longestAgeSecs, max(maxAgeSecs, ageSecs * 2))
    }
}
