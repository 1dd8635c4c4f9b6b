/// The order a `MessageHeap` keeps, and where each message stores its slot in that heap.
/// A message sits in at most one heap of each order, so removal and re-keying are O(log n)
/// with no stale entries left behind.
protocol MessageHeapOrder {
    static func less(_ a: SQSMessage, _ b: SQSMessage) -> Bool
    static func index(of m: SQSMessage) -> Int
    static func setIndex(_ i: Int, of m: SQSMessage)
}

/// Messages that are delayed or in flight, earliest `visibleAt` first.
enum VisibilityOrder: MessageHeapOrder {
    static func less(_ a: SQSMessage, _ b: SQSMessage) -> Bool {
        a.visibleAt < b.visibleAt || (a.visibleAt == b.visibleAt && a.serial < b.serial)
    }
    static func index(of m: SQSMessage) -> Int { m.visibilityIndex }
    static func setIndex(_ i: Int, of m: SQSMessage) { m.visibilityIndex = i }
}

/// Every live message, oldest enqueue time first (retention expiry).
enum RetentionOrder: MessageHeapOrder {
    static func less(_ a: SQSMessage, _ b: SQSMessage) -> Bool {
        a.enqueuedAt < b.enqueuedAt || (a.enqueuedAt == b.enqueuedAt && a.serial < b.serial)
    }
    static func index(of m: SQSMessage) -> Int { m.retentionIndex }
    static func setIndex(_ i: Int, of m: SQSMessage) { m.retentionIndex = i }
}

/// A binary min-heap of messages that records each element's position in the element
/// itself (indexed heap): push, pop, remove and update are all O(log n).
struct MessageHeap<Order: MessageHeapOrder> {
    private(set) var items: [SQSMessage] = []

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    var min: SQSMessage? { items.first }

    func contains(_ m: SQSMessage) -> Bool {
        let i = Order.index(of: m)
        return i >= 0 && i < items.count && items[i] === m
    }

    mutating func push(_ m: SQSMessage) {
        items.append(m)
        Order.setIndex(items.count - 1, of: m)
        siftUp(items.count - 1)
    }

    @discardableResult
    mutating func popMin() -> SQSMessage? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        remove(at: 0)
        return top
    }

    mutating func remove(_ m: SQSMessage) {
        guard contains(m) else { return }
        remove(at: Order.index(of: m))
    }

    /// Restores the heap after `m`'s key changed (pushes it if absent).
    mutating func update(_ m: SQSMessage) {
        guard contains(m) else {
            push(m)
            return
        }
        siftUp(Order.index(of: m))
        siftDown(Order.index(of: m))
    }

    mutating func removeAll() {
        for m in items { Order.setIndex(-1, of: m) }
        items.removeAll()
    }

    private mutating func remove(at i: Int) {
        let last = items.count - 1
        let removed = items[i]
        if i != last {
            items.swapAt(i, last)
            Order.setIndex(i, of: items[i])
        }
        items.removeLast()
        Order.setIndex(-1, of: removed)
        if i < items.count {
            let moved = items[i]
            siftUp(i)
            siftDown(Order.index(of: moved))
        }
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard Order.less(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            Order.setIndex(i, of: items[i])
            Order.setIndex(parent, of: items[parent])
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let n = items.count
        while true {
            let l = 2 * i + 1
            guard l < n else { break }
            var smallest = l
            let r = l + 1
            if r < n && Order.less(items[r], items[l]) { smallest = r }
            guard Order.less(items[smallest], items[i]) else { break }
            items.swapAt(i, smallest)
            Order.setIndex(i, of: items[i])
            Order.setIndex(smallest, of: items[smallest])
            i = smallest
        }
    }
}
