import LeakHistoryAnalysis
import Dispatch
import Foundation
import Logging
import Synchronization

/// A leak detector whose history persists in SQLite: the seed's `MemoryManager` role.
///
/// ```swift
/// let recorder = try LeakRecorder(path: "leaks.sqlite")   // ":memory:" works too
/// recorder.setLeakBaseline()
/// recorder.trackAllocation("cache", sizeMB: 100)
/// recorder.trackDeallocation("cache", sizeMB: 50)
/// let report = recorder.detectLeaks()
/// try recorder.close()    // flushes; reopening restores the baseline
/// ```
///
/// Tracking only touches the detector's atomic counters. A background flush
/// (every `flushIntervalSecs`) writes, in one transaction, the snapshots
/// recorded since the last flush and one sample for each component whose
/// counters changed. Opening a file again restores its baseline and starts a
/// new run, whose counters start at zero; the old runs stay in the history.
public final class LeakRecorder: Sendable {
    /// The in-memory detector the recorder feeds.
    public let detector: LeakDetector
    public let path: String
    public let source: String
    /// The run this recorder writes.
    public let runID: Int64
    /// The version and labels of this run.
    public let deployment: RunDeployment

    private let logger: Logger
    private let options: RecorderOptions
    private let now: @Sendable () -> Date
    private let sourceID: Int64
    /// Whether opening this recorder created its source (a run of a new source).
    private let createdSource: Bool
    private let store: Mutex<StoreState>
    private let pending = Mutex(PendingWrites())
    private let latestSnapshot = Atomic<Int64>(-1)
    private let dropped = Atomic<Int>(0)
    private let timer = Mutex<FlushTimer?>(nil)
    /// Background flushes failed in a row (0 once one succeeds).
    private let failedFlushes = Atomic<Int>(0)

    private struct StoreState {
        var store: HistoryStore?
        /// Totals last written, by component index (compact: a recorder may
        /// hold tens of thousands); empty again after a failed flush, so the
        /// next one writes every component.
        var written: [WrittenTotals] = []
        var componentIDs: [Int64?] = []
        var flushCount = 0
        /// Whether a flush has committed rows of this run.
        var wroteRows = false
        var lastFlushMs: Double = 0
        var lastPruneMs: Int64 = 0
        /// The five-minute slot of the last sealing pass: a new slot seals the one before.
        var lastSealSlotMs: Int64 = .min
    }

    private struct PendingBaseline {
        var tsMs: Int64
        var usageBytes: Int64
        var componentBytes: [String: Int64]
    }

    private struct PendingWrites {
        var snapshots: [(tsMs: Int64, usageBytes: Int64)] = []
        var baselines: [PendingBaseline] = []
        var baselineClears: [Int64] = []
    }

    /// Opens or creates the database at `path`, restores its baseline and starts a new run.
    ///
    /// `version` and `labels`, when given, replace those of `options.deployment`: the
    /// run records which version of the program it is, so `compare` can tell
    /// whether a version brought a leak (`LeakRecorder(path: p, version: "1.4.2")`).
    ///
    /// Throws when the file cannot be opened, is not a LeakHistory database, or
    /// was written by a newer version; the file is then left as it was. An
    /// invalid version or label throws `InputError`.
    public init(
        path: String,
        config: LeakDetectionConfig = .init(),
        options: RecorderOptions = .init(),
        version: String? = nil,
        labels: [String: String] = [:],
        logger: Logger = Logger(label: "LeakHistory", factory: { _ in SwiftLogNoOpLogHandler() }),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        try config.validate()
        try InputRules.validateName(options.source, field: "source")
        var options = options
        // Checked here whichever way it came: the options' fields are settable.
        options.deployment = try RunDeployment(version: version ?? options.deployment.version,
                                               labels: labels.isEmpty ? options.deployment.labels : labels)
        self.path = path
        self.deployment = options.deployment
        self.source = options.source
        self.options = options
        self.logger = logger
        self.now = now
        detector = LeakDetector(config: config, now: now)

        let store = try HistoryStore(path: path, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds, logger: logger)
        let startMs = UnixTime.milliseconds(now())
        do {
            let (sourceID, created, runID, baseline) = try store.inTransaction {
                let existing = try store.sourceID(named: options.source, create: false, nowMs: startMs)
                let sourceID = try existing ?? store.sourceID(named: options.source, create: true, nowMs: startMs)!
                let runID = try store.startRun(sourceID: sourceID, startedMs: startMs, pid: options.pid, command: options.command,
                                               deployment: options.deployment)
                return (sourceID, existing == nil, runID, try store.currentBaseline(sourceID: sourceID))
            }
            self.sourceID = sourceID
            self.createdSource = created
            self.runID = runID
            if let baseline {
                detector.restoreBaseline(tsMs: baseline.tsMs, usageBytes: baseline.usageBytes)
                logger.info("restored baseline", metadata: [
                    "db.path": "\(path)", "source": "\(options.source)", "baseline.usage_bytes": "\(baseline.usageBytes)",
                ])
            }
        } catch {
            try? store.close()
            throw error
        }
        self.store = Mutex(StoreState(store: store))

        if options.flushIntervalSecs > 0 {
            // Weak: the timer must not keep a recorder its owner has let go.
            let flushTimer = FlushTimer(intervalSecs: options.flushIntervalSecs, label: "LeakHistory.flush") { [weak self] in
                guard let self else { return }
                do {
                    try self.flush(ifOpen: true)
                    let failed = self.failedFlushes.exchange(0, ordering: .relaxed)
                    if failed > 0 {
                        self.logger.info("background flush works again", metadata: ["db.path": "\(self.path)", "flush.failed": "\(failed)"])
                    }
                } catch {
                    // A library says a failure once (swift-log's guidance),
                    // not once a second while a disk stays full; the rest of
                    // the streak is debug, and the recovery is info.
                    let failed = self.failedFlushes.add(1, ordering: .relaxed).newValue
                    self.logger.log(level: failed == 1 ? .warning : .debug, "background flush failed",
                                    metadata: ["db.path": "\(self.path)", "error": "\(error)", "flush.failed": "\(failed)"])
                }
            }
            timer.withLock { $0 = flushTimer }
        }
    }

