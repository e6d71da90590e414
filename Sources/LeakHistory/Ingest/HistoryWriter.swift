import LeakHistoryAnalysis
import Foundation
import Logging
import SQLiteStore

/// What an ingest stored and what it refused.
public struct IngestResult: Sendable, Equatable {
    /// Events written (and committed).
    public var stored: Int
    /// Events refused, each naming its line and problem.
    public var rejected: [InputError]
    /// Events the store already held (a file ingested again, a request
    /// retried), recognised and skipped.
    public var alreadyStored: Int = 0
}

/// Writes events into a LeakHistory database: the store side of `ingest` and
/// of the HTTP events endpoint.
///
/// ```swift
/// let writer = try HistoryWriter(path: "leaks.sqlite")
/// let decoded = EventDecoder(nowMs: now).decodeAll(data)
/// let result = try writer.ingest(decoded.events)
/// try writer.close()
/// ```
///
/// Allocation and deallocation events become cumulative samples of their run,
/// so events of one component should arrive in time order. Not thread-safe:
/// confine a writer to one thread; several writers (processes) may share a
/// file: each transaction waits its turn (backing off, for at most the busy
/// timeout), and an ingest commits in batches, so no writer holds the lock long.
public final class HistoryWriter {
    let store: HistoryStore
    private let logger: Logger
    private var sources: [String: SourceState] = [:]
    /// The source of the latest event, kept out of `sources`: the events of
    /// one source in a row find it without hashing its name twice each.
    private var recent: (name: String, state: SourceState)?

    private struct Counters {
        var componentID: Int64
        var kind: ComponentKind
        /// Bytes allocated minus bytes deallocated in this run: below 0 after
        /// more deallocations than allocations. Kept as one net figure, not two
        /// run totals, so no amount of allocate/free traffic overflows it.
        var netBytes: Int64 = 0
        var allocations: Int64 = 0
        var deallocations: Int64 = 0
        var heldBytes: Int64 { max(0, netBytes) }

        /// Counts one event of `bytes`, or throws, changing nothing, when the
        /// component would hold more than `InputRules.maxBytes` (a unit
        /// mistake, as for one event) or its counts leave Int64.
        mutating func count(_ bytes: Int64, allocation: Bool, component: String) throws {
            let field = allocation ? "alloc_bytes" : "dealloc_bytes"
            let (net, netOverflow) = allocation ? netBytes.addingReportingOverflow(bytes)
                                                : netBytes.subtractingReportingOverflow(bytes)
            let (events, countOverflow) = (allocation ? allocations : deallocations).addingReportingOverflow(1)
            if allocation && (netOverflow || net > InputRules.maxBytes) {
                throw InputError(field: field, message: "component '\(component)' would hold \(netOverflow ? "more than \(Int64.max)" : "\(net)") bytes (allocations minus deallocations in this run), over the 1 PiB limit")
            }
            if netOverflow || countOverflow {
                throw InputError(field: field, message: "component '\(component)': its deallocations in this run exceed its allocations by more than a 64-bit count can hold")
            }
            netBytes = net
            if allocation { allocations = events } else { deallocations = events }
        }
        /// The time of the run's newest sample, and how many counted events it sums up.
        var lastTsMs: Int64?
        var eventsAtLastTs: Int64 = 0
    }

    private struct SourceState {
        var id: Int64
        var runID: Int64?
        var components: [String: Counters] = [:]
        /// Components the source has in the file, counted once per batch
        /// (another writer may have added some since the last one).
        var storedComponents: Int?
        /// The newest stored snapshot: a snapshot after it cannot be a replay.
        var newestSnapshotMs: Int64?
    }

    /// Components one source may have in the file, unless told otherwise:
    /// what every report, trend and scrape of the source reads.
    public static let defaultMaxComponentsPerSource = 10_000

    /// The most components one source may have; an event naming one more is refused.
    public let maxComponentsPerSource: Int

