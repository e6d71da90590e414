import Foundation
import Synchronization

/// One usage sample of the live history.
public struct HistorySample: Sendable, Equatable {
    public var tsMs: Int64
    public var usageBytes: Int64
    /// True for the baseline's own entry.
    public var isBaseline: Bool
}

/// The baseline in force: when it was set, the usage then, and each
/// component's held bytes then (by name).
public struct BaselineSnapshot: Sendable, Equatable {
    public var tsMs: Int64
    public var usageBytes: Int64
    public var componentBytes: [String: Int64]
    /// True when it was restored from the store after a restart.
    public var restored: Bool
}

/// In-memory, thread-safe leak detection with the seed's API.
///
/// ```swift
/// let detector = LeakDetector()
/// detector.setBaseline(usageMB: 100)
/// detector.trackAllocation("cache", sizeMB: 100)
/// detector.recordSnapshot(usageMB: 200)
/// let report = detector.detectLeaks(currentUsageMB: 200)
/// ```
///
/// Tracking by name finds the component without a lock; `component(_:)`
/// returns a handle that skips even the lookup. History, baseline and
/// reference points sit behind one mutex that tracking never takes.
///
/// Sizes that are negative, and names that are empty, longer than 256 bytes
/// or hold control characters, are not tracked: they are counted in
/// `rejectedEventCount`, since the seed's API cannot throw. `component(_:)`
/// throws for them instead.
public final class LeakDetector: Sendable {
    public let config: LeakDetectionConfig
    let now: @Sendable () -> Date
    let registry: ComponentRegistry
    private let state: Mutex<State>
    private let rejected = Atomic<Int>(0)

    private struct Checkpoint {
        var seq: Int64
        var heldBytes: Int64
    }

    private struct Sample {
        var tsMs: Int64
        var usageBytes: Int64
        var seq: Int64
        var runID: Int64
        var isBaseline: Bool
    }

    private struct Baseline {
        var tsMs: Int64
        var usageBytes: Int64
        /// Held bytes by component index; a component missing here was born later (reference 0).
        var componentBytes: [Int: Int64]
        var restored: Bool
        /// For a restored baseline with a warm-up: whether the component
        /// references were taken at the end of the warm-up yet.
        var awaitingWarmupReferences: Bool
    }

    private struct State {
        var samples: RingBuffer<Sample>
        var nextSeq: Int64 = 1
        var baseline: Baseline?
        /// Per component index: held bytes at the history samples where it changed.
        var checkpoints: [[Checkpoint]] = []
        var runStartMs: Int64
        /// The last trend verdict and the window it was computed for
        /// (oldest and newest sequence numbers, sample count).
        var cachedTrend: (key: TrendKey, verdict: TrendVerdict)?
    }

    private struct TrendKey: Equatable {
        var oldestSeq: Int64
        var newestSeq: Int64
        var count: Int
    }

    /// A detector with `config` and a clock (inject one in tests; nothing sleeps).
    /// `maxComponents` bounds memory: further names are rejected and counted.
    public init(
        config: LeakDetectionConfig = .init(),
        maxComponents: Int = 100_000,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.config = config
        self.now = now
        registry = ComponentRegistry(maxComponents: maxComponents)
        state = Mutex(State(samples: RingBuffer(capacity: config.maxHistorySamples),
                            runStartMs: UnixTime.milliseconds(now())))
    }

    // MARK: Tracking

    /// Counts an allocation of `sizeMB` MiB for `component`.
    public func trackAllocation(_ component: String, sizeMB: Int) {
        trackAllocation(component, bytes: ByteSize.bytes(mb: sizeMB))
    }

    /// Counts a deallocation of `sizeMB` MiB for `component`.
    public func trackDeallocation(_ component: String, sizeMB: Int) {
        trackDeallocation(component, bytes: ByteSize.bytes(mb: sizeMB))
    }

