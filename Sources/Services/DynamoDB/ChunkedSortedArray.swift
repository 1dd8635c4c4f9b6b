/// A sorted sequence kept as a list of small sorted chunks: inserting or removing moves at
/// most one chunk's elements (and occasionally the chunk list), instead of the whole array, so
/// a table with a million partitions takes a new one in microseconds. Ordered iteration and
/// lower-bound search stay cheap.
struct ChunkedSortedArray<Element: Comparable & Sendable>: Sendable {
    private(set) var chunks: [[Element]] = []
    private(set) var count = 0
    private static var maxChunk: Int { 512 }

    /// A position: chunk index and index inside it.
    struct Position: Comparable, Sendable {
        var chunk: Int
        var index: Int
        static func < (a: Position, b: Position) -> Bool { a.chunk != b.chunk ? a.chunk < b.chunk : a.index < b.index }
    }

    var startPosition: Position { Position(chunk: 0, index: 0) }

    /// First position whose element is not less than `e`.
    func lowerBound(_ e: Element) -> Position {
        var lo = 0, hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if chunks[mid].last! < e { lo = mid + 1 } else { hi = mid }
        }
        guard lo < chunks.count else { return Position(chunk: chunks.count, index: 0) }
        let c = chunks[lo]
        var a = 0, b = c.count
        while a < b {
            let mid = (a + b) / 2
            if c[mid] < e { a = mid + 1 } else { b = mid }
        }
        return Position(chunk: lo, index: a)
    }

    func element(at p: Position) -> Element? {
        p.chunk < chunks.count && p.index < chunks[p.chunk].count ? chunks[p.chunk][p.index] : nil
    }

    func position(after p: Position) -> Position {
        p.index + 1 < chunks[p.chunk].count ? Position(chunk: p.chunk, index: p.index + 1) : Position(chunk: p.chunk + 1, index: 0)
    }

    mutating func insert(_ e: Element) {
        count += 1
        if chunks.isEmpty {
            chunks.append([e])
            return
        }
        var p = lowerBound(e)
        if p.chunk == chunks.count { p = Position(chunk: chunks.count - 1, index: chunks[chunks.count - 1].count) }
        chunks[p.chunk].insert(e, at: p.index)
        if chunks[p.chunk].count > Self.maxChunk {
            let c = chunks[p.chunk]
            let half = c.count / 2
            chunks[p.chunk] = Array(c[..<half])
            chunks.insert(Array(c[half...]), at: p.chunk + 1)
        }
    }

    /// Removes `e` if present.
    mutating func remove(_ e: Element) {
        let p = lowerBound(e)
        guard let found = element(at: p), found == e else { return }
        count -= 1
        chunks[p.chunk].remove(at: p.index)
        if chunks[p.chunk].isEmpty { chunks.remove(at: p.chunk) }
    }

    /// Replaces the contents with `sorted` (already in order): the bulk path for startup.
    mutating func assign(sorted: [Element]) {
        count = sorted.count
        chunks = stride(from: 0, to: sorted.count, by: Self.maxChunk / 2).map {
            Array(sorted[$0..<min(sorted.count, $0 + Self.maxChunk / 2)])
        }
    }
}