    /// How long a write waits, in all, for another writer of the file before it fails (`busy`).
    public static let defaultBusyTimeoutMilliseconds: Int32 = 60_000

    /// The five-minute slot each series' head rows were left in by this writer's last sealing.
    private var openSlots: [SeriesID: Int64] = [:]

    /// Whether a batch's samples that follow everything stored are sealed
    /// straight from memory (always, but in the tests that compare it with
    /// writing every sample as a head row first, as before).
    var sealsFromMemory = true

    /// What the batch being ingested wrote to each series.
    private var batch: [SeriesID: SeriesWrites] = [:]

    /// What one batch wrote to one series: the span of its samples, and those
    /// newer than everything the file held, kept here until the batch ends,
    /// when the slots they complete are sealed into chunks straight from
    /// memory and only the newest slot's are written as head rows. (A sample
    /// at or before the file's newest is written as a head row at once.)
    private struct SeriesWrites {
        var range: ClosedRange<Int64>
        /// Oldest first, each at its own millisecond.
        var unwritten: [RawSample] = []

        /// Keeps `sample` for the batch's end; false when the file must take it
        /// now: it is older than the first kept sample, or, with none kept,
        /// not newer than the file's newest, `newestMs`.
        mutating func keep(_ sample: RawSample, fileNewestMs newestMs: Int64?) -> Bool {
            range = min(range.lowerBound, sample.tsMs)...max(range.upperBound, sample.tsMs)
            guard let last = unwritten.last else {
                if let newestMs, sample.tsMs <= newestMs { return false }
                unwritten.append(sample)
                return true
            }
            if sample.tsMs > last.tsMs {
                unwritten.append(sample)
            } else if sample.tsMs == last.tsMs {
                unwritten[unwritten.count - 1] = sample
            } else {
                guard sample.tsMs >= unwritten[0].tsMs else { return false }
                let index = firstIndex(atOrAfter: sample.tsMs)
                if unwritten[index].tsMs == sample.tsMs { unwritten[index] = sample } else { unwritten.insert(sample, at: index) }
            }
            return true
        }

        /// The kept sample at `tsMs`: `.some` when the file cannot hold one
        /// there (it is at or after the first kept one), `nil` when only the file knows.
        func sample(atMs tsMs: Int64) -> RawSample?? {
            guard let first = unwritten.first, tsMs >= first.tsMs else { return nil }
            let index = firstIndex(atOrAfter: tsMs)
            return .some(index < unwritten.count && unwritten[index].tsMs == tsMs ? unwritten[index] : nil)
        }

