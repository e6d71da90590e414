import LeakHistory
import Foundation
import Logging

/// Samples one process or cgroup into its own `LeakRecorder`: each sample is a
/// usage snapshot (RSS, or a cgroup's `memory.current`) and a value of every
/// part as a gauge component.
///
/// ```swift
/// let config = LeakDetectionConfig.forWatch(intervalSecs: 1, durationSecs: 60)
/// let sampler = try MemorySampler(pid: 1234, databasePath: "leaks.sqlite", config: config)
/// for _ in 0..<60 where try sampler.sample() { sleep(1) }
/// try sampler.end()                    // ends the run in the store
/// print(sampler.report().hasLeaks)
/// ```
///
/// Each sampler opens a new run of its source, with the pid and command line
/// recorded. Snapshots are stored at every sample; a gauge's latest value is
/// stored at each background flush, so a flush interval close to the sampling
/// interval (`flushIntervalSecs`) stores the parts at the sampling resolution
/// without putting disk writes on the sampling thread. With
/// `flushIntervalSecs: 0` the recorder has no timer of its own: a
/// `WatchSession` with `flushIntervalSecs` then flushes it after its ticks. A process that exits ends the sampling; `end()` then closes the
/// recorder, which stamps the run's end. Not thread-safe: one thread samples.
public final class MemorySampler {
    /// The source the samples are recorded under.
    public let source: String
    public let recorder: LeakRecorder
    /// The watched process, if a process is watched (for a cgroup: the command run in it, if any).
    public let pid: Int32?
    /// What is watched, for messages: `pid 1234` or `cgroup /sys/fs/cgroup/app`.
    public let targetLabel: String
    /// When sampling started, in Unix ms.
    public let startedMs: Int64
    public private(set) var sampleCount = 0
    public private(set) var lastReading: MemoryReading?
    public private(set) var isEnded = false
    /// Why sampling stopped, once it has: "the process exited", …
    public private(set) var endReason: String?
    /// A note on what could not be sampled (PSS without ptrace access), if any.
    public var limitation: String? {
        let unavailable = (probe as? ProcessMemoryProbe)?.pssUnavailable ?? (probe as? ProcessTreeProbe)?.pssUnavailable
        return unavailable.map { "PSS is not sampled: \($0)" }
    }
    /// For a process tree: what its latest total is made of (PSS or RSS, of how many processes).
    public var treeUsage: TreeUsage? { (probe as? ProcessTreeProbe)?.usage }
    /// For a process tree: how many distinct processes it has held.
    public var treeProcessesSeen: Int? { (probe as? ProcessTreeProbe)?.processesSeen }
    /// How many times `/proc/PID/smaps_rollup` was read (see `PSSSchedule`).
    public var pssReads: Int { (probe as? ProcessMemoryProbe)?.pssReads ?? (probe as? ProcessTreeProbe)?.pssReads ?? 0 }
    /// The memory limit the watch was given, if any.
    public var memoryLimitBytes: Int64? { config.memoryLimitBytes }

    private let probe: any MemoryProbe
    private let config: LeakDetectionConfig
    private let now: @Sendable () -> Date
    private var parts: [String: PartHistory] = [:]
    /// The trend and verdict of the last status that refreshed them.
    private var statusVerdict: (trend: TrendVerdict?, hasLeaks: Bool)?
    private var verdictSampleCount = 0
    private var partOrder: [String] = []

    /// One part's handle and its recent values, for its own trend verdict.
    private struct PartHistory {
        var handle: ComponentHandle
        var isDisjoint: Bool
        var points: RingBuffer<TrendPoint>
    }

    /// Watches the process `pid`, recording under `source` (default: its command name).
    /// Throws `WatchError` when there is no such process, it cannot be read, or
    /// it is a kernel thread; throws the recorder's error when the database cannot be opened.
    public convenience init(
        pid: Int32, databasePath: String, source: String? = nil, command: String? = nil,
        config: LeakDetectionConfig, deployment: RunDeployment = .none, readPSS: Bool = true, pssSchedule: PSSSchedule = PSSSchedule(),
        flushIntervalSecs: Double = 1,
        logger: Logger = Logger(label: "LeakHistory", factory: { _ in SwiftLogNoOpLogHandler() }),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        let probe = try ProcessMemoryProbe(pid: pid, readPSS: readPSS, schedule: pssSchedule)
        try self.init(probe: probe, source: source ?? Self.defaultSource(pid: pid, comm: probe.name),
                      pid: pid, command: command ?? probe.commandLine, databasePath: databasePath,
                      config: config, deployment: deployment, flushIntervalSecs: flushIntervalSecs, logger: logger, now: now)
    }

