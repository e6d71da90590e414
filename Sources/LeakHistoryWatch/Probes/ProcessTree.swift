#if canImport(Glibc)
import LeakHistory
import Glibc
#endif

/// The fields of `/proc/PID/stat` a process tree needs.
///
/// ```swift
/// let stat = ProcStat.parse("4242 (python3) S 4200 4200 …")
/// print(stat?.parentPID ?? 0)   // 4200
/// ```
///
/// The command name sits in parentheses and may itself hold spaces and
/// parentheses, so the fields are counted from the last `)`.
public struct ProcStat: Sendable, Equatable {
    public var pid: Int32
    public var state: Character
    public var parentPID: Int32
    public var processGroup: Int32
    /// Clock ticks after boot when the process started: with the pid, it tells
    /// a process from a later one that was given the same pid.
    public var startTicks: UInt64

    public var isZombie: Bool { state == "Z" || state == "X" }

    /// `nil` when `text` is not the content of a stat file.
    public static func parse(_ text: String) -> ProcStat? {
        parse(bytes: Array(text.utf8))
    }

    /// `parse` on the file's bytes: no strings are made (a watch reads the stat
    /// of every new process on the machine).
    static func parse(bytes: [UInt8]) -> ProcStat? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")), close > open,
              let pid = number(bytes[..<open], as: Int32.self) else { return nil }
        // After ") ": state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9)
        // minflt(10) cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15) cutime(16)
        // cstime(17) priority(18) nice(19) threads(20) itrealvalue(21) starttime(22).
        var fields: [ArraySlice<UInt8>] = []
        fields.reserveCapacity(20)
        var start: Int?
        for index in (close + 1)..<bytes.count {
            let isSeparator = bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\n")
            if isSeparator {
                if let s = start { fields.append(bytes[s..<index]); start = nil }
                if fields.count == 20 { break }
            } else if start == nil {
                start = index
            }
        }
        if let s = start, fields.count < 20 { fields.append(bytes[s..<bytes.count]) }
        guard fields.count >= 20, fields[0].count == 1,
              let parent = number(fields[1], as: Int32.self),
              let group = number(fields[2], as: Int32.self),
              let startTicks = number(fields[19], as: UInt64.self) else { return nil }
        return ProcStat(pid: pid, state: Character(UnicodeScalar(fields[0].first!)), parentPID: parent,
                        processGroup: group, startTicks: startTicks)
    }

    /// A decimal number, blanks around it allowed (a leading `-` for signed types); nil on anything else or overflow.
    private static func number<T: FixedWidthInteger>(_ digits: ArraySlice<UInt8>, as type: T.Type) -> T? {
        var slice = digits
        while let first = slice.first, first == UInt8(ascii: " ") { slice = slice.dropFirst() }
        while let last = slice.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\n") { slice = slice.dropLast() }
        var negative = false
        if T.isSigned, slice.first == UInt8(ascii: "-") { negative = true; slice = slice.dropFirst() }
        guard !slice.isEmpty else { return nil }
        var value: T = 0
        for byte in slice {
            guard byte >= 48 && byte <= 57 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (v, o2) = negative ? m.subtractingReportingOverflow(T(byte - 48)) : m.addingReportingOverflow(T(byte - 48))
            if o1 || o2 { return nil }
            value = v
        }
        return value
    }

    /// Reads `/proc/PID/stat`; `nil` once the process is gone or the file is not a stat file.
    static func read(pid: Int32) -> ProcStat? {
        guard let bytes = try? ProcFile.bytes("/proc/\(pid)/stat") else { return nil }
        return parse(bytes: bytes)
    }
}

/// Finds a process and all its descendants in `/proc`, at every `scan()`.
///
/// ```swift
/// let tree = ProcessTree(root: child.pid)
/// print(tree.scan())   // [child.pid, its children, their children …]
/// ```
///
/// A process belongs to the tree when its parent does (or is `adopter`: with
/// `PR_SET_CHILD_SUBREAPER` set, orphans of the tree are re-parented to the
/// watcher itself). Once in, a process stays in until it exits, even when it
/// is re-parented away (a double-forked daemon of a watched `--pid`), as long
/// as it was seen before its parent exited.
///
/// Cheap at every sample: `/proc` is listed only when a process was created
/// since the last listing (the newest pid in `/proc/loadavg` moved), else
/// only the members' `/proc/PID/stat` are read; `/proc/PID/stat` is read only
/// for pids not seen at the previous listing (a new process), and for every
/// pid once every `rescanSecs` (a pid freed and given to a new process
/// between two scans).
public final class ProcessTree {
    public let root: Int32
    /// A second parent whose children belong to the tree: the watcher, when it is a subreaper.
    public let adopter: Int32?
    /// How often every pid's stat is read again, not only new pids'.
    public var rescanSecs: Double = 10
    /// The most processes a tree holds; more are left out (and `truncated` says so).
    public var maxProcesses = 256