        /// The index of the first kept sample at or after `tsMs` (a binary search).
        private func firstIndex(atOrAfter tsMs: Int64) -> Int {
            var low = 0, high = unwritten.count
            while low < high {
                let middle = low + (high - low) / 2
                if unwritten[middle].tsMs < tsMs { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    /// Each component's newest stored sample time, in any run.
    private var newestComponentMs: [Int64: Int64?] = [:]
    /// Per component, the time of the input's latest counted event and how
    /// many of the input's events had that time: the position of the next one.
    private var positions: [Int64: (tsMs: Int64, count: Int64)] = [:]

    /// The time of the sample the last baseline set without a usage was taken from.
    public private(set) var lastBaselineSampleMs: Int64?

    /// Opens the database at `path`, creating it unless `create` is false
    /// (then a missing file is an error).
    public init(path: String, create: Bool = true, maxComponentsPerSource: Int = HistoryWriter.defaultMaxComponentsPerSource,
                busyTimeoutMilliseconds: Int32 = HistoryWriter.defaultBusyTimeoutMilliseconds,
                logger: Logger = Logger(label: "LeakHistory", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        store = try HistoryStore(path: path, create: create, busyTimeoutMilliseconds: busyTimeoutMilliseconds, logger: logger)
        self.logger = logger
        self.maxComponentsPerSource = max(1, maxComponentsPerSource)
    }

    public func close() throws {
        try store.close()
    }

    /// Whether SQLite could open the file only for reading (its mode, or a
    /// read-only file system): every write will fail.
    public var isReadOnly: Bool { store.isReadOnly }

    /// Writes `events` in one transaction. An event that contradicts the store
    /// (a gauge line for a counted component, a second value for a stored
    /// millisecond) is refused and listed; with `atomic`, one refusal writes
    /// nothing at all and throws it.
    ///
    /// An event the store already holds is skipped and counted in
    /// `alreadyStored`, so ingesting the same input twice changes nothing.
    /// Counted events have no identity but their place: the k-th event of a
    /// component at one millisecond of an input is a replay when the stored
    /// sample at that millisecond already sums up k or more events. Pass
    /// `continuingInput` for the later batches of one input.
    @discardableResult
    public func ingest(_ events: [IngestEvent], atomic: Bool = false, lines: [Int]? = nil,
                       continuingInput: Bool = false) throws -> IngestResult {
        if !continuingInput { positions.removeAll() }
        var result = IngestResult(stored: 0, rejected: [])
        // (Empty between batches: each clears it on the way out, however it ends.)
        defer { batch.removeAll(keepingCapacity: true) }
        for name in sources.keys { sources[name]?.storedComponents = nil }
        recent?.state.storedComponents = nil
        do {
            try store.inTransaction {
                for (index, event) in events.enumerated() {
                    do {
                        if try apply(event) {
                            result.stored += 1
                        } else {
                            result.alreadyStored += 1
                        }
                    } catch var error as InputError {
                        error.line = error.line ?? lines?[index]
                        if atomic { throw error }
                        result.rejected.append(error)
                    }
                }
                // Sealing the slots a batch finished keeps their hour rollups too.
                for (series, writes) in batch {
                    let slot = floor(writes.range.upperBound, HistoryStore.sealSlotMs)
                    // All of this batch in the slot the series' head was left in
                    // by this writer: nothing to seal, no probe. (Another
                    // writer's rows into older slots are sealed by that writer.)
                    if openSlots[series] == slot && writes.range.lowerBound >= slot {
                        try store.insertHead(series, writes.unwritten[...])
                        continue
                    }
                    try store.seal(series, adding: writes.unwritten[...])
                    openSlots[series] = slot
                }
            }
        } catch {
            // The transaction rolled back: forget state that may describe rows that are gone.
            sources.removeAll()
            recent = nil
            newestComponentMs.removeAll()
            positions.removeAll()
            openSlots.removeAll()
            store.forgetCachedIDs()
            throw error
        }
        return result
    }

    /// Stores one event; false when the store already held it.
    private func apply(_ event: IngestEvent) throws -> Bool {
        var state = try sourceState(event.source, tsMs: event.tsMs)
        defer { recent = (event.source, state) }
        switch event.kind {
        case .snapshot(let usage):
            let series = SeriesID.usage(sourceID: state.id)
            if let newest = state.newestSnapshotMs, event.tsMs <= newest,
               let stored = try sample(series, atMs: event.tsMs) {
                guard stored.bytes == usage else {
                    throw Self.conflict("usage_bytes", at: event.tsMs, stored: stored.bytes, given: usage)
                }
                return false
            }
            let runID = try openRun(&state, at: event.tsMs)
            try write(RawSample(tsMs: event.tsMs, runID: runID, bytes: usage), to: series, fileNewestMs: state.newestSnapshotMs)
            state.newestSnapshotMs = max(state.newestSnapshotMs ?? event.tsMs, event.tsMs)
        case .allocation(let name, let bytes), .deallocation(let name, let bytes):
            let componentID = try self.componentID(&state, name: name, kind: .counted)
            let position = nextPosition(componentID, at: event.tsMs)
            let newest = try newestSampleMs(componentID)
            if let newest, event.tsMs <= newest {
                if let stored = try sample(.component(componentID), atMs: event.tsMs),
                   position < (stored.events ?? 1) {
                    return false
                }
                if event.tsMs < newest {
                    throw InputError(field: "ts_ms", message: "'\(name)' already has samples up to \(newest); "
                        + "events of a counted component must come in time order (this one is at \(event.tsMs))")
                }
            }
            let runID = try openRun(&state, at: event.tsMs)
            var counters = try self.counters(&state, name: name, kind: .counted, runID: runID)
            var isAllocation = false
            if case .allocation = event.kind { isAllocation = true }
            try counters.count(bytes, allocation: isAllocation, component: name)
            counters.eventsAtLastTs = counters.lastTsMs == event.tsMs ? counters.eventsAtLastTs + 1 : 1
            counters.lastTsMs = event.tsMs
            try write(RawSample(tsMs: event.tsMs, runID: runID, bytes: counters.heldBytes, allocations: counters.allocations,
                                deallocations: counters.deallocations, events: counters.eventsAtLastTs),
                      to: .component(componentID), fileNewestMs: newest)
            state.components[name] = counters
            noteSample(componentID, at: event.tsMs)
        case .gauge(let name, let bytes):
            // A gauge already written in the open run (most events): its
            // entry is looked up once and changed in place.
            let known = state.runID == nil ? nil
                : state.components.index(forKey: name).flatMap { state.components.values[$0].kind == .gauge ? $0 : nil }
            let componentID = try known.map { state.components.values[$0].componentID } ?? self.componentID(&state, name: name, kind: .gauge)
            let newest = try newestSampleMs(componentID)
            if let newest, event.tsMs <= newest, let stored = try sample(.component(componentID), atMs: event.tsMs) {
                guard stored.bytes == bytes else {
                    throw Self.conflict("allocated_bytes of '\(name)'", at: event.tsMs, stored: stored.bytes, given: bytes)
                }
                return false
            }
            // (With a run open, as `known` needs, this opens none and `known` stays valid.)
            let runID = try openRun(&state, at: event.tsMs)
            // A gauge new to this writer or run gets its entry first (which may refuse it).
            let fresh = known != nil ? nil : try self.counters(&state, name: name, kind: .gauge, runID: runID)
            try write(RawSample(tsMs: event.tsMs, runID: runID, bytes: bytes), to: .component(componentID), fileNewestMs: newest)
            if var counters = fresh {
                counters.netBytes = bytes
                counters.lastTsMs = event.tsMs
                state.components[name] = counters
            } else if let known {
                state.components.values[known].netBytes = bytes
                state.components.values[known].lastTsMs = event.tsMs
            }
            noteSample(componentID, at: event.tsMs)
        case .restart(let deployment):
            if let replayed = try store.run(sourceID: state.id, startedAtMs: event.tsMs) {
                guard replayed.deployment == deployment else {
                    throw InputError(field: replayed.deployment.version == deployment.version ? "labels" : "version", message: "the run that started at \(event.tsMs) is stored with \(replayed.deployment.text), this line says \(deployment.text); one millisecond starts one run (the stored one is kept)")
                }
                state.runID = replayed.id
                state.components.removeAll()
                return false
            }
            if let runID = state.runID { try store.endRun(runID, endedMs: event.tsMs) }
            state.runID = nil
            _ = try openRun(&state, at: event.tsMs, deployment: deployment)
        case .baseline(let usage):
            if try store.hasBaseline(sourceID: state.id, atMs: event.tsMs) { return false }
            // A baseline opens no run: it belongs to the open one, else to the newest.
            let runID = try state.runID ?? store.latestRun(sourceID: state.id)?.id
            if let runID { try loadAllCounters(&state, runID: runID) }
            let usageBytes: Int64
            if let usage {
                usageBytes = usage
            } else {
                guard let runID, let newest = try newestUsage(state, runID: runID, atMs: event.tsMs) else {
                    throw InputError(field: "usage_bytes", message: "source '\(event.source)' has no samples to take a baseline from; give a usage")
                }
                usageBytes = newest.bytes
                lastBaselineSampleMs = newest.tsMs
            }
            let entries = state.components.values.map { (componentID: $0.componentID, bytes: $0.heldBytes) }
            _ = try store.insertBaseline(sourceID: state.id, runID: runID, tsMs: event.tsMs, usageBytes: usageBytes,
                                         componentBytes: entries.sorted { $0.componentID < $1.componentID })
            // Counters loaded for a closed run must not carry into the next one.
            if state.runID == nil { state.components.removeAll() }
        }
        return true
    }

    /// The open run of the source, starting one at `tsMs` when there is none.
    private func openRun(_ state: inout SourceState, at tsMs: Int64, deployment: RunDeployment = .none) throws -> Int64 {
        if let runID = state.runID { return runID }
        let runID = try store.startRun(sourceID: state.id, startedMs: tsMs, pid: nil, command: nil, deployment: deployment)
        state.runID = runID
        state.components.removeAll()
        return runID
    }

    private func componentID(_ state: inout SourceState, name: String, kind: ComponentKind) throws -> Int64 {
        if let existing = state.components[name] {
            guard existing.kind == kind else { throw Self.kindConflict(name, existing.kind) }
            return existing.componentID
        }
        if let stored = try store.component(sourceID: state.id, name: name) {
            guard stored.kind == kind else { throw Self.kindConflict(name, stored.kind) }
            return stored.id
        }
        let count = try state.storedComponents ?? store.componentCount(sourceID: state.id)
        state.storedComponents = count
        guard count < maxComponentsPerSource else {
            throw InputError(field: "component", message: "'\(name)' would be one component too many: this source already has \(count) components and the limit is \(maxComponentsPerSource) per source (--max-components)")
        }
        state.storedComponents = count + 1
        return try store.componentID(sourceID: state.id, name: name, kind: kind)
    }

    /// The position of a counted event among the input's events of its component at `tsMs`.
    private func nextPosition(_ componentID: Int64, at tsMs: Int64) -> Int64 {
        let position = positions[componentID].map { $0.tsMs == tsMs ? $0.count : 0 } ?? 0
        positions[componentID] = (tsMs: tsMs, count: position + 1)
        return position
    }

    private func newestSampleMs(_ componentID: Int64) throws -> Int64? {
        if let cached = newestComponentMs[componentID] { return cached }
        let newest = try store.newestComponentSampleMs(componentID: componentID)
        newestComponentMs[componentID] = newest
        return newest
    }

    private func noteSample(_ componentID: Int64, at tsMs: Int64) {
        // In place, one lookup.
        Self.newest(&newestComponentMs[componentID, default: nil], tsMs)
    }

    /// Writes `sample` of `series`: kept for the batch's end when it is newer
    /// than everything stored (`fileNewestMs`, the newest this writer knows of), else a head row now.
    private func write(_ sample: RawSample, to series: SeriesID, fileNewestMs: Int64?) throws {
        // (Not sealing from memory, every sample counts as not newer: a head row.)
        let fileNewestMs = sealsFromMemory ? fileNewestMs : .max
        if let index = batch.index(forKey: series) {
            if batch.values[index].keep(sample, fileNewestMs: fileNewestMs) { return }
        } else {
            var writes = SeriesWrites(range: sample.tsMs...sample.tsMs)
            let kept = writes.keep(sample, fileNewestMs: fileNewestMs)
            batch[series] = writes
            if kept { return }
        }
        try store.insertHead(series, [sample])
    }

    /// The sample of `series` at `tsMs`, kept by this batch or stored.
    private func sample(_ series: SeriesID, atMs tsMs: Int64) throws -> RawSample? {
        if case .some(let kept) = batch[series]?.sample(atMs: tsMs) { return kept }
        return try store.rawSample(series, atMs: tsMs)
    }

    /// The newest sample of `series` at or before `ms` (of `runID` when
    /// given), kept by this batch or stored: a kept one is newer than any stored.
    private func latestSample(_ series: SeriesID, atOrBeforeMs ms: Int64 = .max, runID: Int64? = nil) throws -> RawSample? {
        if let kept = batch[series]?.unwritten.last(where: { $0.tsMs <= ms && (runID == nil || $0.runID == runID) }) { return kept }
        return try store.latestRawSample(series, atOrBeforeMs: ms, runID: runID)
    }

    private static func newest(_ newest: inout Int64?, _ ts: Int64) {
        newest = max(newest ?? ts, ts)
    }

    private static func conflict(_ field: String, at tsMs: Int64, stored: Int64, given: Int64) -> InputError {
        InputError(field: "ts_ms", message: "\(field) at \(tsMs) is already stored as \(stored), this line says \(given); "
            + "one millisecond holds one value (the stored one is kept)")
    }

    /// The state of source `name`, taken out of `sources` (the caller puts it
    /// back): a copy left in the dictionary would make every change to its
    /// components copy them all, an O(components) cost per event.
    private func sourceState(_ name: String, tsMs: Int64) throws -> SourceState {
        if let kept = recent {
            // Let go of the kept copy before the caller changes the state, so its components are not copied.
            recent = nil
            if kept.name == name { return kept.state }
            sources[kept.name] = kept.state
        }
        if let state = sources.removeValue(forKey: name) { return state }
        let id = try store.sourceID(named: name, create: true, nowMs: tsMs)!
        let run = try store.latestRun(sourceID: id)
        // A run closed cleanly is over: new events start a new one.
        return SourceState(id: id, runID: run?.endedMs == nil ? run?.id : nil,
                           newestSnapshotMs: try store.newestSnapshotMs(sourceID: id))
    }

    private func counters(_ state: inout SourceState, name: String, kind: ComponentKind, runID: Int64) throws -> Counters {
        if let existing = state.components[name] {
            guard existing.kind == kind else { throw Self.kindConflict(name, existing.kind) }
            return existing
        }
        // The component exists by now (componentID made it, within the limit).
        if let stored = try store.component(sourceID: state.id, name: name), stored.kind != kind {
            throw Self.kindConflict(name, stored.kind)
        }
        let id = try store.componentID(sourceID: state.id, name: name, kind: kind)
        var counters = Counters(componentID: id, kind: kind)
        if let latest = try latestSample(.component(id), runID: runID) {
            // Cumulative counters carry on from the run's newest sample; the
            // bytes split is not stored, so held bytes carry on as the net.
            counters.netBytes = latest.bytes
            counters.allocations = latest.allocations ?? 0
            counters.deallocations = latest.deallocations ?? 0
            counters.lastTsMs = latest.tsMs
            counters.eventsAtLastTs = latest.events ?? 1
        }
        state.components[name] = counters
        return counters
    }

    private func loadAllCounters(_ state: inout SourceState, runID: Int64) throws {
        for component in try store.components(sourceID: state.id) where state.components[component.name] == nil {
            guard try latestSample(.component(component.id), runID: runID) != nil else { continue }
            _ = try counters(&state, name: component.name, kind: component.kind, runID: runID)
        }
    }

    /// The run's newest usage at or before `ts`: its snapshot, else the sum of
    /// its components' held bytes; `nil` when the run recorded nothing.
    private func newestUsage(_ state: SourceState, runID: Int64, atMs ts: Int64) throws -> (tsMs: Int64, bytes: Int64)? {
        if let snapshot = try latestSample(.usage(sourceID: state.id), atOrBeforeMs: ts), snapshot.runID == runID {
            return (snapshot.tsMs, snapshot.bytes)
        }
        let times = state.components.values.compactMap(\.lastTsMs)
        guard let newest = times.max() else { return nil }
        guard let total = state.components.values.map(\.heldBytes).checkedSum() else {
            throw InputError(field: "event", message: "the components together hold more bytes than a 64-bit count can hold; give the baseline's usage_bytes")
        }
        return (newest, total)
    }

    private static func kindConflict(_ name: String, _ kind: ComponentKind) -> InputError {
        InputError(field: "component", message: kind == .counted
            ? "'\(name)' is a counted component (alloc_bytes/dealloc_bytes); allocated_bytes is for sampled ones"
            : "'\(name)' is a sampled component (allocated_bytes); alloc_bytes/dealloc_bytes are for counted ones")
    }

    // MARK: Baselines and retention

    /// Sets the baseline of `source` at `tsMs` to `usageBytes`, or to the
    /// source's latest usage then, with each component's held bytes.
    @discardableResult
    public func setBaseline(source: String, usageBytes: Int64?, tsMs: Int64) throws -> StoredBaseline {
        if let usageBytes { try InputRules.validateSize(usageBytes, field: "usage_bytes") }
        try InputRules.validateName(source, field: "source")
        lastBaselineSampleMs = nil
        try ingest([IngestEvent(source: source, tsMs: tsMs, kind: .baseline(usageBytes: usageBytes))], atomic: true)
        let id = try store.sourceID(named: source, create: false, nowMs: tsMs)!
        return try store.currentBaseline(sourceID: id)!
    }

    /// Clears the baseline of `source`; false when it had none.
    @discardableResult
    public func clearBaseline(source: String, tsMs: Int64) throws -> Bool {
        guard let id = try store.sourceID(named: source, create: false, nowMs: tsMs),
              try store.currentBaseline(sourceID: id) != nil else { return false }
        try store.inTransaction { try store.clearBaseline(sourceID: id, clearedMs: tsMs) }
        return true
    }

    // MARK: Sources

    /// Deletes `source` and everything recorded for it; throws naming the
    /// known sources when there is none by that name.
    public func deleteSource(_ source: String) throws {
        let id = try existingSourceID(source)
        try store.inTransaction { try store.deleteSource(sourceID: id) }
        sources.removeAll()
        recent = nil
        newestComponentMs.removeAll()
        openSlots.removeAll()
    }

    /// Renames `source`; throws when it does not exist or `newName` is taken.
    public func renameSource(_ source: String, to newName: String) throws {
        try InputRules.validateName(newName, field: "name")
        let id = try existingSourceID(source)
        if try store.sourceID(named: newName, create: false, nowMs: 0) != nil {
            throw InputError(field: "name", message: "a source named '\(newName)' already exists")
        }
        try store.inTransaction { try store.renameSource(sourceID: id, to: newName) }
        sources.removeAll()
        recent = nil
    }

    /// The id of `source`, or an error naming what exists.
    func existingSourceID(_ source: String) throws -> Int64 {
        if let id = try store.sourceID(named: source, create: false, nowMs: 0) { return id }
        throw InputError.unknownSource(source, known: try store.sources().map(\.name), path: store.path)
    }

    /// The retention policy stored in the file (defaults until one is stored).
    public func retentionPolicy() throws -> RetentionPolicy {
        try store.retentionPolicy()
    }

    /// Stores `policy` in the file for every writer to apply.
    public func setRetentionPolicy(_ policy: RetentionPolicy) throws {
        try store.storeRetentionPolicy(policy)
    }

    /// Applies the stored retention policy now.
    public func prune(nowMs: Int64) throws -> PruneResult {
        try store.prune(policy: try store.retentionPolicy(), nowMs: nowMs)
    }

    /// Prunes when the last prune is older than `intervalMs`; returns whether it ran.
    @discardableResult
    public func pruneIfDue(nowMs: Int64, intervalMs: Int64 = RetentionPolicy.hour) throws -> Bool {
        let last = try store.setting("retention.last_prune_ms") ?? 0
        guard nowMs - last >= intervalMs else { return false }
        _ = try prune(nowMs: nowMs)
        return true
    }
}