    /// Watches the process `pid` with all its descendants (`ProcessTreeProbe`):
    /// the total is the tree's, and each program in it is a part. `adopter` is
    /// the watcher's own pid when it is a subreaper for a command it started.
    /// The default source is the top process's `ProgramIdentity`.
    public convenience init(
        processTree pid: Int32, adopter: Int32? = nil, databasePath: String, source: String? = nil, command: String? = nil,
        config: LeakDetectionConfig, deployment: RunDeployment = .none, readPSS: Bool = true, pssSchedule: PSSSchedule = PSSSchedule(),
        flushIntervalSecs: Double = 1,
        logger: Logger = Logger(label: "LeakHistory", factory: { _ in SwiftLogNoOpLogHandler() }),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        let probe = try ProcessTreeProbe(pid: pid, adopter: adopter, readPSS: readPSS, schedule: pssSchedule)
        try self.init(probe: probe, source: source ?? Self.defaultSource(pid: pid, comm: probe.rootProbe.name),
                      pid: pid, command: command ?? probe.rootProbe.commandLine, databasePath: databasePath,
                      config: config, deployment: deployment, flushIntervalSecs: flushIntervalSecs, logger: logger, now: now)
    }

    /// Watches the cgroup v2 directory at `path`, recording under `source`
    /// (default: the directory's name). `pid` and `command` describe a command
    /// run for the watch, if any, and are recorded with the run.
    public convenience init(
        cgroupPath path: String, databasePath: String, source: String? = nil, pid: Int32? = nil, command: String? = nil,
        config: LeakDetectionConfig, deployment: RunDeployment = .none, flushIntervalSecs: Double = 1,
        logger: Logger = Logger(label: "LeakHistory", factory: { _ in SwiftLogNoOpLogHandler() }),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        let probe = try CgroupMemoryProbe(path: path)
        try self.init(probe: probe, source: source ?? Self.sourceName(cgroupPath: path),
                      pid: pid, command: command, databasePath: databasePath,
                      config: config, deployment: deployment, flushIntervalSecs: flushIntervalSecs, logger: logger, now: now)
    }

    private init(
        probe: any MemoryProbe, source: String, pid: Int32?, command: String?, databasePath: String,
        config: LeakDetectionConfig, deployment: RunDeployment, flushIntervalSecs: Double, logger: Logger,
        now: @escaping @Sendable () -> Date
    ) throws {
        var options = RecorderOptions(source: source, flushIntervalSecs: flushIntervalSecs)
        options.deployment = deployment
        options.pid = pid.map(Int64.init)
        options.command = command
        recorder = try LeakRecorder(path: databasePath, config: config, options: options, logger: logger, now: now)
        self.probe = probe
        self.source = source
        self.pid = pid
        self.config = config
        self.now = now
        targetLabel = probe.label
        startedMs = UnixTime.milliseconds(now())
    }

    deinit {
        // An owner that forgets end() must not leave the run open with unflushed samples.
        try? recorder.close()
    }

    /// Takes one sample. Returns false, and records nothing, once the process
    /// or cgroup is gone (then call `end()`). Throws `WatchError` when a file
    /// that was readable no longer is.
    @discardableResult
    public func sample() throws(WatchError) -> Bool {
        guard !isEnded, endReason == nil else { return false }
        guard case .reading(let reading) = try probe.read() else {
            endReason = probe.goneDescription
            return false
        }
        let ts = UnixTime.milliseconds(now())
        recorder.recordSnapshot(usageBytes: reading.totalBytes)
        for part in reading.parts {
            if parts[part.component] == nil {
                // Part names are fixed strings of ours, so this cannot fail on a name.
                guard let handle = try? recorder.component(part.component, kind: .gauge, overlaps: !part.isDisjoint) else { continue }
                parts[part.component] = PartHistory(handle: handle, isDisjoint: part.isDisjoint,
                                                    points: RingBuffer(capacity: config.maxHistorySamples))
                partOrder.append(part.component)
            }
            parts[part.component]!.handle.set(bytes: part.bytes)
            parts[part.component]!.points.append(TrendPoint(tMs: ts, bytes: part.bytes, runID: recorder.runID))
        }
        lastReading = reading
        sampleCount += 1
        return true
    }

