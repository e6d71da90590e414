#if canImport(Glibc)
import LeakHistory
import Glibc
#endif

/// Samples a process and all its descendants as one: the tree's total, its
/// memory parts summed, and each distinct program in it as a part of its own.
///
/// ```swift
/// let probe = try ProcessTreeProbe(pid: shell.pid)
/// if case .reading(let reading) = try probe.read() {
///     print(reading.totalBytes, reading.parts.map(\.component))   // … ["rss_anon", …, "proc:python3 leaky.py"]
/// }
/// ```
///
/// The tree is found again in `/proc` at every read (`ProcessTree`), so
/// processes that start and exit between samples are picked up and dropped.
/// A process joining or leaving brings every member's PSS schedule back to
/// its shortest wait (`PSSSchedule`): sharing changed.
/// The total is the sum of each process's PSS where it is readable (shared
/// pages, such as a pre-forked server's, are then counted once) and its RSS
/// where not; `usage` says which. `rss_anon`, `rss_file`, `rss_shmem`,
/// `swap` and `pss` are sums over the tree. Program parts (`proc:` and the
/// program's `ProgramIdentity`, the sum of its processes' usage) are
/// recorded once the tree has held two programs: they add up to the total,
/// and a program that exits stays at 0 so its series is stable. At most
/// `maxPrograms` programs get a part of their own; any more are summed in
/// `proc:other`.
final class ProcessTreeProbe: MemoryProbe {
    let tree: ProcessTree
    let rootProbe: ProcessMemoryProbe
    /// The most programs with a part of their own.
    static let maxPrograms = 16
    static let otherProgram = "proc:other"

    private let readsPSS: Bool
    private let schedule: PSSSchedule
    private var members: [Int32: Member] = [:]
    /// Every program seen, in order of first sight, and whether program parts are on.
    private var programs: [String] = []
    private var recordsPrograms = false
    /// Whether orphans of the tree are re-parented to this process (a subreaper): they are then reaped here.
    private let reapsOrphans: Bool

    /// What the last reading's total is made of.
    private(set) var usage = TreeUsage()
    /// How many distinct processes the tree has held.
    private(set) var processesSeen = 0

    private struct Member {
        let probe: ProcessMemoryProbe
        var program: String
        var nameAtLabel: String
    }

    var label: String { "pid \(tree.root)" }
    var goneDescription: String { processesSeen > 1 ? "the process and its descendants exited" : "the process exited" }

    /// `adopter`: the watcher's own pid when it made itself a subreaper for a
    /// command it started (orphans of the tree then become its children).
    init(pid: Int32, adopter: Int32? = nil, readPSS: Bool = true, schedule: PSSSchedule = PSSSchedule()) throws(WatchError) {
        rootProbe = try ProcessMemoryProbe(pid: pid, readPSS: readPSS, schedule: schedule)
        tree = ProcessTree(root: pid, adopter: adopter)
        readsPSS = readPSS
        self.schedule = schedule
        reapsOrphans = adopter != nil && adopter == getpid()
    }

    /// Why PSS is not sampled for the top process, if it is not.
    var pssUnavailable: WatchError? { rootProbe.pssUnavailable }

    /// smaps_rollup reads of every process so far.
    var pssReads: Int { closedPSSReads + members.values.reduce(0) { $0 + $1.probe.pssReads } }
    private var closedPSSReads = 0

    func close() {
        for member in members.values { member.probe.close() }
        members = [:]
        rootProbe.close()
        tree.close()
    }

