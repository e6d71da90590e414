import Foundation
import Synchronization

/// Whether a component's figures come from counted events or from sampling.
public enum ComponentKind: Int, Sendable, Codable {
    /// Allocations and deallocations are tracked; held bytes are their difference.
    case counted = 0
    /// Held bytes are sampled (a process watcher); there are no counts.
    case gauge = 1
}

/// A component's counters, for tracking without a name lookup.
///
/// ```swift
/// let cache = detector.component("cache")
/// cache.trackAllocation(bytes: 4096)     // a few atomic adds, no lock
/// cache.trackDeallocation(bytes: 4096)
/// ```
///
/// Updates are spread over a few cache-line-sized stripes chosen by thread,
/// so threads tracking the same component rarely touch the same line.
public final class ComponentHandle: @unchecked Sendable {
    // @unchecked: `stripes` is raw memory owned by this object and only ever
    // touched through atomics.
    public let name: String
    public let kind: ComponentKind
    /// Registration order within its detector.
    let index: Int

    private static let stripeCount = 8
    private static let countersPerStripe = 8  // 8 × 8 bytes: one 64-byte line
    private static let allocatedSlot = 0, deallocatedSlot = 1, allocationsSlot = 2, deallocationsSlot = 3
    private let stripes: UnsafeMutablePointer<Atomic<Int64>>
    private let gauge = Atomic<Int64>(0)
    private let firstEventMs = Atomic<Int64>(0)
    private let now: @Sendable () -> Date

    init(name: String, kind: ComponentKind, index: Int, now: @escaping @Sendable () -> Date) {
        self.name = name
        self.kind = kind
        self.index = index
        self.now = now
        let slots = Self.stripeCount * Self.countersPerStripe
        let raw = UnsafeMutableRawPointer.allocate(byteCount: slots * MemoryLayout<Int64>.stride, alignment: 64)
        stripes = raw.bindMemory(to: Atomic<Int64>.self, capacity: slots)
        for i in 0..<slots { (stripes + i).initialize(to: Atomic(0)) }
    }

    deinit {
        stripes.deinitialize(count: Self.stripeCount * Self.countersPerStripe)
        UnsafeMutableRawPointer(stripes).deallocate()
    }

    /// Counts an allocation of `bytes` (negative sizes are ignored).
    @inlinable
    public func trackAllocation(bytes: Int64) {
        add(bytes: bytes, bytesSlot: 0, countSlot: 2)
    }

    /// Counts a deallocation of `bytes` (negative sizes are ignored).
    @inlinable
    public func trackDeallocation(bytes: Int64) {
        add(bytes: bytes, bytesSlot: 1, countSlot: 3)
    }

    /// Sets a gauge component's held bytes (a sampled value; negative is ignored).
    public func set(bytes: Int64) {
        guard bytes >= 0 else { return }
        gauge.store(bytes, ordering: .relaxed)
        noteEvent()
    }

    @usableFromInline
    func add(bytes: Int64, bytesSlot: Int, countSlot: Int) {
        guard bytes >= 0 else { return }
        let stripe = stripes + (ThreadStripe.current & (Self.stripeCount - 1)) * Self.countersPerStripe
        stripe[bytesSlot].wrappingAdd(bytes, ordering: .relaxed)
        stripe[countSlot].wrappingAdd(1, ordering: .relaxed)
        noteEvent()
    }

    @inline(__always)
    private func noteEvent() {
        if firstEventMs.load(ordering: .relaxed) == 0 {
            _ = firstEventMs.compareExchange(expected: 0, desired: max(1, UnixTime.milliseconds(now())), ordering: .relaxed)
        }
    }

    /// The component's current figures, summed over its stripes.
    public var totals: ComponentTotals {
        if kind == .gauge {
            return ComponentTotals(allocatedBytesTotal: gauge.load(ordering: .relaxed), deallocatedBytesTotal: 0,
                                   allocations: nil, deallocations: nil, firstEventMs: firstEvent)
        }
        var sums = (Int64(0), Int64(0), Int64(0), Int64(0))
        for s in 0..<Self.stripeCount {
            let stripe = stripes + s * Self.countersPerStripe
            sums.0 &+= stripe[Self.allocatedSlot].load(ordering: .relaxed)
            sums.1 &+= stripe[Self.deallocatedSlot].load(ordering: .relaxed)
            sums.2 &+= stripe[Self.allocationsSlot].load(ordering: .relaxed)
            sums.3 &+= stripe[Self.deallocationsSlot].load(ordering: .relaxed)
        }
        return ComponentTotals(allocatedBytesTotal: sums.0, deallocatedBytesTotal: sums.1,
                               allocations: sums.2, deallocations: sums.3, firstEventMs: firstEvent)
    }

    private var firstEvent: Int64? {
        let ms = firstEventMs.load(ordering: .relaxed)
        return ms == 0 ? nil : ms
    }

    /// Puts back counters read from the store (a restored run); only before any tracking.
    func restore(allocatedBytesTotal: Int64, deallocatedBytesTotal: Int64, allocations: Int64, deallocations: Int64, firstEventMs ms: Int64?) {
        if kind == .gauge {
            gauge.store(allocatedBytesTotal, ordering: .relaxed)
        } else {
            stripes[Self.allocatedSlot].store(allocatedBytesTotal, ordering: .relaxed)
            stripes[Self.deallocatedSlot].store(deallocatedBytesTotal, ordering: .relaxed)
            stripes[Self.allocationsSlot].store(allocations, ordering: .relaxed)
            stripes[Self.deallocationsSlot].store(deallocations, ordering: .relaxed)
        }
        if let ms { firstEventMs.store(ms, ordering: .relaxed) }
    }
}

/// A component's figures at one moment.
public struct ComponentTotals: Sendable, Equatable {
    /// Bytes ever allocated (a gauge: the sampled value).
    public var allocatedBytesTotal: Int64
    /// Bytes ever deallocated (a gauge: 0).
    public var deallocatedBytesTotal: Int64
    /// Counts; `nil` for a gauge.
    public var allocations: Int64?
    public var deallocations: Int64?
    public var firstEventMs: Int64?

    /// Bytes held now: allocations − deallocations, never below 0.
    public var heldBytes: Int64 { max(0, allocatedBytesTotal &- deallocatedBytesTotal) }
    /// Allocation count − deallocation count (0 for a gauge).
    public var netAllocations: Int64 { (allocations ?? 0) &- (deallocations ?? 0) }
}

/// A small per-thread number that picks a counter stripe.
@usableFromInline
enum ThreadStripe {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    private static let next = Atomic<Int>(0)

    /// Threads get consecutive numbers on first use, so the first few threads
    /// of a pool land on distinct stripes.
    @usableFromInline
    static var current: Int {
        if let value = pthread_getspecific(key) {
            return Int(bitPattern: value)
        }
        let assigned = next.wrappingAdd(1, ordering: .relaxed).newValue
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: assigned))
        return assigned
    }
}