    /// Each pid of `/proc` at the last scan: its start time and whether it belongs to the tree.
    private var known: [Int32: Entry] = [:]
    private var rootStartTicks: UInt64?

    private struct Entry {
        var startTicks: UInt64
        var isMember: Bool
        var isZombie: Bool
    }
    private var lastFullScanNs: UInt64 = 0
    /// Whether the last scan found more processes than `maxProcesses`.
    public private(set) var truncated = false
    /// `/proc/PID/stat` reads so far (to check the scans stay cheap).
    public private(set) var statReads = 0
    /// Scans that listed `/proc`; the others found no process created since the last listing.
    public private(set) var listings = 0
    private var newestPIDAtLastListing: Int32?

    private let me = getpid()

    public init(root: Int32, adopter: Int32? = nil) {
        self.root = root
        self.adopter = adopter
        rootStartTicks = ProcStat.read(pid: root)?.startTicks
    }

    /// The live (not zombie) processes of the tree, the root first when it is alive.
    public func scan() -> [Int32] {
        let now = WatchWakeup.uptimeNanoseconds()
        let full = lastFullScanNs == 0 || Double(now - lastFullScanNs) / 1e9 >= rescanSecs
        // Read before listing: a process created during the listing shows at the next scan.
        let newestPID = Self.newestPID()
        if !full, let newestPID, newestPID == newestPIDAtLastListing {
            // No process was created since the last listing, so none can have joined
            // the tree: only the members' states can have changed.
            for (pid, entry) in known where entry.isMember {
                if let stat = readStat(pid), stat.startTicks == entry.startTicks {
                    known[pid]?.isZombie = stat.isZombie
                } else {
                    known[pid] = nil
                }
            }
            return liveMembers()
        }
        newestPIDAtLastListing = newestPID
        listings += 1
        if full { lastFullScanNs = now }
        var fresh: [Int32: ProcStat] = [:]
        var next: [Int32: Entry] = [:]
        for pid in Self.listPIDs() {
            let entry = known[pid]
            // A pid seen outside the tree stays outside: a process never moves into
            // a tree it was not born in. Members are read again for their state.
            if !full, let entry, !entry.isMember {
                next[pid] = entry
                continue
            }
            guard let stat = readStat(pid) else { continue }
            if let entry, entry.startTicks == stat.startTicks {
                next[pid] = Entry(startTicks: entry.startTicks, isMember: entry.isMember, isZombie: stat.isZombie)
            } else {
                fresh[pid] = stat
            }
        }
        // New processes join when their parent is in the tree; a parent may be new too.
        func joins(_ pid: Int32, depth: Int) -> Bool {
            if let entry = next[pid] { return entry.isMember }
            guard let stat = fresh[pid] else { return false }
            let isRoot = pid == root && (rootStartTicks == nil || rootStartTicks == stat.startTicks)
            if isRoot && rootStartTicks == nil { rootStartTicks = stat.startTicks }
            let member = isRoot || (pid != root && (stat.parentPID == adopter
                || (depth < 64 && joins(stat.parentPID, depth: depth + 1))))
            next[pid] = Entry(startTicks: stat.startTicks, isMember: member, isZombie: stat.isZombie)
            return member
        }
        for pid in fresh.keys.sorted() { _ = joins(pid, depth: 0) }
        known = next
        return liveMembers()
    }

    /// The live members of `known`, the root first, at most `maxProcesses`.
    private func liveMembers() -> [Int32] {
        // The watcher never samples itself: it is in the tree of any ancestor it is attached to.
        var members = known.filter { $0.value.isMember && !$0.value.isZombie && $0.key != me }.map(\.key).sorted()
        if let index = members.firstIndex(of: root), index > 0 {
            members.remove(at: index)
            members.insert(root, at: 0)
        }
        truncated = members.count > maxProcesses
        return Array(members.prefix(maxProcesses))
    }

    /// Members that exited and wait to be reaped, whose parent is `parent`.
    public func zombies(childrenOf parent: Int32) -> [Int32] {
        known.filter { $0.value.isMember && $0.value.isZombie }.map(\.key).filter { pid in
            ProcStat.read(pid: pid)?.parentPID == parent
        }
    }

    private func readStat(_ pid: Int32) -> ProcStat? {
        statReads += 1
        return ProcStat.read(pid: pid)
    }

