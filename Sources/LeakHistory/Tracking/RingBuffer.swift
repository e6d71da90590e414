import LeakHistoryAnalysis

/// A bounded FIFO: appending past `capacity` drops the oldest element.
package struct RingBuffer<Element> {
    private var storage: [Element] = []
    private var head = 0
    package let capacity: Int

    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    package var count: Int { storage.count }
    package var isEmpty: Bool { storage.isEmpty }

    /// Appends `element`; returns the element it pushed out, if any.
    @discardableResult
    package mutating func append(_ element: Element) -> Element? {
        if storage.count < capacity {
            storage.append(element)
            return nil
        }
        let dropped = storage[head]
        storage[head] = element
        head = (head + 1) % capacity
        return dropped
    }

    /// Oldest first.
    package var elements: [Element] {
        var out: [Element] = []
        out.reserveCapacity(storage.count)
        out += storage[head...]
        out += storage[..<head]
        return out
    }

    package var first: Element? {
        storage.isEmpty ? nil : storage[head]
    }
}