    deinit {
        timer.withLock { $0?.cancel() }
        store.withLock { state in
            if let store = state.store {
                logger.warning("LeakRecorder released without close(); unflushed data is lost", metadata: ["db.path": "\(path)"])
                try? store.close()
                state.store = nil
            }
        }
    }

    // MARK: The seed's MemoryManager API

    /// Sets the baseline to the current usage, with every component's held bytes, and stores it.
    public func setLeakBaseline() {
        setLeakBaseline(usageBytes: currentUsageBytes)
    }

    /// Sets the baseline to `usageBytes` and stores it at the next flush.
    public func setLeakBaseline(usageBytes: Int64) {
        detector.setBaseline(usageBytes: usageBytes)
        guard let baseline = detector.baseline else { return }
        pending.withLock {
            $0.baselines.append(PendingBaseline(tsMs: baseline.tsMs, usageBytes: baseline.usageBytes, componentBytes: baseline.componentBytes))
        }
    }

    /// Clears the baseline, in memory and in the store.
    public func clearLeakBaseline() {
        detector.clearBaseline()
        let ts = UnixTime.milliseconds(now())
        pending.withLock { $0.baselineClears.append(ts) }
    }

    public func trackAllocation(_ component: String, sizeMB: Int) {
        detector.trackAllocation(component, sizeMB: sizeMB)
    }

    public func trackDeallocation(_ component: String, sizeMB: Int) {
        detector.trackDeallocation(component, sizeMB: sizeMB)
    }

    public func trackAllocation(_ component: String, bytes: Int64) {
        detector.trackAllocation(component, bytes: bytes)
    }

    public func trackDeallocation(_ component: String, bytes: Int64) {
        detector.trackDeallocation(component, bytes: bytes)
    }

    /// Sets a sampled (gauge) component's held bytes.
    public func setGauge(_ component: String, bytes: Int64) {
        detector.setGauge(component, bytes: bytes)
    }

    /// The handle of a component, for tracking with no name lookup.
    public func component(_ name: String, kind: ComponentKind = .counted, overlaps: Bool = false) throws -> ComponentHandle {
        try detector.component(name, kind: kind, overlaps: overlaps)
    }

    /// Records total usage now; from then on it is the current usage.
    public func recordSnapshot(usageMB: Int) {
        recordSnapshot(usageBytes: ByteSize.bytes(mb: usageMB))
    }

    /// Records total usage now; from then on it is the current usage.
    public func recordSnapshot(usageBytes: Int64) {
        guard usageBytes >= 0 else {
            detector.recordSnapshot(usageBytes: usageBytes)  // counted as rejected there
            return
        }
        let ts = UnixTime.milliseconds(now())
        detector.recordSnapshot(usageBytes: usageBytes)
        latestSnapshot.store(usageBytes, ordering: .relaxed)
        let overflow = pending.withLock { p -> Int in
            p.snapshots.append((ts, usageBytes))
            let excess = p.snapshots.count - options.maxPendingSnapshots
            if excess > 0 { p.snapshots.removeFirst(excess) }
            return max(0, excess)
        }
        if overflow > 0 { dropped.wrappingAdd(overflow, ordering: .relaxed) }
    }

    /// The latest recorded snapshot, or the sum of the components' held bytes before any.
    public var currentUsageBytes: Int64 {
        let snapshot = latestSnapshot.load(ordering: .relaxed)
        if snapshot >= 0 { return snapshot }
        return detector.components.reduce(0) { $0 &+ $1.totals.heldBytes }
    }