    /// The pid the kernel handed out last in this pid namespace (the last field
    /// of `/proc/loadavg`): while it stays the same, no process was created.
    static func newestPID() -> Int32? {
        guard let text = try? ProcFile.read("/proc/loadavg"),
              let last = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).last else { return nil }
        return Int32(last)
    }

    /// The numeric entries of `/proc`: one per process (threads are not listed).
    static func listPIDs() -> [Int32] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var pids: [Int32] = []
        while let entry = readdir(dir) {
            let pid: Int32? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                var value: Int32 = 0
                var digits = 0
                for byte in raw {
                    if byte == 0 { break }
                    guard byte >= 48 && byte <= 57 else { return nil }
                    let (m, o1) = value.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.addingReportingOverflow(Int32(byte - 48))
                    if o1 || o2 { return nil }
                    value = s
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            if let pid { pids.append(pid) }
        }
        return pids
    }
}

/// Stops a command the watch started together with everything it started:
/// the signal, then SIGTERM, then SIGKILL after a grace period, until no
/// process of the tree is left.
///
/// ```swift
/// _ = ProcessTreeStopper.becomeSubreaper()           // before spawning
/// let child = try ChildProcess.spawn(["sh", "-c", "sleep 60 & sleep 60"])
/// let tree = ProcessTree(root: child.pid, adopter: getpid())
/// let status = ProcessTreeStopper.stop(child, tree: tree, firstSignal: SIGTERM, graceSecs: 5)
/// ```
public enum ProcessTreeStopper {
    /// Makes this process the subreaper of its descendants (`PR_SET_CHILD_SUBREAPER`):
    /// an orphan of a command it started is re-parented to it, not to init, so it
    /// stays in the tree and is stopped with it. Returns whether the kernel agreed.
    @discardableResult
    public static func becomeSubreaper() -> Bool {
        // prctl is variadic, which Swift cannot call; its integer arguments are
        // passed the same way to a fixed-arity pointer on Linux's ABIs.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(nil, "prctl") else { return false }
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        let PR_SET_CHILD_SUBREAPER: Int32 = 36
        return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    }

    /// Sends `firstSignal` to the child, its process group and every process of
    /// `tree`; SIGTERM one second later to whatever is left (when the first
    /// was not SIGTERM); SIGKILL once `graceSecs` passed or `hurry` says so.
    /// Reaps the orphans re-parented to this process. Returns the child's
    /// exit status once the whole tree is gone, or `nil` if processes are
    /// still there 30 s after SIGKILL (stuck in the kernel). `onWait` is told
    /// once when the tree takes more than a second.
    public static func stop(_ child: ChildProcess, tree: ProcessTree, firstSignal: Int32, graceSecs: Double,
                            hurry: () -> Bool = { false }, onWait: (_ remaining: Int) -> Void = { _ in }) -> ExitStatus? {
        func send(_ signal: Int32) {
            // The tree is read before its root is signalled: a root that dies at
            // once orphans its children, and they would leave the tree unsignalled.
            let members = tree.scan()
            child.send(signal)
            child.sendToGroup(signal)
            for pid in members where pid != child.pid { kill(pid, signal) }
        }
        send(firstSignal)
        let start = WatchWakeup.uptimeNanoseconds()
        var termSent = firstSignal == SIGTERM || firstSignal == SIGKILL
        var killedAt: UInt64? = firstSignal == SIGKILL ? start : nil
        var told = false
        while true {
            reapOrphans(of: tree, except: child.pid)
            let left = tree.scan().filter { $0 != child.pid }.count + (child.exitStatus == nil ? 1 : 0)
            if left == 0, let status = child.exitStatus { return status }
            let now = WatchWakeup.uptimeNanoseconds()
            let elapsed = Double(now - start) / 1e9
            if !termSent && elapsed >= 1 {
                send(SIGTERM)
                termSent = true
            }
            if killedAt == nil && (elapsed >= graceSecs || hurry()) {
                send(SIGKILL)
                killedAt = now
            }
            if let killedAt, Double(now - killedAt) / 1e9 > 30 { return nil }
            if !told && elapsed >= 1 {
                onWait(left)
                told = true
            }
            if child.exitStatus == nil { child.waitForExit(timeoutSecs: 0.05) } else { usleep(50_000) }
        }
    }

    /// Reaps the processes of `tree` that were re-parented to this process and have exited.
    static func reapOrphans(of tree: ProcessTree, except pid: Int32) {
        for zombie in tree.zombies(childrenOf: getpid()) where zombie != pid {
            var status: Int32 = 0
            _ = waitpid(zombie, &status, WNOHANG)
        }
    }
}