    /// Counts an allocation of `bytes` for `component`.
    public func trackAllocation(_ component: String, bytes: Int64) {
        guard bytes >= 0 else { return reject() }
        if registry.withExisting(component, { $0.trackAllocation(bytes: bytes) }) == nil {
            guard let handle = try? self.component(component) else { return reject() }
            handle.trackAllocation(bytes: bytes)
        }
    }

    /// Counts a deallocation of `bytes` for `component`.
    public func trackDeallocation(_ component: String, bytes: Int64) {
        guard bytes >= 0 else { return reject() }
        if registry.withExisting(component, { $0.trackDeallocation(bytes: bytes) }) == nil {
            guard let handle = try? self.component(component) else { return reject() }
            handle.trackDeallocation(bytes: bytes)
        }
    }

    /// Sets a sampled (gauge) component's held bytes.
    public func setGauge(_ component: String, bytes: Int64) {
        guard bytes >= 0, let handle = try? self.component(component, kind: .gauge) else { return reject() }
        handle.set(bytes: bytes)
    }

    /// The handle of `name`, created on first use. A handle tracks with no lookup.
    /// Throws `InputError` for a bad name or when `maxComponents` is reached.
    public func component(_ name: String, kind: ComponentKind = .counted) throws -> ComponentHandle {
        if let existing = registry.withExisting(name, { $0 }) { return existing }
        try InputRules.validateName(name)
        guard let handle = registry.handle(named: name, kind: kind, now: now) else {
            throw InputError(field: "component", message: "the detector already tracks \(registry.maxComponents) components; '\(name)' was not added")
        }
        return handle
    }

    /// Events refused for a bad name, a negative size or a full registry.
    public var rejectedEventCount: Int { rejected.load(ordering: .relaxed) }

    private func reject() {
        rejected.wrappingAdd(1, ordering: .relaxed)
    }

    // MARK: History and baseline

    /// Records total usage of `usageMB` MiB now.
    public func recordSnapshot(usageMB: Int) {
        recordSnapshot(usageBytes: ByteSize.bytes(mb: usageMB))
    }

    /// Records total usage of `usageBytes` now (negative is rejected).
    public func recordSnapshot(usageBytes: Int64) {
        guard usageBytes >= 0 else { return reject() }
        let ts = UnixTime.milliseconds(now())
        let handles = registry.all
        state.withLock { appendSample(&$0, tsMs: ts, usageBytes: usageBytes, isBaseline: false, handles: handles) }
    }

    /// Sets the baseline to `usageMB` MiB now; it also enters the history.
    public func setBaseline(usageMB: Int) {
        setBaseline(usageBytes: ByteSize.bytes(mb: usageMB))
    }

    /// Sets the baseline to `usageBytes` now, with every component's held bytes now.
    public func setBaseline(usageBytes: Int64) {
        guard usageBytes >= 0 else { return reject() }
        let ts = UnixTime.milliseconds(now())
        let handles = registry.all
        var bytes: [Int: Int64] = [:]
        for h in handles { bytes[h.index] = h.totals.heldBytes }
        state.withLock { s in
            s.baseline = Baseline(tsMs: ts, usageBytes: usageBytes, componentBytes: bytes, restored: false,
                                  awaitingWarmupReferences: false)
            appendSample(&s, tsMs: ts, usageBytes: usageBytes, isBaseline: true, handles: handles)
        }
    }

    /// Puts back a baseline kept from an earlier run. It is the usage reference of
    /// this run; the component references are this run's start (zero), or the
    /// values at the end of the warm-up when `config.warmupSecs` is set.
    public func restoreBaseline(tsMs: Int64, usageBytes: Int64) {
        state.withLock { s in
            s.baseline = Baseline(tsMs: tsMs, usageBytes: usageBytes, componentBytes: [:], restored: true,
                                  awaitingWarmupReferences: config.warmupSecs > 0)
            // It belongs to an earlier run: its entry never counts as this run's start.
            s.samples.append(Sample(tsMs: tsMs, usageBytes: usageBytes, seq: s.nextSeq, runID: 0, isBaseline: true))
            s.nextSeq += 1
        }
    }