    func read() throws(WatchError) -> ProbeResult {
        if reapsOrphans { reapOrphans() }
        let pids = tree.scan()
        let alive = Set(pids)
        var membershipChanged = false
        for (pid, member) in members where !alive.contains(pid) {
            closedPSSReads += member.probe.pssReads
            member.probe.close()
            members[pid] = nil
            membershipChanged = true
        }
        var totals = TreeUsage()
        var sums: [String: Int64] = [:]
        var byProgram: [String: Int64] = [:]
        for pid in pids {
            if members[pid] == nil {
                let probe: ProcessMemoryProbe
                if pid == tree.root {
                    probe = rootProbe
                } else {
                    // A process that exited, or that may not be read, is not part of this sample.
                    guard let opened = try? ProcessMemoryProbe(pid: pid, readPSS: readsPSS, schedule: schedule) else { continue }
                    probe = opened
                }
                members[pid] = Member(probe: probe, program: Self.program(of: probe), nameAtLabel: probe.currentName)
                processesSeen += 1
                membershipChanged = true
            }
            guard var member = members[pid] else { continue }
            let result: ProbeResult
            do {
                result = try member.probe.read()
            } catch {
                // One process of the tree turning unreadable must not end the watch of the rest.
                if pid == tree.root { throw error }
                continue
            }
            guard case .reading(let reading) = result else { continue }
            // A forked child shows its parent's command line until it runs its own program.
            if member.probe.currentName != member.nameAtLabel {
                member.program = Self.program(of: member.probe)
                member.nameAtLabel = member.probe.currentName
                members[pid] = member
            }
            var used = reading.totalBytes
            for part in reading.parts {
                sums[part.component, default: 0] &+= part.bytes
                if part.component == "pss" { used = part.bytes }
            }
            totals.processes += 1
            if reading.parts.contains(where: { $0.component == "pss" }) { totals.pssProcesses += 1 }
            totals.bytes &+= used
            byProgram[member.program, default: 0] &+= used
        }
        if membershipChanged && processesSeen > 1 {
            // A process that starts or exits changes how pages are shared, which RSS does not show.
            for member in members.values { member.probe.shortenPSSSchedule() }
        }
        totals.truncated = tree.truncated
        guard totals.processes > 0 else { return .gone }
        usage = totals

        var parts: [MemoryPart] = []
        for name in ["rss_anon", "rss_file", "rss_shmem", "swap"] {
            if let bytes = sums[name] { parts.append(MemoryPart(component: name, bytes: bytes, isDisjoint: true)) }
        }
        if let pss = sums["pss"] { parts.append(MemoryPart(component: "pss", bytes: pss, isDisjoint: false)) }
        parts += programParts(byProgram)
        return .reading(MemoryReading(totalBytes: totals.bytes, parts: parts))
    }

    /// One part per program once the tree has held two; absent programs at 0.
    private func programParts(_ byProgram: [String: Int64]) -> [MemoryPart] {
        var folded: [String: Int64] = [:]
        for (program, bytes) in byProgram.sorted(by: { $0.key < $1.key }) {
            if !programs.contains(program) {
                if programs.count < Self.maxPrograms {
                    programs.append(program)
                } else if !programs.contains(Self.otherProgram) {
                    programs.append(Self.otherProgram)
                }
            }
            let name = programs.contains(program) ? program : Self.otherProgram
            folded[name, default: 0] &+= bytes
        }
        if programs.count > 1 { recordsPrograms = true }
        guard recordsPrograms else { return [] }
        return programs.map { MemoryPart(component: $0, bytes: folded[$0] ?? 0, isDisjoint: true) }
    }

    private static func program(of probe: ProcessMemoryProbe) -> String {
        (probe.identity() ?? ProgramIdentity(arguments: [probe.currentName])).componentName
    }

    private func reapOrphans() {
        ProcessTreeStopper.reapOrphans(of: tree, except: tree.root)
    }
}

/// What a process tree's total is made of, at its latest reading.
public struct TreeUsage: Sendable, Equatable, CustomStringConvertible {
    /// Processes summed.
    public var processes = 0
    /// Of those, the processes counted by PSS (the others by RSS).
    public var pssProcesses = 0
    public var bytes: Int64 = 0
    /// Whether the tree had more processes than are sampled.
    public var truncated = false

    public init() {}

    /// `PSS of 3 processes`, `RSS of 1 process`, `PSS of 2 processes and RSS of 1 (PSS unreadable)`.
    public var description: String {
        func count(_ n: Int) -> String { n == 1 ? "1 process" : "\(n) processes" }
        var text: String
        if pssProcesses == processes {
            text = "PSS of \(count(processes))"
        } else if pssProcesses == 0 {
            text = "RSS of \(count(processes)) (PSS not read)"
        } else {
            text = "PSS of \(count(pssProcesses)) and RSS of \(processes - pssProcesses) (PSS unreadable)"
        }
        if truncated { text += "; the tree has more processes than are sampled" }
        return text
    }
}
