import LeakHistoryAnalysis
import Foundation
import Synchronization

/// The components of one detector, found by name without taking a lock.
///
/// An open-addressing table of handle pointers: lookups read it with atomic
/// loads only; a new name takes the writer lock and is published with a
/// release store. When the table grows, the old one is kept until the
/// registry dies, because a reader may still be walking it; the old tables
/// together are never larger than the current one.
final class ComponentRegistry: @unchecked Sendable {
    // @unchecked: the table memory is shared by design; every slot is an
    // Atomic, and writers are serialised by `writer`.

    private final class Table {
        let mask: Int
        let slots: UnsafeMutablePointer<Atomic<UnsafeMutableRawPointer?>>

        init(capacity: Int) {
            mask = capacity - 1
            slots = .allocate(capacity: capacity)
            for i in 0..<capacity { (slots + i).initialize(to: Atomic(nil)) }
        }

        deinit {
            slots.deinitialize(count: mask + 1)
            slots.deallocate()
        }
    }

    private struct WriterState {
        var handles: [ComponentHandle] = []
        /// Where the next handles' home stripes come from.
        var slab = StripeSlab()
        var tables: [Table]
    }

    private let current: Atomic<UnsafeMutableRawPointer>
    private let writer: Mutex<WriterState>
    let maxComponents: Int

    init(maxComponents: Int) {
        self.maxComponents = maxComponents
        let table = Table(capacity: 64)
        current = Atomic(Unmanaged.passUnretained(table).toOpaque())
        writer = Mutex(WriterState(tables: [table]))
    }

    /// Runs `body` with the handle named `name`, if there is one, with no
    /// lock and no reference counting.
    @inline(__always)
    func withExisting<R>(_ name: String, _ body: (ComponentHandle) -> R) -> R? {
        let hash = Self.hash(name)
        let tablePointer = current.load(ordering: .acquiring)
        return Unmanaged<Table>.fromOpaque(tablePointer)._withUnsafeGuaranteedRef { table in
            var i = hash & table.mask
            while let slot = table.slots[i].load(ordering: .acquiring) {
                let found = Unmanaged<ComponentHandle>.fromOpaque(slot)._withUnsafeGuaranteedRef { handle -> R? in
                    handle.name == name ? body(handle) : nil
                }
                if let found { return found }
                i = (i + 1) & table.mask
            }
            return nil
        }
    }

    /// The handle named `name`, created with `kind` and `overlaps` when new;
    /// `nil` when the registry is full.
    func handle(named name: String, kind: ComponentKind, overlaps: Bool,
                now: @escaping @Sendable () -> Date) -> ComponentHandle? {
        if let existing = withExisting(name, { $0 }) { return existing }
        return writer.withLock { state in
            if let existing = withExisting(name, { $0 }) { return existing }
            guard state.handles.count < maxComponents else { return nil }
            if state.slab.isFull { state.slab = StripeSlab() }
            let handle = ComponentHandle(name: name, kind: kind, overlaps: overlaps, index: state.handles.count, slab: state.slab, now: now)
            state.handles.append(handle)
            var table = state.tables[state.tables.count - 1]
            if state.handles.count * 2 > table.mask + 1 {
                table = Table(capacity: (table.mask + 1) * 2)
                for h in state.handles { Self.insert(h, into: table) }
                state.tables.append(table)
                current.store(Unmanaged.passUnretained(table).toOpaque(), ordering: .releasing)
            } else {
                Self.insert(handle, into: table)
            }
            return handle
        }
    }

    /// Every handle, in registration order.
    var all: [ComponentHandle] {
        writer.withLock { $0.handles }
    }

    var count: Int {
        writer.withLock { $0.handles.count }
    }

    private static func insert(_ handle: ComponentHandle, into table: Table) {
        var i = hash(handle.name) & table.mask
        while table.slots[i].load(ordering: .relaxed) != nil { i = (i + 1) & table.mask }
        table.slots[i].store(Unmanaged.passUnretained(handle).toOpaque(), ordering: .releasing)
    }

    /// FNV-1a over the UTF-8 bytes: cheaper than SipHash for short names, and
    /// the table holds names the process itself chose.
    @inline(__always)
    static func hash(_ name: String) -> Int {
        var name = name
        return name.withUTF8 { bytes in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01b3
            }
            return Int(truncatingIfNeeded: h ^ (h >> 32))
        }
    }
}
