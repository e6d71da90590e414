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
/// file, the busy timeout serialising their transactions.
public final class HistoryWriter {
    let store: HistoryStore
    private let logger: Logger
    private var sources: [String: SourceState] = [:]

    private struct Counters {
        var componentID: Int64
        var kind: ComponentKind
        var allocatedBytes: Int64 = 0
        var deallocatedBytes: Int64 = 0
        var allocations: Int64 = 0
        var deallocations: Int64 = 0
        var heldBytes: Int64 { max(0, allocatedBytes - deallocatedBytes) }
    }

    private struct SourceState {
        var id: Int64
        var runID: Int64?
        var components: [String: Counters] = [:]
    }

    public init(path: String, logger: Logger = Logger(label: "LeakHistory", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        store = try HistoryStore(path: path, logger: logger)
        self.logger = logger
    }

    public func close() throws {
        try store.close()
    }

    /// Writes `events` in one transaction. An event that contradicts the store
    /// (a gauge line for a counted component, say) is refused and listed; with
    /// `atomic`, one refusal writes nothing at all and throws it.
    @discardableResult
    public func ingest(_ events: [IngestEvent], atomic: Bool = false, lines: [Int]? = nil) throws -> IngestResult {
        var result = IngestResult(stored: 0, rejected: [])
        var touchedSnapshots: [Int64: ClosedRange<Int64>] = [:]
        var touchedComponents: [Int64: ClosedRange<Int64>] = [:]
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
            if case .allocation = event.kind {
                counters.allocatedBytes += bytes
                counters.allocations += 1
            } else {
                counters.deallocatedBytes += bytes
                counters.deallocations += 1
            }
            try store.insertComponentSample(componentID: counters.componentID, tsMs: event.tsMs, runID: runID,
                                            allocatedBytes: counters.heldBytes, allocations: counters.allocations,
                                            deallocations: counters.deallocations)
            state.components[name] = counters
            components[counters.componentID] = Self.extend(components[counters.componentID], event.tsMs)
        case .gauge(let name, let bytes):
            var counters = try self.counters(&state, name: name, kind: .gauge, runID: runID)
            counters.allocatedBytes = bytes
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
        if let stored = try store.component(sourceID: state.id, name: name), stored.kind != kind {
            throw Self.kindConflict(name, stored.kind)
        }
        let id = try store.componentID(sourceID: state.id, name: name, kind: kind)
        var counters = Counters(componentID: id, kind: kind)
        if let latest = try store.latestComponentSample(componentID: id, runID: runID) {
            // Cumulative counters carry on from the run's newest sample; the
            // bytes split is not stored, so held bytes carry on as allocated.
            counters.allocatedBytes = latest.allocatedBytes
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
        return state.components.values.reduce(0) { $0 + $1.heldBytes }
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
