/// A growable double-ended queue on a power-of-two ring: O(1) append, prepend and
/// pop at both ends, O(1) indexed access, and `remove(at:)` that shifts the shorter side
/// (cheap near either end, which is where SQS removes from).
struct RingBuffer<Element> {
    private var storage: [Element?]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int = 8) {
        var c = 8
        while c < capacity { c <<= 1 }
        storage = Array(repeating: nil, count: c)
    }

    var isEmpty: Bool { count == 0 }
    private var mask: Int { storage.count - 1 }

    var first: Element? { count == 0 ? nil : storage[head] }
    var last: Element? { count == 0 ? nil : storage[(head + count - 1) & mask] }

    subscript(i: Int) -> Element {
        get {
            precondition(i >= 0 && i < count, "RingBuffer index out of range")
            return storage[(head + i) & mask]!
        }
        set {
            precondition(i >= 0 && i < count, "RingBuffer index out of range")
            storage[(head + i) & mask] = newValue
        }
    }

    mutating func append(_ e: Element) {
        if count == storage.count { grow() }
        storage[(head + count) & mask] = e
        count += 1
    }

    mutating func prepend(_ e: Element) {
        if count == storage.count { grow() }
        head = (head - 1) & mask
        storage[head] = e
        count += 1
    }

    @discardableResult
    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let e = storage[head]
        storage[head] = nil
        head = (head + 1) & mask
        count -= 1
        if count == 0 { head = 0 }
        return e
    }

    @discardableResult
    mutating func popLast() -> Element? {
        guard count > 0 else { return nil }
        let idx = (head + count - 1) & mask
        let e = storage[idx]
        storage[idx] = nil
        count -= 1
        return e
    }

    /// Removes the element at logical index `i`, moving whichever side is shorter.
    @discardableResult
    mutating func remove(at i: Int) -> Element {
        precondition(i >= 0 && i < count, "RingBuffer index out of range")
        let e = storage[(head + i) & mask]!
        if i < count / 2 {
            var j = i
            while j > 0 {
                storage[(head + j) & mask] = storage[(head + j - 1) & mask]
                j -= 1
            }
            storage[head] = nil
            head = (head + 1) & mask
        } else {
            var j = i
            while j < count - 1 {
                storage[(head + j) & mask] = storage[(head + j + 1) & mask]
                j += 1
            }
            storage[(head + count - 1) & mask] = nil
        }
        count -= 1
        if count == 0 { head = 0 }
        return e
    }

    mutating func removeAll() {
        storage = Array(repeating: nil, count: 8)
        head = 0
        count = 0
    }

    private mutating func grow() {
        var bigger = [Element?](repeating: nil, count: storage.count * 2)
        for i in 0..<count { bigger[i] = storage[(head + i) & mask] }
        storage = bigger
        head = 0
    }
}
