import LeakHistoryAnalysis
import Foundation
import Synchronization

/// A component's counters, for tracking without a name lookup.
///
/// ```swift
/// let cache = detector.component("cache")
/// cache.trackAllocation(bytes: 4096)     // a few atomic adds, no lock
/// cache.trackDeallocation(bytes: 4096)
/// ```
///
/// Updates go to cache-line-sized stripes chosen by thread: each of the first
/// eight live threads owns one (a plain add, no atomic read-modify-write, no
/// line shared with another writer); further threads share an overflow
/// stripe with atomic adds. The first thread that tracks anything uses the
/// home stripe; the others are allocated the first time another thread
/// tracks this component, so a component tracked from one thread costs one
/// line, not nine.
public final class ComponentHandle: @unchecked Sendable {
    // @unchecked: the stripes are raw memory owned by this object and only
    // ever touched through atomics.
    public let name: String
    public let kind: ComponentKind
    /// True when the component overlaps others, so its growth is not a share
    /// of the total's (a process's PSS beside its RSS parts). Stored with the
    /// component; reports over history leave it out of candidates.
    public let overlaps: Bool
    /// Registration order within its detector.
    let index: Int

    /// Eight single-writer stripes and the shared overflow stripe.
    @usableFromInline static let stripeCount = ThreadStripe.exclusiveCount + 1
    /// 16 × 8 bytes: two 64-byte lines, so no stripe shares a line, nor the
    /// line pair that adjacent-line prefetchers fetch together, with another writer.
    @usableFromInline static let countersPerStripe = 16
    private static let allocatedSlot = 0, deallocatedSlot = 1, allocationsSlot = 2, deallocationsSlot = 3
    static let lineBytes = countersPerStripe * MemoryLayout<Int64>.stride
    /// Stripe 0, carved from a slab shared with other handles.
    @usableFromInline let home: UnsafeMutablePointer<Atomic<Int64>>
    /// Keeps the slab that holds `home` alive as long as this handle.
    private let slab: StripeSlab
    /// Stripes 1 to 7 and the overflow stripe, eight lines, allocated on first use.
    @usableFromInline let others = Atomic<UnsafeMutableRawPointer?>(nil)
    private let gauge = Atomic<Int64>(0)
    private let firstEventMs = Atomic<Int64>(0)
    private let now: @Sendable () -> Date

    /// A handle whose home stripe is the next free one of `slab` (the
    /// registry passes a slab with room, under its writer lock).
    init(name: String, kind: ComponentKind, overlaps: Bool, index: Int, slab: StripeSlab,
         now: @escaping @Sendable () -> Date) {
        self.name = name
        self.kind = kind
        self.overlaps = overlaps
        self.index = index
        self.now = now
        self.slab = slab
        home = slab.take()
    }

    deinit {
        if let others = others.load(ordering: .acquiring) {
            Self.deallocateLines(others.assumingMemoryBound(to: Atomic<Int64>.self), count: Self.stripeCount - 1)
        }
    }