    /// Removes the baseline; references fall back to the oldest sample in the window.
    public func clearBaseline() {
        state.withLock { $0.baseline = nil }
    }

    /// The baseline in force, if any.
    public var baseline: BaselineSnapshot? {
        let handles = registry.all
        return state.withLock { s in
            s.baseline.map { b in
                var named: [String: Int64] = [:]
                for h in handles { if let v = b.componentBytes[h.index] { named[h.name] = v } }
                return BaselineSnapshot(tsMs: b.tsMs, usageBytes: b.usageBytes, componentBytes: named, restored: b.restored)
            }
        }
    }

    /// The usage history, oldest first (at most `maxHistorySamples`).
    public var history: [HistorySample] {
        state.withLock { s in
            s.samples.elements.map { HistorySample(tsMs: $0.tsMs, usageBytes: $0.usageBytes, isBaseline: $0.isBaseline) }
        }
    }

    /// Every component with its figures now, in registration order.
    public var components: [(name: String, kind: ComponentKind, totals: ComponentTotals)] {
        registry.all.map { ($0.name, $0.kind, $0.totals) }
    }

    /// Takes the component references of a restored run once its warm-up is over.
    /// The recorder calls it on every flush; `detectLeaks` calls it too.
    public func takeWarmupReferencesIfDue() {
        let nowMs = UnixTime.milliseconds(now())
        let warmupMs = Int64(clamping: config.warmupSecs) * 1000
        let due = state.withLock { s in
            s.baseline?.awaitingWarmupReferences == true && nowMs - s.runStartMs >= warmupMs
        }
        guard due else { return }
        var bytes: [Int: Int64] = [:]
        for h in registry.all { bytes[h.index] = h.totals.heldBytes }
        state.withLock { s in
            guard s.baseline?.awaitingWarmupReferences == true else { return }
            s.baseline?.componentBytes = bytes
            s.baseline?.awaitingWarmupReferences = false
        }
    }

    private func appendSample(_ s: inout State, tsMs: Int64, usageBytes: Int64, isBaseline: Bool, handles: [ComponentHandle]) {
        let seq = s.nextSeq
        s.nextSeq += 1
        let dropped = s.samples.append(Sample(tsMs: tsMs, usageBytes: usageBytes, seq: seq, runID: 1, isBaseline: isBaseline))
        if s.checkpoints.count < handles.count {
            s.checkpoints += Array(repeating: [], count: handles.count - s.checkpoints.count)
        }
        for h in handles {
            let held = h.totals.heldBytes
            if s.checkpoints[h.index].last?.heldBytes != held {
                s.checkpoints[h.index].append(Checkpoint(seq: seq, heldBytes: held))
            }
        }
        guard dropped != nil, let oldest = s.samples.first?.seq else { return }
        // Keep, per component, the newest checkpoint at or before the oldest
        // sample still held, since it gives the value at that sample.
        for i in s.checkpoints.indices {
            let cps = s.checkpoints[i]
            guard cps.count > 1, cps[1].seq <= oldest else { continue }
            let keepFrom = (cps.lastIndex { $0.seq <= oldest }) ?? 0
            s.checkpoints[i].removeFirst(keepFrom)
        }
    }

    private static func value(_ checkpoints: [Checkpoint], atSeq seq: Int64) -> Int64 {
        checkpoints.last { $0.seq <= seq }?.heldBytes ?? 0
    }

    // MARK: Detection

    /// The report for now, with `currentUsageMB` as current usage. Adds nothing to the history.
    public func detectLeaks(currentUsageMB: Int) -> LeakReport {
        detectLeaks(currentUsageBytes: ByteSize.bytes(mb: currentUsageMB))
    }

