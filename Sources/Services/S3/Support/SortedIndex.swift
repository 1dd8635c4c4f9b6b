/// An ordered map from S3 keys (compared by UTF-8 bytes) to values, kept as a list of sorted
/// chunks: lookups and inserts are O(log n + chunk), a page of a listing is O(log n + page),
/// and no insert ever moves more than one chunk's worth of entries.
struct SortedIndex<Element> {
    static var maxChunk: Int { 512 }

    struct Chunk {
        var keys: [String]
        var values: [Element]
    }

    fileprivate(set) var chunks: [Chunk] = []
    private(set) var count = 0

    init() {}

    var isEmpty: Bool { count == 0 }

    /// A place in the index: chunk number and offset inside it. `end` is past the last key.
    struct Position: Equatable {
        var chunk: Int
        var index: Int
    }

    var end: Position { Position(chunk: chunks.count, index: 0) }

    // MARK: - Search

    /// First chunk whose last key is >= `key` (by `cmp`), or `chunks.count`.
    private func chunkFor(_ cmp: (String) -> Int) -> Int {
        var lo = 0
        var hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            // cmp(k) < 0 means k < target.
            if cmp(chunks[mid].keys[chunks[mid].keys.count - 1]) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Position of the first key for which `cmp(key) >= 0` (cmp is key <=> target).
    private func lowerBound(_ cmp: (String) -> Int) -> Position {
        let c = chunkFor(cmp)
        if c == chunks.count { return end }
        let keys = chunks[c].keys
        var lo = 0
        var hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if cmp(keys[mid]) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return normalized(Position(chunk: c, index: lo))
    }

    private func normalized(_ p: Position) -> Position {
        if p.chunk < chunks.count && p.index >= chunks[p.chunk].keys.count { return Position(chunk: p.chunk + 1, index: 0) }
        return p
    }

    /// First key >= `key`.
    func lowerBound(_ key: String) -> Position { lowerBound { KeyBytes.compare($0, key) } }

    /// First key >= the raw bytes `key` (need not be valid UTF-8).
    func lowerBound(bytes key: [UInt8]) -> Position { lowerBound { KeyBytes.compare($0, key) } }

    /// First key > `key`.
    func upperBound(_ key: String) -> Position {
        var p = lowerBound(key)
        if let k = self.key(at: p), KeyBytes.compare(k, key) == 0 { p = next(p) }
        return p
    }

    func upperBound(bytes key: [UInt8]) -> Position {
        var p = lowerBound(bytes: key)
        if let k = self.key(at: p), KeyBytes.compare(k, key) == 0 { p = next(p) }
        return p
    }

    var start: Position { Position(chunk: 0, index: 0) }

    func key(at p: Position) -> String? {
        guard p.chunk < chunks.count else { return nil }
        return chunks[p.chunk].keys[p.index]
    }

    func value(at p: Position) -> Element? {
        guard p.chunk < chunks.count else { return nil }
        return chunks[p.chunk].values[p.index]
    }

    func next(_ p: Position) -> Position {
        guard p.chunk < chunks.count else { return end }
        return normalized(Position(chunk: p.chunk, index: p.index + 1))
    }

    private func find(_ key: String) -> Position? {
        let p = lowerBound(key)
        guard let k = self.key(at: p), KeyBytes.compare(k, key) == 0 else { return nil }
        return p
    }

    // MARK: - Access

    subscript(key: String) -> Element? {
        get { find(key).map { chunks[$0.chunk].values[$0.index] } }
        set {
            if let v = newValue { insert(key, v) } else { _ = remove(key) }
        }
    }

    /// Mutates the value in place (nil: absent / remove).
    mutating func modify<R>(_ key: String, _ body: (inout Element?) throws -> R) rethrows -> R {
        if let p = find(key) {
            var v: Element? = chunks[p.chunk].values[p.index]
            let r = try body(&v)
            if let v { chunks[p.chunk].values[p.index] = v } else { removeAt(p) }
            return r
        }
        var v: Element? = nil
        let r = try body(&v)
        if let v { insert(key, v) }
        return r
    }

    mutating func insert(_ key: String, _ value: Element) {
        if chunks.isEmpty {
            chunks.append(Chunk(keys: [key], values: [value]))
            count = 1
            return
        }
        var c = chunkFor { KeyBytes.compare($0, key) }
        if c == chunks.count { c -= 1 }  // beyond every key: append to the last chunk
        // Search in a scope of its own: a live copy of the keys array would make the insert
        // below copy the whole chunk (copy-on-write).
        let (lo, exists): (Int, Bool) = {
            let keys = chunks[c].keys
            var lo = 0
            var hi = keys.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if KeyBytes.compare(keys[mid], key) < 0 { lo = mid + 1 } else { hi = mid }
            }
            return (lo, lo < keys.count && KeyBytes.compare(keys[lo], key) == 0)
        }()
        if exists {
            chunks[c].values[lo] = value
            return
        }
        chunks[c].keys.insert(key, at: lo)
        chunks[c].values.insert(value, at: lo)
        count += 1
        if chunks[c].keys.count > Self.maxChunk {
            let half = chunks[c].keys.count / 2
            let right = Chunk(keys: Array(chunks[c].keys[half...]), values: Array(chunks[c].values[half...]))
            chunks[c].keys.removeSubrange(half...)
            chunks[c].values.removeSubrange(half...)
            chunks.insert(right, at: c + 1)
        }
    }

    @discardableResult
    mutating func remove(_ key: String) -> Element? {
        guard let p = find(key) else { return nil }
        let v = chunks[p.chunk].values[p.index]
        removeAt(p)
        return v
    }

    private mutating func removeAt(_ p: Position) {
        chunks[p.chunk].keys.remove(at: p.index)
        chunks[p.chunk].values.remove(at: p.index)
        count -= 1
        if chunks[p.chunk].keys.isEmpty { chunks.remove(at: p.chunk) }
    }

    /// Every entry in key order (startup, tests).
    func forEach(_ body: (String, Element) throws -> Void) rethrows {
        for c in chunks {
            for i in 0..<c.keys.count { try body(c.keys[i], c.values[i]) }
        }
    }
}

extension SortedIndex {
    /// Mutates every value in place (startup: ordering each key's versions).
    mutating func mutateAll(_ body: (inout Element) -> Void) {
        for c in chunks.indices {
            for i in chunks[c].values.indices { body(&chunks[c].values[i]) }
        }
    }
}