    /// Stops sampling: flushes, stamps the run's end and closes the recorder.
    /// A watch that took no sample (the process exited first) keeps nothing:
    /// its run is deleted, and its source when the watch created it
    /// (`recordedNothing`). Idempotent.
    public func end(reason: String? = nil) throws {
        if endReason == nil { endReason = reason ?? "the watch stopped" }
        guard !isEnded else { return }
        isEnded = true
        probe.close()
        if sampleCount == 0 {
            recordedNothing = try recorder.closeDiscardingEmptyRun()
        } else {
            try recorder.close()
        }
    }

    /// Whether `end()` deleted the run because no sample was taken.
    public private(set) var recordedNothing = false

    /// The report for the run so far (or for the whole run once it ended).
    ///
    /// It is the recorder's `detectLeaks()` report, except for the sampled
    /// parts: a part is a leak candidate only when its own trend says leaking,
    /// as SPEC §4 judges a component in a window. The live rule for counted
    /// components (growth since the oldest sample ≥ 20% of usage) would flag
    /// any part of a steady sawtooth sampled low at the start and high at the
    /// end, and any process watched from its launch. Overlapping parts (PSS, a
    /// cgroup's shmem) are recorded but not judged, so growth shares add up.
    public func report() -> LeakReport {
        var inputs = recorder.reportInputs()
        let analyzer = TrendAnalyzer(config: config)
        let nowMs = UnixTime.milliseconds(now())
        var figures: [ComponentFigures] = []
        for name in partOrder {
            guard let part = parts[name], part.isDisjoint, let first = part.points.first else { continue }
            let totals = part.handle.totals
            let age = totals.firstEventMs.map { UInt64(max(0, nowMs - $0) / 1000) } ?? 0
            let trend = analyzer.verdict(for: MemorySeries(points: part.points.elements, runStarts: [recorder.runID: startedMs]))
            figures.append(ComponentFigures(name: name, kind: .gauge, totals: totals,
                                            growthBytes: totals.heldBytes - first.bytes, ageSecs: age, trend: trend))
        }
        let usageReference = (inputs.baselineBytes ?? 0) > 0 ? inputs.baselineBytes! : inputs.currentBytes
        // Gauges have no counts; what is left of the live candidates was tracked by hand on the recorder.
        let counted = inputs.candidates.filter { $0.allocations != nil }
        inputs.candidates = LeakClassifier.ordered(
            counted + LeakClassifier.candidates(figures, usageReferenceBytes: usageReference, config: config, mode: .window))
        // A watch is judged as a window is: the verdict decides, few samples are "insufficient data".
        inputs.mode = .window
        if inputs.usageTrend == nil { inputs.usageTrend = .noData() }
        return ReportBuilder.build(inputs)
    }

    /// Where the watch stands: the latest total, the trend and the verdict so far.
    ///
    /// The trend and verdict come from `report()`, which fits every sample so
    /// far; with `refreshingTrend` false they are those of the last refresh
    /// (the total and the sample count are always the latest), so a caller
    /// can show progress often and pay for a verdict rarely.
    public func status(refreshingTrend: Bool = true) -> WatchStatus {
        if refreshingTrend || statusVerdict == nil {
            let report = report()
            statusVerdict = (report.trend, report.hasLeaks)
            verdictSampleCount = sampleCount
        }
        let verdict = statusVerdict ?? (nil, false)
        let current = refreshingTrend
        return WatchStatus(source: source, pid: pid, currentBytes: lastReading?.totalBytes, sampleCount: sampleCount,
                           samplesForTrend: config.trendMinSamples, trend: verdict.trend, hasLeaks: verdict.hasLeaks,
                           isEnded: isEnded || endReason != nil, processCount: treeUsage?.processes,
                           memoryLimitBytes: config.memoryLimitBytes, trendIsCurrent: current || sampleCount == verdictSampleCount)
    }

    /// The programs of a watched process tree (`proc:` parts), with their
    /// first and latest values and whether their own trend says leaking, in
    /// order of first sight. Empty unless the tree held two programs.
    public func programs() -> [ProgramFigures] {
        let analyzer = TrendAnalyzer(config: config)
        return partOrder.filter { $0.hasPrefix(ProgramFigures.componentPrefix) }.compactMap { name in
            guard let part = parts[name], let first = part.points.first, let last = part.points.elements.last else { return nil }
            let trend = analyzer.verdict(for: part.points.elements, runStarts: [recorder.runID: startedMs])
            return ProgramFigures(component: name, firstBytes: first.bytes, lastBytes: last.bytes, trend: trend)
        }
    }

    /// A source name from a process's `comm`: control characters, which the
    /// store refuses in names, become `?`.
    static func sourceName(comm: String, pid: Int32) -> String {
        cleanedName(comm, fallback: "pid-\(pid)")
    }

