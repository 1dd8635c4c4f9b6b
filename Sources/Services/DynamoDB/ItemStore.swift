/// Items of one table or index: a hash map from partition key to a container sorted by the
/// sort tuple, so a Query is O(log n + page). Partitions are also kept in scan order
/// (hash of the partition key, then the key), which makes Scan pages resumable and segments
/// contiguous ranges of the hash space.
struct ItemStore: Sendable {
    struct Entry: Sendable {
        var sort: [KeyPart]
        var item: Item
    }

    struct ScanPos: Sendable, Comparable {
        var hash: UInt64
        var key: KeyPart
        static func < (a: ScanPos, b: ScanPos) -> Bool { a.hash != b.hash ? a.hash < b.hash : a.key < b.key }
    }

    var partitions: [KeyPart: [Entry]] = [:]
    /// Partitions in scan order. While `deferOrder` is set (bulk restore) new partitions are
    /// only collected and sorted once at the end.
    var order = ChunkedSortedArray<ScanPos>()
    private var pendingOrder: [ScanPos] = []
    var deferOrder = false
    var count = 0
    var bytes = 0

    static func less(_ a: [KeyPart], _ b: [KeyPart]) -> Bool { a.lexicographicallyPrecedes(b) }

    /// First index in `entries` whose sort tuple is not less than `sort`.
    static func lowerBound(_ entries: [Entry], _ pred: (Entry) -> Bool) -> Int {
        // pred is true for a prefix of entries; returns the first index where it is false.
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pred(entries[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Sorts the partitions collected during a bulk load into scan order.
    mutating func finishBulkLoad() {
        deferOrder = false
        pendingOrder.sort()
        order.assign(sorted: pendingOrder)
        pendingOrder = []
    }

    func get(_ pk: KeyPart, _ sort: [KeyPart]) -> Item? {
        guard let entries = partitions[pk] else { return nil }
        let i = Self.lowerBound(entries) { Self.less($0.sort, sort) }
        return i < entries.count && entries[i].sort == sort ? entries[i].item : nil
    }

    @discardableResult
    mutating func put(_ pk: KeyPart, _ sort: [KeyPart], _ item: Item) -> Item? {
        let size = ItemCodec.size(item)
        if partitions[pk] == nil {
            let p = ScanPos(hash: pk.hash64, key: pk)
            if deferOrder { pendingOrder.append(p) } else { order.insert(p) }
            partitions[pk] = []
        }
        var old: Item?
        var entries = partitions.removeValue(forKey: pk)!
        let i = Self.lowerBound(entries) { Self.less($0.sort, sort) }
        if i < entries.count && entries[i].sort == sort {
            old = entries[i].item
            bytes -= ItemCodec.size(entries[i].item)
            entries[i].item = item
        } else {
            entries.insert(Entry(sort: sort, item: item), at: i)
            count += 1
        }
        bytes += size
        partitions[pk] = entries
        return old
    }

    @discardableResult
    mutating func remove(_ pk: KeyPart, _ sort: [KeyPart]) -> Item? {
        guard var entries = partitions.removeValue(forKey: pk) else { return nil }
        let i = Self.lowerBound(entries) { Self.less($0.sort, sort) }
        var old: Item?
        if i < entries.count && entries[i].sort == sort {
            old = entries.remove(at: i).item
            count -= 1
            bytes -= ItemCodec.size(old!)
        }
        if entries.isEmpty {
            order.remove(ScanPos(hash: pk.hash64, key: pk))
        } else {
            partitions[pk] = entries
        }
        return old
    }

    /// Entries of partition `pk` whose first sort element satisfies `range`, after
    /// `exclusiveStart` in the direction of travel.
    func query(_ pk: KeyPart, range: SortRange?, forward: Bool, exclusiveStart: [KeyPart]?) -> ArraySlice<Entry> {
        guard let entries = partitions[pk] else { return [] }
        var lo = 0, hi = entries.count
        if let range {
            lo = Self.lowerBound(entries) { range.isBefore($0.sort[0]) }
            hi = Self.lowerBound(entries) { !range.isAfter($0.sort[0]) }
        }
        if let s = exclusiveStart {
            if forward {
                lo = max(lo, Self.lowerBound(entries) { !Self.less(s, $0.sort) })
            } else {
                hi = min(hi, Self.lowerBound(entries) { Self.less($0.sort, s) })
            }
        }
        return lo < hi ? entries[lo..<hi] : []
    }

    /// Visits entries in scan order starting after (pk, sort); `body` returns false to stop.
    func scan(after start: (KeyPart, [KeyPart])?, segment: Int, totalSegments: Int, _ body: (KeyPart, Entry) -> Bool) {
        var i = order.startPosition
        if let (pk, _) = start {
            i = order.lowerBound(ScanPos(hash: pk.hash64, key: pk))
        }
        while let p = order.element(at: i) {
            i = order.position(after: i)
            if totalSegments > 1 {
                let seg = Int(p.hash.multipliedFullWidth(by: UInt64(totalSegments)).high)
                if seg < segment { continue }
                if seg > segment { return }
            }
            guard let entries = partitions[p.key] else { continue }
            var j = 0
            if let (pk, sort) = start, pk == p.key {
                j = Self.lowerBound(entries) { !Self.less(sort, $0.sort) }
            } else if let (pk, _) = start, ScanPos(hash: pk.hash64, key: pk) > p {
                continue
            }
            while j < entries.count {
                if !body(p.key, entries[j]) { return }
                j += 1
            }
        }
    }
}

/// A key condition on the first sort element, as a contiguous range of the sorted container.
enum SortRange: Sendable {
    case eq(KeyPart), lt(KeyPart), le(KeyPart), gt(KeyPart), ge(KeyPart)
    case between(KeyPart, KeyPart)
    case beginsWith(KeyPart)

    func isBefore(_ k: KeyPart) -> Bool {
        switch self {
        case .eq(let v), .ge(let v), .between(let v, _), .beginsWith(let v): return k < v
        case .gt(let v): return k <= v
        case .lt, .le: return false
        }
    }

    func isAfter(_ k: KeyPart) -> Bool {
        switch self {
        case .eq(let v), .le(let v), .between(_, let v): return k > v
        case .lt(let v): return k >= v
        case .gt, .ge: return false
        case .beginsWith(let p):
            guard p < k || p == k else { return false }
            switch (k, p) {
            case (.s(let a), .s(let b)): return !a.utf8.starts(with: b.utf8)
            case (.b(let a), .b(let b)): return !a.starts(with: b)
            default: return true
            }
        }
    }
}
