import LeakHistoryAnalysis
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
        /// Held bytes by component index; a component past its end was born later (reference 0).
        var componentBytes: [Int64]
        var restored: Bool
        /// For a restored baseline with a warm-up: whether the component
        /// references were taken at the end of the warm-up yet.
        var awaitingWarmupReferences: Bool
    }

    private struct State {
        var samples: RingBuffer<Sample>
        var nextSeq: Int64 = 1
        var baseline: Baseline?
        /// Per component index: held bytes at the history samples, for the
        /// references when there is no baseline.
        var tracks: [ReferenceTrack] = []
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
    /// `overlaps`: the component overlaps others (see `ComponentHandle.overlaps`);
    /// the first call's kind and overlap hold for the handle's life.
    /// Throws `InputError` for a bad name or when `maxComponents` is reached.
    public func component(_ name: String, kind: ComponentKind = .counted, overlaps: Bool = false) throws -> ComponentHandle {
        if let existing = registry.withExisting(name, { $0 }) { return existing }
        try InputRules.validateName(name)
        guard let handle = registry.handle(named: name, kind: kind, overlaps: overlaps, now: now) else {
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
        let bytes = handles.map { $0.totals.heldBytes }
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
            s.baseline = Baseline(tsMs: tsMs, usageBytes: usageBytes, componentBytes: [], restored: true,
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
                for h in handles where h.index < b.componentBytes.count { named[h.name] = b.componentBytes[h.index] }
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
        takeWarmupReferencesIfDue(nowMs: UnixTime.milliseconds(now()))
    }

    private func takeWarmupReferencesIfDue(nowMs: Int64) {
        guard config.warmupSecs > 0 else { return }
        let warmupMs = Int64(clamping: config.warmupSecs) * 1000
        let due = state.withLock { s in
            s.baseline?.awaitingWarmupReferences == true && nowMs - s.runStartMs >= warmupMs
        }
        guard due else { return }
        let bytes = registry.all.map { $0.totals.heldBytes }
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
        if s.tracks.count < handles.count {
            s.tracks += repeatElement(ReferenceTrack(), count: handles.count - s.tracks.count)
        }
        for h in handles {
            s.tracks[h.index].record(h.totals.heldBytes, atSeq: seq)
        }
        // A track needs nothing older than the oldest sample still held.
        guard dropped != nil, let oldest = s.samples.first?.seq else { return }
        for i in s.tracks.indices { s.tracks[i].forget(before: oldest) }
    }

    // MARK: Detection

    /// The report for now, with `currentUsageMB` as current usage. Adds nothing to the history.
    public func detectLeaks(currentUsageMB: Int) -> LeakReport {
        detectLeaks(currentUsageBytes: ByteSize.bytes(mb: currentUsageMB))
    }

    /// The report for now, with `currentUsageBytes` as current usage. Adds nothing to the history.
    public func detectLeaks(currentUsageBytes: Int64) -> LeakReport {
        ReportBuilder.build(reportInputs(currentUsageBytes: currentUsageBytes))
    }

    /// What the live report is built from (the recorder and the watcher add to it).
    package func reportInputs(currentUsageBytes: Int64) -> ReportInputs {
        let nowMs = UnixTime.milliseconds(now())
        takeWarmupReferencesIfDue(nowMs: nowMs)
        let cutoff = nowMs - Int64(clamping: config.timeWindowSecs) * 1000
        let handles = registry.all

        let (window, baseline, references, runStartMs, cachedTrend) = state.withLock { s in
            var window = s.samples.elements
            window.removeAll { $0.tsMs < cutoff }
            // Usually already in time order; a clock that stepped back needs a
            // stable sort (equal timestamps keep insertion order).
            if zip(window, window.dropFirst()).contains(where: { $0.tsMs > $1.tsMs }) {
                window = window.enumerated().sorted { ($0.element.tsMs, $0.offset) < ($1.element.tsMs, $1.offset) }.map(\.element)
            }
            // Indexed by component; a component born after the reference point
            // (past the end of the array) has 0.
            var references: [Int64] = []
            if let b = s.baseline {
                references = b.componentBytes
            } else if let oldest = window.first {
                references = s.tracks.map { $0.value(atSeq: oldest.seq) }
            }
            return (window, s.baseline, references, s.runStartMs, s.cachedTrend)
        }

        var firstVersusLast = FirstVersusLast.zero
        if window.count >= 2, let oldest = window.first, let newest = window.last {
            firstVersusLast = FirstVersusLast(growthBytes: Double(newest.usageBytes - oldest.usageBytes),
                                              firstBytes: oldest.usageBytes, spanMs: newest.tsMs - oldest.tsMs)
        }

        // Below the samples a trend needs the verdict says "insufficient data"
        // (cheaply), and the live rules let the threshold decide (SPEC §3).
        var trend: TrendVerdict?
        if !window.isEmpty {
            // The verdict depends only on the samples in the window: reuse it
            // until a sample arrives or leaves.
            var key = TrendKey(oldestSeq: .max, newestSeq: .min, count: window.count)
            for sample in window {
                key.oldestSeq = min(key.oldestSeq, sample.seq)
                key.newestSeq = max(key.newestSeq, sample.seq)
            }
            if let cachedTrend, cachedTrend.key == key {
                trend = cachedTrend.verdict
            } else {
                let series = MemorySeries(points: window.map { TrendPoint(tMs: $0.tsMs, bytes: $0.usageBytes, runID: $0.runID) },
                                          runStarts: [1: runStartMs])
                let verdict = TrendAnalyzer(config: config).verdict(for: series)
                state.withLock { $0.cachedTrend = (key, verdict) }
                trend = verdict
            }
        }

        let usageReference = (baseline?.usageBytes ?? 0) > 0 ? baseline!.usageBytes : currentUsageBytes
        let candidates = liveCandidates(handles, references: references, usageReferenceBytes: usageReference, nowMs: nowMs)
        var notes: [String] = []
        if let baseline, baseline.restored {
            notes.append("Baseline restored from an earlier run (set \(AnalysisText.timestamp(ms: baseline.tsMs)))")
        }
        return ReportInputs(
            mode: .live, config: config, firstVersusLast: firstVersusLast, sampleCount: window.count,
            currentBytes: currentUsageBytes, baselineBytes: baseline?.usageBytes, usageTrend: trend,
            candidates: candidates, notes: notes, timeWindowSecs: config.timeWindowSecs,
            timestampSecs: UInt64(max(0, nowMs / 1000)))
    }

    /// What one pass over the components keeps of a candidate: its figures
    /// as read once, and the rules it met.
    private struct Hit {
        /// Copied in the pass, so building the candidates reads no handle again.
        var name: String
        var rules: UInt8
        var severity: LeakSeverity = .low
        var growthBytes: Int64
        var share = 0.0
        var retention: Double?
        var totals: ComponentTotals
    }

    /// The live candidates (SPEC §3), in report order. One pass reads each
    /// component once and keeps only candidates; the gross growth is known at
    /// its end, then severities, then one packed sort, and each candidate is
    /// built once, in its final place. Ties keep the order components were
    /// first tracked.
    private func liveCandidates(
        _ handles: [ComponentHandle], references: [Int64], usageReferenceBytes: Int64, nowMs: Int64
    ) -> [LeakCandidate] {
        let floor = LeakClassifier.sizeFloor(usageReferenceBytes: usageReferenceBytes, config: config)
        var gross: Int64 = 0
        // A plain buffer: each hit is moved out exactly once into its
        // candidate, so nothing is copied or reference-counted twice.
        let hits = UnsafeMutablePointer<Hit>.allocate(capacity: handles.count)
        defer { hits.deallocate() }
        var count = 0
        handles.withUnsafeBufferPointer { handles in
            for position in handles.indices {
                // Borrowed, not retained: `handles` keeps every handle alive.
                Unmanaged.passUnretained(handles[position])._withUnsafeGuaranteedRef { h in
                    let totals = h.totals
                    let growth = totals.heldBytes &- (h.index < references.count ? references[h.index] : 0)
                    guard growth > 0 else { return }
                    gross &+= growth
                    let retention = LeakClassifier.retention(kind: h.kind, totals: totals)
                    let rules = LeakClassifier.rules(kind: h.kind, totals: totals, retention: retention, growthBytes: growth,
                                                     sizeFloor: floor, config: config)
                    if rules != 0 {
                        (hits + count).initialize(to: Hit(name: h.name, rules: rules, growthBytes: growth,
                                                          retention: retention, totals: totals))
                        count += 1
                    }
                }
            }
        }
        for i in 0..<count {
            hits[i].share = LeakClassifier.share(growthBytes: hits[i].growthBytes, grossGrowthBytes: gross)
            hits[i].severity = config.severity.classify(allocatedBytes: hits[i].totals.heldBytes, sharePercent: hits[i].share)
        }
        let order = LeakClassifier.reportOrder(count: count) { (hits[$0].severity, hits[$0].totals.heldBytes) }
        return [LeakCandidate](unsafeUninitializedCapacity: count) { buffer, initialized in
            for (slot, i) in order.enumerated() {
                let hit = (hits + i).move()
                (buffer.baseAddress! + slot).initialize(to: LeakCandidate(
                    component: hit.name, totals: hit.totals, growthBytes: hit.growthBytes,
                    ageSecs: hit.totals.firstEventMs.map { UInt64(max(0, nowMs - $0) / 1000) } ?? 0,
                    severity: hit.severity,
                    share: hit.share, retention: hit.retention, rules: hit.rules, trend: nil))
                initialized = slot + 1
            }
        }
    }
}

/// One component's held bytes at the history samples, compactly: its value
/// at `baseSeq` and, after it, each change as a byte string of two LEB128
/// numbers (samples since the previous change, zigzag change in bytes). A
/// component that changes at every sample costs ~3 bytes a sample, not 16;
/// one that never changes costs nothing past this struct.
struct ReferenceTrack {
    /// The first sample the track knows, or `nil` before the component's first sample.
    private var baseSeq: Int64?
    /// Held bytes at `baseSeq` (after forgetting: at the oldest sample held).
    private var base: Int64 = 0
    /// Held bytes at the newest change, to see the next one.
    private var last: Int64 = 0
    /// Sequence number of the newest change (or `baseSeq`).
    private var lastSeq: Int64 = 0
    private var changes: [UInt8] = []

    /// Notes the held bytes at sample `seq` (samples come in increasing `seq`).
    mutating func record(_ bytes: Int64, atSeq seq: Int64) {
        guard baseSeq != nil else {
            baseSeq = seq
            base = bytes
            last = bytes
            lastSeq = seq
            return
        }
        guard bytes != last else { return }
        // Both are ≥ 0, so the difference cannot overflow.
        let delta = bytes - last
        // Grow by a quarter, not double: thousands of tracks each hold
        // about a history's worth of changes, and doubling would leave up
        // to half of every buffer unused.
        if changes.capacity - changes.count < 20 {
            changes.reserveCapacity(changes.count + changes.count / 4 + 32)
        }
        Self.append(UInt64(seq - lastSeq), to: &changes)
        Self.append(UInt64(bitPattern: (delta << 1) ^ (delta >> 63)), to: &changes)
        last = bytes
        lastSeq = seq
    }

    /// Held bytes at sample `seq`; 0 before the component's first sample.
    func value(atSeq seq: Int64) -> Int64 {
        guard let baseSeq, seq >= baseSeq else { return 0 }
        return walk(upTo: seq).value
    }

    /// Drops the changes at or before sample `seq` into the base: no report
    /// asks for a sample older than the oldest one held.
    mutating func forget(before seq: Int64) {
        guard let baseSeq, seq > baseSeq, !changes.isEmpty else { return }
        let (value, at, consumed) = walk(upTo: seq)
        guard consumed > 0 else { return }
        base = value
        self.baseSeq = at
        changes.removeFirst(consumed)
    }

    /// The value at `seq`, the sequence number of the last change at or
    /// before it, and the bytes of changes read up to there.
    private func walk(upTo seq: Int64) -> (value: Int64, at: Int64, consumed: Int) {
        var value = base
        var at = baseSeq ?? 0
        var offset = 0
        while offset < changes.count {
            var next = offset
            let gap = Int64(bitPattern: Self.read(changes, &next))
            guard at + gap <= seq else { break }
            let zigzag = Self.read(changes, &next)
            value &+= Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
            at += gap
            offset = next
        }
        return (value, at, offset)
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private static func read(_ bytes: [UInt8], _ offset: inout Int) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = bytes[offset]
            offset += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }
}