    /// `name` as the store takes it: control characters become `?`, and it is
    /// cut to a quarter of the name limit (whole characters); `fallback` when empty.
    static func cleanedName(_ name: String, fallback: String) -> String {
        let cleaned = String(String.UnicodeScalarView(name.unicodeScalars.map {
            $0.properties.generalCategory == .control ? "?" : $0
        }))
        var cut = Substring(cleaned)
        while cut.utf8.count > InputRules.maxNameBytes / 4 { cut = cut.dropLast() }
        return cut.isEmpty ? fallback : String(cut)
    }

    /// The default source of a running process: its `ProgramIdentity`, from
    /// `/proc/PID/cmdline`, or its command name when that cannot be read.
    static func defaultSource(pid: Int32, comm: String) -> String {
        ProgramIdentity.of(pid: pid)?.sourceName ?? sourceName(comm: comm, pid: pid)
    }

    /// The default source of a command line: its `ProgramIdentity`.
    ///
    /// ```swift
    /// MemorySampler.defaultSource(arguments: ["python3", "leaky.py"])   // "leaky.py"
    /// ```
    public static func defaultSource(arguments: [String]) -> String {
        ProgramIdentity(arguments: arguments).sourceName
    }

    /// The default source of a command: the file name of its program.
    ///
    /// ```swift
    /// MemorySampler.defaultSource(command: "/usr/bin/python3")   // "python3"
    /// ```
    public static func defaultSource(command program: String) -> String {
        defaultSource(arguments: [program])
    }

    /// A source name from a cgroup directory: its last path component.
    static func sourceName(cgroupPath path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? ""
        return name.isEmpty ? "cgroup" : sourceName(comm: name, pid: 0)
    }
}

/// Where one watch stands, for a progress line.
public struct WatchStatus: Sendable, Equatable {
    public var source: String
    public var pid: Int32?
    /// The latest total (RSS or `memory.current`), once sampled.
    public var currentBytes: Int64?
    public var sampleCount: Int
    /// Samples needed before there is a trend.
    public var samplesForTrend: Int
    /// The usage trend so far, once there are enough samples.
    public var trend: TrendVerdict?
    /// The verdict so far.
    public var hasLeaks: Bool
    public var isEnded: Bool
    /// For a process tree: the processes in the latest sample.
    public var processCount: Int?
    /// The memory limit the watch was given, if any (the trend's `timeToLimitSecs` counts to it).
    public var memoryLimitBytes: Int64?
    /// Whether `trend` and `hasLeaks` take every sample so far into account
    /// (else they are those of an earlier status; see `MemorySampler.status`).
    public var trendIsCurrent = true
}

/// One program of a watched process tree: its `proc:` part's first and latest values.
public struct ProgramFigures: Sendable, Equatable {
    public static let componentPrefix = "proc:"
    /// The part's name: `proc:python3 leaky.py`.
    public var component: String
    public var firstBytes: Int64
    public var lastBytes: Int64
    /// The part's own trend.
    public var trend: TrendVerdict

    /// The program's name without the `proc:` prefix.
    public var program: String { String(component.dropFirst(Self.componentPrefix.count)) }
}

extension MemorySampler {
    /// The default source of each process in `pids`: its `ProgramIdentity`, with
    /// `-PID` appended where several processes share one, so their series never mix.
    ///
    /// ```swift
    /// try MemorySampler.defaultSources(pids: [812, 813, 990])   // ["nginx-812", "nginx-813", "redis-server"]
    /// ```
    public static func defaultSources(pids: [Int32]) throws(WatchError) -> [String] {
        var names: [String] = []
        for pid in pids {
            let status = try ProcStatus.read(pid: pid)
            names.append(defaultSource(pid: pid, comm: status.name ?? ""))
        }
        var seen: [String: Int] = [:]
        for name in names { seen[name, default: 0] += 1 }
        return zip(names, pids).map { name, pid in seen[name]! > 1 ? "\(name)-\(pid)" : name }
    }
}

extension ProcStatus {
    /// Reads and parses `/proc/PID/status`. Throws `WatchError.noSuchProcess`
    /// when there is no such process, `.unreadable` when it may not be read.
    public static func read(pid: Int32) throws(WatchError) -> ProcStatus {
        guard pid > 0 else { throw .noSuchProcess(pid: pid) }
        do throws(WatchError) {
            return parse(try ProcFile.read("/proc/\(pid)/status"))
        } catch {
            if case .unreadable(_, let code) = error, ProcFile.meansGone(code) { throw .noSuchProcess(pid: pid) }
            throw error
        }
    }
}