    static func allocateLines(_ count: Int) -> UnsafeMutablePointer<Atomic<Int64>> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * lineBytes, alignment: lineBytes)
        let counters = raw.bindMemory(to: Atomic<Int64>.self, capacity: count * countersPerStripe)
        for i in 0..<(count * countersPerStripe) { (counters + i).initialize(to: Atomic(0)) }
        return counters
    }

    static func deallocateLines(_ counters: UnsafeMutablePointer<Atomic<Int64>>, count: Int) {
        counters.deinitialize(count: count * countersPerStripe)
        UnsafeMutableRawPointer(counters).deallocate()
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
        let thread = ThreadStripe.current
        if thread < ThreadStripe.exclusiveCount {
            // This thread is the stripe's only writer: a plain add, no lock prefix.
            let stripe = thread == 0 ? home : otherStripes() + (thread - 1) * Self.countersPerStripe
            stripe[bytesSlot].store(stripe[bytesSlot].load(ordering: .relaxed) &+ bytes, ordering: .relaxed)
            stripe[countSlot].store(stripe[countSlot].load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        } else {
            // The overflow stripe is the last line of the block of others.
            let shared = otherStripes() + (Self.stripeCount - 2) * Self.countersPerStripe
            shared[bytesSlot].wrappingAdd(bytes, ordering: .relaxed)
            shared[countSlot].wrappingAdd(1, ordering: .relaxed)
        }
        noteEvent()
    }

    /// Stripes 1 to 7 and the overflow stripe, allocated by the first thread that needs them.
    @inline(__always)
    @usableFromInline
    func otherStripes() -> UnsafeMutablePointer<Atomic<Int64>> {
        if let existing = others.load(ordering: .acquiring) {
            return existing.assumingMemoryBound(to: Atomic<Int64>.self)
        }
        return allocateOtherStripes()
    }

    @inline(never)
    @usableFromInline
    func allocateOtherStripes() -> UnsafeMutablePointer<Atomic<Int64>> {
        let fresh = Self.allocateLines(Self.stripeCount - 1)
        let (won, current) = others.compareExchange(
            expected: nil, desired: UnsafeMutableRawPointer(fresh), ordering: .acquiringAndReleasing)
        if won { return fresh }
        Self.deallocateLines(fresh, count: Self.stripeCount - 1)
        return current!.assumingMemoryBound(to: Atomic<Int64>.self)
    }

    @inline(__always)
    @usableFromInline
    func noteEvent() {
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
        var sums = Self.sum(home, stripes: 1)
        if let others = others.load(ordering: .acquiring) {
            let more = Self.sum(others.assumingMemoryBound(to: Atomic<Int64>.self), stripes: Self.stripeCount - 1)
            sums = (sums.0 &+ more.0, sums.1 &+ more.1, sums.2 &+ more.2, sums.3 &+ more.3)
        }
        return ComponentTotals(allocatedBytesTotal: sums.0, deallocatedBytesTotal: sums.1,
                               allocations: sums.2, deallocations: sums.3, firstEventMs: firstEvent)
    }

    private static func sum(_ lines: UnsafeMutablePointer<Atomic<Int64>>, stripes: Int) -> (Int64, Int64, Int64, Int64) {
        var sums = (Int64(0), Int64(0), Int64(0), Int64(0))
        for s in 0..<stripes {
            let stripe = lines + s * countersPerStripe
            sums.0 &+= stripe[allocatedSlot].load(ordering: .relaxed)
            sums.1 &+= stripe[deallocatedSlot].load(ordering: .relaxed)
            sums.2 &+= stripe[allocationsSlot].load(ordering: .relaxed)
            sums.3 &+= stripe[deallocationsSlot].load(ordering: .relaxed)
        }
        return sums
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
            home[Self.allocatedSlot].store(allocatedBytesTotal, ordering: .relaxed)
            home[Self.deallocatedSlot].store(deallocatedBytesTotal, ordering: .relaxed)
            home[Self.allocationsSlot].store(allocations, ordering: .relaxed)
            home[Self.deallocationsSlot].store(deallocations, ordering: .relaxed)
        }
        if let ms { firstEventMs.store(ms, ordering: .relaxed) }
    }
}

/// Home stripes for 64 handles in one aligned block: a handle's stripe then
/// costs its 128 bytes and nothing for alignment or the allocator. Each
/// handle carved from it keeps it alive.
final class StripeSlab: @unchecked Sendable {
    // @unchecked: `next` only changes under the registry's writer lock; the
    // stripes are touched through atomics only.
    static let capacity = 64
    private let lines: UnsafeMutablePointer<Atomic<Int64>>
    private var next = 0

    init() {
        lines = ComponentHandle.allocateLines(Self.capacity)
    }

    var isFull: Bool { next == Self.capacity }

    /// The next free stripe; only while not full, under the registry's writer lock.
    func take() -> UnsafeMutablePointer<Atomic<Int64>> {
        precondition(!isFull, "a full stripe slab")
        defer { next += 1 }
        return lines + next * ComponentHandle.countersPerStripe
    }

    deinit {
        ComponentHandle.deallocateLines(lines, count: Self.capacity)
    }
}

/// A small per-thread number that picks a counter stripe.
///
/// Numbers 0 to 7 are held by one live thread each, so the stripe of such a
/// number has a single writer and needs no atomic read-modify-write. A
/// thread's number goes back to the pool when it exits (the handover
/// through the pool's lock orders the old owner's last writes before the new
/// owner's first read). Threads past the eighth live one share the overflow
/// stripe with atomic adds.
@usableFromInline
enum ThreadStripe {
    @usableFromInline static let exclusiveCount = 8

    private struct Pool {
        var next = 0
        var free: [Int] = []
    }

    private static let pool = Mutex(Pool())

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, { value in
            // The thread is exiting: its number (stored plus one) is free again.
            guard let value else { return }
            let number = Int(bitPattern: value) - 1
            ThreadStripe.pool.withLock { $0.free.append(number) }
        })
        return key
    }()

    /// This thread's number: 0 for the first thread that tracks, a freed
    /// number when one is available, else the next one.
    @usableFromInline
    static var current: Int {
        if let value = pthread_getspecific(key) {
            return Int(bitPattern: value) - 1
        }
        let assigned = pool.withLock { pool -> Int in
            if let reused = pool.free.min() {
                pool.free.removeAll { $0 == reused }
                return reused
            }
            pool.next += 1
            return pool.next - 1
        }
        // Stored plus one: a null value reads as unset.
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: assigned + 1))
        return assigned
    }
}