    /// The report for now, with `currentUsageBytes` as current usage. Adds nothing to the history.
    public func detectLeaks(currentUsageBytes: Int64) -> LeakReport {
        takeWarmupReferencesIfDue()
        let nowMs = UnixTime.milliseconds(now())
        let cutoff = nowMs - Int64(clamping: config.timeWindowSecs) * 1000
        let handles = registry.all

        let (window, baseline, references, runStartMs) = state.withLock { s in
            var window = s.samples.elements.filter { $0.tsMs >= cutoff }
            // Usually already in time order; a clock that stepped back needs a
            // stable sort (equal timestamps keep insertion order).
            if zip(window, window.dropFirst()).contains(where: { $0.tsMs > $1.tsMs }) {
                window = window.enumerated().sorted { ($0.element.tsMs, $0.offset) < ($1.element.tsMs, $1.offset) }.map(\.element)
            }
            // Indexed by component; a component born after the reference point has 0.
            var references = [Int64](repeating: 0, count: handles.count)
            if let b = s.baseline {
                for (index, bytes) in b.componentBytes where index < references.count { references[index] = bytes }
            } else if let oldest = window.first {
                for i in s.checkpoints.indices where i < references.count {
                    references[i] = Self.value(s.checkpoints[i], atSeq: oldest.seq)
                }
            }
            return (window, s.baseline, references, s.runStartMs)
        }

        var growthRate = 0.0
        var mbPerMinute = 0.0
        if window.count >= 2, let oldest = window.first, let newest = window.last {
            let delta = newest.usageBytes - oldest.usageBytes
            if oldest.usageBytes > 0 { growthRate = Double(delta) / Double(oldest.usageBytes) * 100 }
            let minutes = Double(newest.tsMs - oldest.tsMs) / 60_000
            if minutes > 0 { mbPerMinute = ByteSize.mb(delta) / minutes }
        }

        var trend: TrendVerdict?
        if window.count >= config.trendMinSamples {
            // The verdict depends only on the samples in the window: reuse it
            // until a sample arrives or leaves.
            let key = TrendKey(oldestSeq: window.map(\.seq).min() ?? 0, newestSeq: window.map(\.seq).max() ?? 0, count: window.count)
            if let cached = state.withLock({ $0.cachedTrend }), cached.key == key {
                trend = cached.verdict
            } else {
                let points = window.map { TrendPoint(tMs: $0.tsMs, bytes: $0.usageBytes, runID: $0.runID) }
                let verdict = TrendAnalyzer(config: config).verdict(for: points, runStarts: [1: runStartMs])
                state.withLock { $0.cachedTrend = (key, verdict) }
                trend = verdict
            }
        }

        // Only growing components can be candidates or count in the growth shares.
        var figures: [ComponentFigures] = []
        for h in handles {
            let totals = h.totals
            let growth = totals.heldBytes - references[h.index]
            guard growth > 0 else { continue }
            let age = totals.firstEventMs.map { UInt64(max(0, nowMs - $0) / 1000) } ?? 0
            figures.append(ComponentFigures(name: h.name, kind: h.kind, totals: totals, growthBytes: growth, ageSecs: age, trend: nil))
        }
        let usageReference = (baseline?.usageBytes ?? 0) > 0 ? baseline!.usageBytes : currentUsageBytes
        let candidates = LeakClassifier.candidates(figures, usageReferenceBytes: usageReference, config: config, mode: .live)
        let growthConfirmed = growthRate > config.growthThreshold && trend?.status != .notLeaking
        var notes: [String] = []
        if baseline?.restored == true {
            notes.append("Baseline restored from an earlier run (set \(ISO8601DateFormatter().string(from: UnixTime.date(milliseconds: baseline!.tsMs))))")
        }
        return LeakReport(
            hasLeaks: !candidates.isEmpty || growthConfirmed,
            overallGrowthRate: growthRate,
            growthMBPerMinute: mbPerMinute,
            timeWindowSecs: config.timeWindowSecs,
            leakCandidates: candidates,
            recommendations: LeakClassifier.recommendations(
                overallGrowthRate: growthRate, config: config, candidates: candidates, usageTrend: trend, notes: notes),
            baselineBytes: baseline?.usageBytes,
            currentBytes: currentUsageBytes,
            timestamp: UInt64(max(0, nowMs / 1000)),
            sampleCount: window.count,
            trend: trend
        )
    }
}
