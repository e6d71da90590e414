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
    /// The threads of the process (`num_threads`).
    public var threads: Int = 1

    public var isZombie: Bool { state == "Z" || state == "X" }

    /// `nil` when `text` is not the content of a stat file.
    public static func parse(_ text: String) -> ProcStat? {
        parse(bytes: Array(text.utf8))
    }

    /// `parse` on the file's bytes: no strings are made (a watch reads the stat
    /// of every new process on the machine).
    static func parse(bytes: [UInt8]) -> ProcStat? {
        bytes.withUnsafeBufferPointer { parse(buffer: $0) }
    }

    static func parse(buffer bytes: UnsafeBufferPointer<UInt8>) -> ProcStat? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")), close > open,
              let pid = number(bytes[..<open], as: Int32.self) else { return nil }
        // After ") ": state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9)
        // minflt(10) cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15) cutime(16)
        // cstime(17) priority(18) nice(19) threads(20) itrealvalue(21) starttime(22).
        var fields: [Slice<UnsafeBufferPointer<UInt8>>] = []
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
                        processGroup: group, startTicks: startTicks, threads: number(fields[17], as: Int.self) ?? 1)
    }

    /// A decimal number, blanks around it allowed (a leading `-` for signed types); nil on anything else or overflow.
    private static func number<T: FixedWidthInteger>(_ digits: Slice<UnsafeBufferPointer<UInt8>>, as type: T.Type) -> T? {
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
    package static func read(pid: Int32) -> ProcStat? {
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
/// Cheap at every sample. New members are looked for only when a process was
/// created since the last look (the newest pid in `/proc/loadavg` moved), and
/// at least every `rescanSecs`; otherwise only the members' `/proc/PID/stat`
/// are read again (kept open, one `pread` each), to see them exit or turn
/// zombie. Looking means reading the members' `/proc/PID/task/TID/children`
/// (`followsChildren`): a handful of small files, whatever runs on the
/// machine. Where the kernel has no `children` files (built without
/// `CONFIG_PROC_CHILDREN`), or the members have more than
/// `maxThreadsToFollow` threads between them (each thread has its own list),
/// it lists `/proc` instead and reads the `stat` of the pids it has not seen
/// (and of every pid once every `rescanSecs`: a pid freed and given to a new
/// process between two listings).
public final class ProcessTree {
    public let root: Int32
    /// A second parent whose children belong to the tree: the watcher, when it is a subreaper.
    public let adopter: Int32?
    /// The longest between two looks for new members, whatever `/proc/loadavg` says.
    public var rescanSecs: Double = 10
    /// The most processes a tree holds; more are left out (and `truncated` says so).
    public var maxProcesses = 256
    /// Past this many threads in the tree, a look lists `/proc` rather than reading each thread's `children` (0: always).
    public var maxThreadsToFollow = 64
    /// Whether this kernel has `/proc/PID/task/TID/children`, which the scan then follows.
    public let followsChildren: Bool

    /// Whether the last scan found more processes than `maxProcesses`.
    public private(set) var truncated = false
    /// `/proc/PID/stat` reads so far (to check the scans stay cheap).
    public private(set) var statReads = 0
    /// Scans that looked for new members (by `children` files or by a listing);
    /// the others found no process created since the last look.
    public private(set) var searches = 0
    /// Scans that listed `/proc`.
    public private(set) var listings = 0

    private var members: [Int32: Member] = [:]
    /// Pids a listing saw outside the tree, with their start ticks (listing only).
    private var outsiders: [Int32: UInt64] = [:]
    private var rootStartTicks: UInt64?
    /// Whether the root has been a member: once it has left, a process given its pid never joins.
    private var rootAdmitted = false
    private var lastSearchNs: UInt64 = 0
    private var lastFullListingNs: UInt64 = 0
    private var newestPIDAtLastSearch: Int32?
    private var loadavg: ProcFileHandle?
    /// Members whose files are kept open: a few descriptors each, under the usual limit of 1024.
    private var cachedMembers = 0
    private static let maxCachedMembers = 64

    private struct Member {
        var startTicks: UInt64
        var parentPID: Int32
        var isZombie: Bool
        var threads: Int
        /// `/proc/PID/stat`, kept open (nil: read by path).
        var stat: ProcFileHandle?
        /// `/proc/PID/task/PID/children` (the main thread's), opened at the first look.
        var children: ProcFileHandle?
        var cachesFiles: Bool
    }

    private let me = getpid()

    public init(root: Int32, adopter: Int32? = nil) {
        self.root = root
        self.adopter = adopter
        followsChildren = (try? ProcFile.bytes("/proc/thread-self/children")) != nil
        loadavg = try? ProcFileHandle("/proc/loadavg")
        rootStartTicks = ProcStat.read(pid: root)?.startTicks
    }

    deinit {
        close()
    }

    /// Lets go of the files kept open; a later scan opens what it needs again.
    public func close() {
        for pid in Array(members.keys) { drop(pid) }
        loadavg?.close()
        loadavg = nil
    }

    /// The live (not zombie) processes of the tree, the root first when it is alive.
    public func scan() -> [Int32] {
        let now = WatchWakeup.uptimeNanoseconds()
        // Read before looking: a process created during the look shows at the next scan.
        let newestPID = newestPIDNow()
        refreshMembers()
        let due = lastSearchNs == 0 || Double(now - lastSearchNs) / 1e9 >= rescanSecs
        if !due, let newestPID, newestPID == newestPIDAtLastSearch {
            // No process was created since the last look, so none can have joined the tree.
            return liveMembers()
        }
        newestPIDAtLastSearch = newestPID
        lastSearchNs = now
        searches += 1
        let threads = members.values.reduce(0) { $0 + ($1.isZombie ? 0 : max(1, $1.threads)) }
        if followsChildren && maxThreadsToFollow > 0 && threads <= maxThreadsToFollow {
            searchChildren()
        } else {
            let full = lastFullListingNs == 0 || Double(now - lastFullListingNs) / 1e9 >= rescanSecs
            if full { lastFullListingNs = now }
            searchListing(full: full)
        }
        return liveMembers()
    }

    /// Reads every member's stat again: exited ones leave, zombies are marked.
    private func refreshMembers() {
        for pid in Array(members.keys) {
            guard let stat = readStat(pid) else {
                drop(pid)
                continue
            }
            members[pid]!.isZombie = stat.isZombie
            members[pid]!.parentPID = stat.parentPID
            members[pid]!.threads = stat.threads
        }
    }

    /// Follows `children` files from the members (and the adopter) down.
    private func searchChildren() {
        if members[root] == nil && !rootAdmitted { _ = admit(root, stat: nil) }
        var parents = members.filter { !$0.value.isZombie }.map(\.key)
        if let adopter, members[adopter] == nil { parents.append(adopter) }
        while let parent = parents.popLast() {
            for child in children(of: parent) where members[child] == nil {
                if admit(child, stat: nil) { parents.append(child) }
            }
        }
    }

    /// Lists `/proc`: new pids join when their parent is in the tree (a parent may be new too).
    private func searchListing(full: Bool) {
        listings += 1
        var fresh: [Int32: ProcStat] = [:]
        var nextOutsiders: [Int32: UInt64] = [:]
        for pid in Self.listPIDs() where members[pid] == nil {
            // A pid seen outside the tree stays outside: a process never moves into
            // a tree it was not born in. A full listing reads them all again.
            if !full, let ticks = outsiders[pid] {
                nextOutsiders[pid] = ticks
                continue
            }
            statReads += 1
            guard let stat = ProcStat.read(pid: pid) else { continue }
            fresh[pid] = stat
        }
        var decided: [Int32: Bool] = [:]
        func joins(_ pid: Int32, depth: Int) -> Bool {
            if members[pid] != nil { return true }
            if let known = decided[pid] { return known }
            guard let stat = fresh[pid] else { return false }
            let isRoot = pid == root && (rootStartTicks == nil || rootStartTicks == stat.startTicks)
            let member = isRoot || (pid != root && (stat.parentPID == adopter
                || (depth < 64 && joins(stat.parentPID, depth: depth + 1))))
            decided[pid] = member
            if member {
                if !admit(pid, stat: stat) { decided[pid] = false; return false }
            } else {
                nextOutsiders[pid] = stat.startTicks
            }
            return member
        }
        for pid in fresh.keys.sorted() { _ = joins(pid, depth: 0) }
        outsiders = nextOutsiders
    }

    /// Makes `pid` a member, its stat read through the file kept open for it
    /// (so it is that process, not a later one given its pid; `seen`, from a
    /// listing, must match it). False when it is gone, or is a later process
    /// with the root's pid.
    private func admit(_ pid: Int32, stat seen: ProcStat?) -> Bool {
        let caches = cachedMembers < Self.maxCachedMembers
        let handle = caches ? try? ProcFileHandle("/proc/\(pid)/stat") : nil
        statReads += 1
        guard let stat = handle.map({ try? $0.read { ProcStat.parse(buffer: $0) } }) ?? ProcStat.read(pid: pid),
              seen == nil || seen!.startTicks == stat.startTicks else { return false }
        if pid == root {
            if rootStartTicks == nil { rootStartTicks = stat.startTicks }
            guard rootStartTicks == stat.startTicks else { return false }
        }
        if handle != nil { cachedMembers += 1 }
        if pid == root { rootAdmitted = true }
        members[pid] = Member(startTicks: stat.startTicks, parentPID: stat.parentPID, isZombie: stat.isZombie,
                              threads: stat.threads, stat: handle, children: nil, cachesFiles: handle != nil)
        return true
    }

    private func drop(_ pid: Int32) {
        guard let member = members.removeValue(forKey: pid) else { return }
        member.stat?.close()
        member.children?.close()
        if member.cachesFiles { cachedMembers -= 1 }
    }

    /// A member's stat now: through its file kept open, else by path (nil
    /// when that is a later process given its pid); nil once it is gone.
    private func readStat(_ pid: Int32) -> ProcStat? {
        guard let member = members[pid] else { return nil }
        statReads += 1
        if let handle = member.stat { return try? handle.read { ProcStat.parse(buffer: $0) } }
        guard let stat = ProcStat.read(pid: pid), stat.startTicks == member.startTicks else { return nil }
        return stat
    }

    /// The children of `pid`'s threads (the main thread's alone for a single-threaded member).
    private func children(of pid: Int32) -> [Int32] {
        if var member = members[pid], member.threads <= 1 {
            if member.children == nil && member.cachesFiles {
                member.children = try? ProcFileHandle("/proc/\(pid)/task/\(pid)/children")
                members[pid] = member
            }
            if let handle = member.children {
                return (try? handle.read { Self.pids(in: $0) }) ?? []
            }
            return ((try? ProcFile.bytes("/proc/\(pid)/task/\(pid)/children")) ?? []).withUnsafeBufferPointer { Self.pids(in: $0) }
        }
        var found: [Int32] = []
        for tid in Self.listPIDs(in: "/proc/\(pid)/task") {
            guard let bytes = try? ProcFile.bytes("/proc/\(pid)/task/\(tid)/children") else { continue }
            found += bytes.withUnsafeBufferPointer { Self.pids(in: $0) }
        }
        return found
    }

    /// The blank-separated decimal pids of a `children` file.
    static func pids(in bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var pids: [Int32] = []
        var value: Int32 = 0
        var digits = 0
        for byte in bytes {
            if byte >= 48 && byte <= 57 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (v, o2) = m.addingReportingOverflow(Int32(byte - 48))
                if o1 || o2 { return pids }
                value = v
                digits += 1
            } else {
                if digits > 0 { pids.append(value) }
                value = 0
                digits = 0
            }
        }
        if digits > 0 { pids.append(value) }
        return pids
    }

    /// The live members, the root first, at most `maxProcesses`.
    private func liveMembers() -> [Int32] {
        // The watcher never samples itself: it is in the tree of any ancestor it is attached to.
        var live = members.filter { !$0.value.isZombie && $0.key != me }.map(\.key).sorted()
        if let index = live.firstIndex(of: root), index > 0 {
            live.remove(at: index)
            live.insert(root, at: 0)
        }
        truncated = live.count > maxProcesses
        return Array(live.prefix(maxProcesses))
    }

    /// Members that exited and wait to be reaped, whose parent is `parent`.
    public func zombies(childrenOf parent: Int32) -> [Int32] {
        members.filter { $0.value.isZombie }.map(\.key).filter { pid in
            readStat(pid)?.parentPID == parent
        }
    }

    /// The newest pid, through the `/proc/loadavg` kept open.
    private func newestPIDNow() -> Int32? {
        guard let loadavg else { return Self.newestPID() }
        return try? loadavg.read { Self.lastNumber(in: $0) }
    }

    /// The pid the kernel handed out last in this pid namespace (the last field
    /// of `/proc/loadavg`): while it stays the same, no process was created.
    static func newestPID() -> Int32? {
        guard let bytes = try? ProcFile.bytes("/proc/loadavg") else { return nil }
        return bytes.withUnsafeBufferPointer { lastNumber(in: $0) }
    }

    /// The last blank-separated field of `bytes`, as a pid.
    private static func lastNumber(in bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        var start = end
        while start > 0, bytes[start - 1] != UInt8(ascii: " ") { start -= 1 }
        guard start < end else { return nil }
        return Int32(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
    }

    /// The numeric entries of `/proc`: one per process (threads are not listed).
    package static func listPIDs() -> [Int32] {
        listPIDs(in: "/proc")
    }

    /// The numeric entries of the directory at `path` (`/proc`, `/proc/PID/task`).
    static func listPIDs(in path: String) -> [Int32] {
        guard let dir = opendir(path) else { return [] }
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
