import Foundation
import Logging
import SQLiteStore

/// What an ingest stored and what it refused.
public struct IngestResult: Sendable, Equatable {
    /// Events written (and committed).
    public var stored: Int
    /// Events refused, each naming its line and problem.
    public var rejected: [InputError]
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
    }

    private struct SourceState {
        var id: Int64
        var runID: Int64?
        var components: [String: Counters] = [:]
        /// Components the source has in the file, counted once per batch
        /// (another writer may have added some since the last one).
        var storedComponents: Int?
    }

    /// Components one source may have in the file, unless told otherwise:
    /// what every report, trend and scrape of the source reads.
    public static let defaultMaxComponentsPerSource = 10_000

    /// The most components one source may have; an event naming one more is refused.
    public let maxComponentsPerSource: Int

    /// How long a write waits, in all, for another writer of the file before it fails (`busy`).
    public static let defaultBusyTimeoutMilliseconds: Int32 = 60_000

    public init(path: String, maxComponentsPerSource: Int = HistoryWriter.defaultMaxComponentsPerSource,
                busyTimeoutMilliseconds: Int32 = HistoryWriter.defaultBusyTimeoutMilliseconds,
                logger: Logger = Logger(label: "LeakHistory", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        store = try HistoryStore(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, logger: logger)
        self.logger = logger
        self.maxComponentsPerSource = max(1, maxComponentsPerSource)
    }

    public func close() throws {
        try store.close()
    }

    /// Whether SQLite could open the file only for reading (its mode, or a
    /// read-only file system): every write will fail.
    public var isReadOnly: Bool { store.db.isReadOnly }

    /// Writes `events` in one transaction. An event that contradicts the store
    /// (a gauge line for a counted component, say) is refused and listed; with
    /// `atomic`, one refusal writes nothing at all and throws it.
    @discardableResult
    public func ingest(_ events: [IngestEvent], atomic: Bool = false, lines: [Int]? = nil) throws -> IngestResult {
        var result = IngestResult(stored: 0, rejected: [])
        var touchedSnapshots: [Int64: ClosedRange<Int64>] = [:]
        var touchedComponents: [Int64: ClosedRange<Int64>] = [:]
        for name in sources.keys { sources[name]?.storedComponents = nil }
        do {
            try store.db.inTransaction {
                for (index, event) in events.enumerated() {
                    do {
                        try apply(event, snapshots: &touchedSnapshots, components: &touchedComponents)
                        result.stored += 1
                    } catch var error as InputError {
                        error.line = error.line ?? lines?[index]
                        if atomic { throw error }
                        result.rejected.append(error)
                    }
                }
                for (sourceID, range) in touchedSnapshots {
                    try store.refreshSnapshotRollups(sourceID: sourceID, fromMs: range.lowerBound, toMs: range.upperBound)
                }
                for (componentID, range) in touchedComponents {
                    try store.refreshComponentRollups(componentID: componentID, fromMs: range.lowerBound, toMs: range.upperBound)
                }
            }
        } catch {
            // The transaction rolled back: forget state that may describe rows that are gone.
            sources.removeAll()
            store.forgetCachedIDs()
            throw error
        }
        return result
    }

    private func apply(_ event: IngestEvent, snapshots: inout [Int64: ClosedRange<Int64>],
                       components: inout [Int64: ClosedRange<Int64>]) throws {
        var state = try sourceState(event.source, tsMs: event.tsMs)
        defer { sources[event.source] = state }
        if state.runID == nil {
            state.runID = try store.startRun(sourceID: state.id, startedMs: event.tsMs, pid: nil, command: nil)
        }
        let runID = state.runID!
        switch event.kind {
        case .snapshot(let usage):
            try store.insertSnapshot(sourceID: state.id, tsMs: event.tsMs, runID: runID, usageBytes: usage)
            snapshots[state.id] = Self.extend(snapshots[state.id], event.tsMs)
        case .allocation(let name, let bytes), .deallocation(let name, let bytes):
            var counters = try self.counters(&state, name: name, kind: .counted, runID: runID)
            var isAllocation = false
            if case .allocation = event.kind { isAllocation = true }
            try counters.count(bytes, allocation: isAllocation, component: name)
            try store.insertComponentSample(componentID: counters.componentID, tsMs: event.tsMs, runID: runID,
                                            allocatedBytes: counters.heldBytes, allocations: counters.allocations,
                                            deallocations: counters.deallocations)
            state.components[name] = counters
            components[counters.componentID] = Self.extend(components[counters.componentID], event.tsMs)
        case .gauge(let name, let bytes):
            var counters = try self.counters(&state, name: name, kind: .gauge, runID: runID)
            counters.netBytes = bytes
            try store.insertComponentSample(componentID: counters.componentID, tsMs: event.tsMs, runID: runID,
                                            allocatedBytes: bytes, allocations: nil, deallocations: nil)
            state.components[name] = counters
            components[counters.componentID] = Self.extend(components[counters.componentID], event.tsMs)
        case .restart:
            try store.endRun(runID, endedMs: event.tsMs)
            state.runID = try store.startRun(sourceID: state.id, startedMs: event.tsMs, pid: nil, command: nil)
            state.components.removeAll()
        case .baseline(let usage):
            try loadAllCounters(&state, runID: runID)
            let usageBytes = try usage ?? currentUsage(state, atMs: event.tsMs)
            let entries = state.components.values.map { (componentID: $0.componentID, bytes: $0.heldBytes) }
            _ = try store.insertBaseline(sourceID: state.id, runID: runID, tsMs: event.tsMs, usageBytes: usageBytes,
                                         componentBytes: entries.sorted { $0.componentID < $1.componentID })
        }
    }

    private static func extend(_ range: ClosedRange<Int64>?, _ ts: Int64) -> ClosedRange<Int64> {
        guard let range else { return ts...ts }
        return min(range.lowerBound, ts)...max(range.upperBound, ts)
    }

    private func sourceState(_ name: String, tsMs: Int64) throws -> SourceState {
        if let state = sources[name] { return state }
        let id = try store.sourceID(named: name, create: true, nowMs: tsMs)!
        let run = try store.latestRun(sourceID: id)
        // A run closed cleanly is over: new events start a new one.
        return SourceState(id: id, runID: run?.endedMs == nil ? run?.id : nil)
    }

    private func counters(_ state: inout SourceState, name: String, kind: ComponentKind, runID: Int64) throws -> Counters {
        if let existing = state.components[name] {
            guard existing.kind == kind else { throw Self.kindConflict(name, existing.kind) }
            return existing
        }
        if let stored = try store.component(sourceID: state.id, name: name) {
            if stored.kind != kind { throw Self.kindConflict(name, stored.kind) }
        } else {
            let count = try state.storedComponents ?? store.componentCount(sourceID: state.id)
            state.storedComponents = count
            guard count < maxComponentsPerSource else {
                throw InputError(field: "component", message: "'\(name)' would be one component too many: this source already has \(count) components and the limit is \(maxComponentsPerSource) per source (--max-components)")
            }
            state.storedComponents = count + 1
        }
        let id = try store.componentID(sourceID: state.id, name: name, kind: kind)
        var counters = Counters(componentID: id, kind: kind)
        if let latest = try store.latestComponentSample(componentID: id, runID: runID) {
            // Cumulative counters carry on from the run's newest sample; the
            // bytes split is not stored, so held bytes carry on as the net.
            counters.netBytes = latest.allocatedBytes
            counters.allocations = latest.allocations ?? 0
            counters.deallocations = latest.deallocations ?? 0
        }
        state.components[name] = counters
        return counters
    }

    private func loadAllCounters(_ state: inout SourceState, runID: Int64) throws {
        for component in try store.components(sourceID: state.id) where state.components[component.name] == nil {
            guard try store.latestComponentSample(componentID: component.id, runID: runID) != nil else { continue }
            _ = try counters(&state, name: component.name, kind: component.kind, runID: runID)
        }
    }

    private func currentUsage(_ state: SourceState, atMs ts: Int64) throws -> Int64 {
        if let snapshot = try store.latestSnapshot(sourceID: state.id, atOrBeforeMs: ts), snapshot.runID == state.runID {
            return snapshot.usageBytes
        }
        guard let total = state.components.values.map(\.heldBytes).checkedSum() else {
            throw InputError(field: "event", message: "the components together hold more bytes than a 64-bit count can hold; give the baseline's usage_bytes")
        }
        return total
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
        try ingest([IngestEvent(source: source, tsMs: tsMs, kind: .baseline(usageBytes: usageBytes))], atomic: true)
        let id = try store.sourceID(named: source, create: false, nowMs: tsMs)!
        return try store.currentBaseline(sourceID: id)!
    }

    /// Clears the baseline of `source`; false when it had none.
    @discardableResult
    public func clearBaseline(source: String, tsMs: Int64) throws -> Bool {
        guard let id = try store.sourceID(named: source, create: false, nowMs: tsMs),
              try store.currentBaseline(sourceID: id) != nil else { return false }
        try store.db.inTransaction { try store.clearBaseline(sourceID: id, clearedMs: tsMs) }
        return true
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