    /// The report for now, against the current usage.
    public func detectLeaks() -> LeakReport {
        ReportBuilder.build(reportInputs())
    }

    /// What the report is built from: the detector's, with the recorder's source and notes.
    package func reportInputs() -> ReportInputs {
        var inputs = detector.reportInputs(currentUsageBytes: currentUsageBytes)
        inputs.source = source
        let lost = droppedSnapshotCount
        if lost > 0 {
            inputs.notes.append("\(lost) snapshots were dropped while the database could not keep up; the history has gaps")
        }
        return inputs
    }

    /// Snapshots dropped because the buffer was full while writes failed.
    public var droppedSnapshotCount: Int { dropped.load(ordering: .relaxed) }

    // MARK: Persistence

    /// Writes everything recorded so far in one transaction. When it returns,
    /// what it wrote survives a crash of the process.
    public func flush() throws {
        try flush(ifOpen: false)
    }

    /// The background flush passes `ifOpen`: racing `close()` is not an error.
    private func flush(ifOpen: Bool) throws {
        detector.takeWarmupReferencesIfDue()
        try store.withLock { state in
            guard let store = state.store else {
                if ifOpen { return }
                throw InputError(field: "recorder", message: "the recorder for '\(path)' is closed")
            }
            try write(to: store, state: &state)
        }
    }

    private func write(to store: HistoryStore, state: inout StoreState) throws {
        let taken = pending.withLock { p -> PendingWrites in
            defer { p = PendingWrites() }
            return p
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let ts = UnixTime.milliseconds(now())
        let handles = detector.registry.all
        // Whether anything changed at all; the transaction reads the totals
        // again and writes each changed component as it goes, so a flush
        // keeps no list of them.
        func changed(_ h: ComponentHandle, _ totals: ComponentTotals) -> Bool {
            h.index >= state.written.count || state.written[h.index] != WrittenTotals(totals)
        }
        guard handles.contains(where: { changed($0, $0.totals) }) || !taken.snapshots.isEmpty || !taken.baselines.isEmpty
            || !taken.baselineClears.isEmpty else {
            return
        }
        if state.written.count < handles.count {
            state.written += repeatElement(.never, count: handles.count - state.written.count)
        }
        var componentsWritten = 0
        do {
            try store.inTransaction {
                for s in taken.snapshots {
                    try store.insertSnapshot(sourceID: sourceID, tsMs: s.tsMs, runID: runID, usageBytes: s.usageBytes)
                }
                for h in handles {
                    let totals = h.totals
                    guard changed(h, totals) else { continue }
                    componentsWritten += 1
                    let id = try cachedComponentID(h, store: store, state: &state)
                    try store.insertComponentSample(componentID: id, tsMs: ts, runID: runID, allocatedBytes: totals.heldBytes,
                                                    allocations: totals.allocations, deallocations: totals.deallocations)
                    state.written[h.index] = WrittenTotals(totals)
                }
                for clear in taken.baselineClears {
                    try store.clearBaseline(sourceID: sourceID, clearedMs: clear)
                }
                for b in taken.baselines {
                    var entries: [(componentID: Int64, bytes: Int64)] = []
                    for (name, bytes) in b.componentBytes.sorted(by: { $0.key < $1.key }) {
                        let handle = handles.first { $0.name == name }
                        entries.append((try store.componentID(sourceID: sourceID, name: name, kind: handle?.kind ?? .counted,
                                                              overlaps: handle?.overlaps ?? false), bytes))
                    }
                    _ = try store.insertBaseline(sourceID: sourceID, runID: runID, tsMs: b.tsMs, usageBytes: b.usageBytes, componentBytes: entries)
                }
            }
        } catch {
            store.forgetCachedIDs()
            state.componentIDs.removeAll()
            // Rolled back: what this flush marked as written was not.
            state.written.removeAll()
            // Put the batch back in front of what arrived meanwhile, so a later flush retries it.
            let overflow = pending.withLock { p -> Int in
                p.snapshots = taken.snapshots + p.snapshots
                p.baselines = taken.baselines + p.baselines
                p.baselineClears = taken.baselineClears + p.baselineClears
                let excess = p.snapshots.count - options.maxPendingSnapshots
                if excess > 0 { p.snapshots.removeFirst(excess) }
                return max(0, excess)
            }
            if overflow > 0 { dropped.wrappingAdd(overflow, ordering: .relaxed) }
            throw error
        }
        state.wroteRows = true
        try maintain(store, state: &state, nowMs: ts)
        state.flushCount += 1
        state.lastFlushMs = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        logger.debug("flushed", metadata: [
            "db.path": "\(path)", "snapshots": "\(taken.snapshots.count)", "components": "\(componentsWritten)",
        ])
    }

    /// The component's row id, looked up once per recorder.
    private func cachedComponentID(_ handle: ComponentHandle, store: HistoryStore, state: inout StoreState) throws -> Int64 {
        if handle.index < state.componentIDs.count, let id = state.componentIDs[handle.index] { return id }
        let id = try store.componentID(sourceID: sourceID, name: handle.name, kind: handle.kind, overlaps: handle.overlaps)
        if state.componentIDs.count <= handle.index {
            state.componentIDs += Array(repeating: nil, count: handle.index + 1 - state.componentIDs.count)
        }
        state.componentIDs[handle.index] = id
        return id
    }

    /// Seals the finished slots into chunks (which writes their hour rollups)
    /// and keeps the file within its retention policy, after a successful write.
    private func maintain(_ store: HistoryStore, state: inout StoreState, nowMs: Int64) throws {
        // Samples are written at now: every five minutes, every series' finished slots become chunks.
        let slot = floor(nowMs, HistoryStore.sealSlotMs)
        if slot != state.lastSealSlotMs {
            try store.inTransaction { try store.sealSource(sourceID, beforeMs: nil) }
            state.lastSealSlotMs = slot
        }
        if options.pruneIntervalSecs > 0 && Double(nowMs - state.lastPruneMs) >= options.pruneIntervalSecs * 1000 {
            let pruned = try store.prune(policy: try store.retentionPolicy(), nowMs: nowMs)
            state.lastPruneMs = nowMs
            logger.debug("pruned", metadata: [
                "db.path": "\(path)", "snapshots": "\(pruned.snapshotsDeleted)", "samples": "\(pruned.componentSamplesDeleted)",
            ])
        }
    }

    /// Flushes, ends the run and closes the database. Idempotent. After it,
    /// tracking still works in memory but nothing more is stored.
    public func close() throws {
        _ = try close(discardingEmptyRun: false)
    }

    /// Closes as `close()` does, but a run in which nothing was recorded (no
    /// snapshot, component or baseline) is not kept: the run is deleted, and
    /// its source too when this recorder created it and it holds nothing
    /// else. A watch whose process exited before its first sample leaves no
    /// trace. Returns whether the run was deleted; idempotent (false after
    /// the first close).
    @discardableResult
    public func closeDiscardingEmptyRun() throws -> Bool {
        try close(discardingEmptyRun: true)
    }

    private func close(discardingEmptyRun: Bool) throws -> Bool {
        timer.withLock { $0?.cancel() }
        return try store.withLock { state in
            guard let store = state.store else { return false }
            let recordedNothing = !state.wroteRows && detector.registry.all.isEmpty
                && pending.withLock { $0.snapshots.isEmpty && $0.baselines.isEmpty && $0.baselineClears.isEmpty }
            var deleted = false
            if discardingEmptyRun && recordedNothing {
                deleted = try store.inTransaction {
                    try store.deleteEmptyRun(runID, sourceID: sourceID, deleteEmptySource: createdSource)
                }
            }
            if !deleted {
                try write(to: store, state: &state)
                try store.endRun(runID, endedMs: UnixTime.milliseconds(now()))
            }
            try store.close()
            state.store = nil
            return deleted
        }
    }

    /// Flushes done so far and the duration of the last one, in ms.
    public var flushStatistics: (count: Int, lastDurationMs: Double) {
        store.withLock { ($0.flushCount, $0.lastFlushMs) }
    }
}

/// A component's totals as last written, in 40 bytes (a `ComponentTotals?`
/// takes 64): counts of a gauge are -1, `never` matches no real totals.
struct WrittenTotals: Equatable {
    var allocatedBytesTotal: Int64
    var deallocatedBytesTotal: Int64
    var allocations: Int64
    var deallocations: Int64
    var firstEventMs: Int64

    static let never = WrittenTotals(allocatedBytesTotal: .min, deallocatedBytesTotal: .min, allocations: .min,
                                     deallocations: .min, firstEventMs: .min)

    init(allocatedBytesTotal: Int64, deallocatedBytesTotal: Int64, allocations: Int64, deallocations: Int64, firstEventMs: Int64) {
        self.allocatedBytesTotal = allocatedBytesTotal
        self.deallocatedBytesTotal = deallocatedBytesTotal
        self.allocations = allocations
        self.deallocations = deallocations
        self.firstEventMs = firstEventMs
    }

    init(_ totals: ComponentTotals) {
        self.init(allocatedBytesTotal: totals.allocatedBytesTotal, deallocatedBytesTotal: totals.deallocatedBytesTotal,
                  allocations: totals.allocations ?? -1, deallocations: totals.deallocations ?? -1,
                  firstEventMs: totals.firstEventMs ?? -1)
    }
}
