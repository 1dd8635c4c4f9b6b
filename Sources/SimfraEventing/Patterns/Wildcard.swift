/// A `wildcard` pattern: `*` matches any run of characters, `\*` a literal star, `\\` a backslash.
/// Compiled into literal segments between stars and matched byte-wise.
struct Wildcard: Sendable, Equatable {
    /// Literal runs; a star sits between consecutive segments.
    var segments: [[UInt8]]
    /// Number of stars (segments.count - 1).
    var stars: Int { segments.count - 1 }

    /// Parses with AWS's checks. Positions count UTF-8 bytes of the value as AWS stores it,
    /// with its opening quote (so the first character is at pos 1).
    static func parse(_ text: String) throws(PatternError) -> Wildcard {
        let b = Array(text.utf8)
        var segments: [[UInt8]] = [[]]
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "*") {
                if i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") {
                    throw PatternError(reason: "Consecutive wildcard characters at pos \(i + 1)")
                }
                segments.append([])
            } else if c == UInt8(ascii: "\\") {
                guard i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") || b[i + 1] == UInt8(ascii: "\\") else {
                    throw PatternError(reason: "Invalid escape character at pos \(i + 1)")
                }
                segments[segments.count - 1].append(b[i + 1])
                i += 1
            } else {
                segments[segments.count - 1].append(c)
            }
            i += 1
        }
        return Wildcard(segments: segments)
    }

    func matches(_ s: String) -> Bool {
        return s.utf8.withContiguousStorageIfAvailable { matches(bytes: $0) } ?? matches(bytes: Array(s.utf8)[...])
    }

    private func matches<C: RandomAccessCollection>(bytes v: C) -> Bool where C.Element == UInt8, C.Index == Int {
        let first = segments[0]
        guard v.count >= first.count, v.prefix(first.count).elementsEqual(first) else { return false }
        if segments.count == 1 { return v.count == first.count }
        let last = segments[segments.count - 1]
        guard v.count - first.count >= last.count, v.suffix(last.count).elementsEqual(last) else { return false }
        // Middle segments: leftmost occurrence of each is always the best choice for a glob.
        var pos = v.startIndex + first.count
        let end = v.endIndex - last.count
        for seg in segments.dropFirst().dropLast() {
            guard let at = Self.find(seg, in: v, from: pos, to: end) else { return false }
            pos = at + seg.count
        }
        return true
    }

    private static func find<C: RandomAccessCollection>(_ needle: [UInt8], in hay: C, from: Int, to: Int) -> Int?
    where C.Element == UInt8, C.Index == Int {
        if needle.isEmpty { return from }
        guard to - from >= needle.count else { return nil }
        var i = from
        while i + needle.count <= to {
            if hay[i] == needle[0] {
                var k = 1
                while k < needle.count, hay[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

extension Wildcard {
    /// How many wildcard positions a worst-case value keeps alive at once while the wildcards
    /// of one field are matched together (AWS's engine measures this non-determinism and refuses
    /// rules whose worst case is too expensive). Literal text before a pattern's first star is a
    /// shared deterministic prefix in AWS's engine, so only positions from the first star on
    /// count. Explores the sets of live positions input bytes lead to; stops once the width
    /// exceeds `cap` or a work budget runs out, so a hostile pattern costs bounded time.
    static func complexity(of wildcards: [Wildcard], cap: Int = .max) -> Int {
        // One position array for all patterns: a literal byte, a star (nil), or the end of a
        // pattern (which has no transitions).
        var tokens: [UInt8?] = []
        var isEnd: [Bool] = []
        var counts: [Bool] = []
        var starts: [Int] = []
        for w in wildcards {
            starts.append(tokens.count)
            var pattern: [UInt8?] = [UInt8(ascii: "\"")]
            for (i, seg) in w.segments.enumerated() {
                if i > 0 { pattern.append(nil) }
                pattern.append(contentsOf: seg.map { Optional($0) })
            }
            pattern.append(UInt8(ascii: "\""))
            let firstStar = pattern.firstIndex(where: { $0 == nil }) ?? pattern.count
            for (i, t) in pattern.enumerated() {
                tokens.append(t)
                isEnd.append(false)
                counts.append(i >= firstStar)
            }
            tokens.append(nil)
            isEnd.append(true)
            counts.append(false)
        }
        let n = tokens.count
        func closed(_ set: [Int]) -> [Int] {
            var out = Set<Int>()
            for p in set {
                out.insert(p)
                var q = p
                while q < n, !isEnd[q], tokens[q] == nil {
                    q += 1
                    out.insert(q)
                }
            }
            return out.sorted()
        }
        var alphabet = Array(Set(tokens.compactMap { $0 }))
        // A byte the patterns never name stands for all such bytes.
        alphabet.append((0...255).map(UInt8.init).first { !alphabet.contains($0) }!)
        let start = closed(starts)
        var seen: Set<[Int]> = [start]
        var queue = [start]
        var widest = 0
        var budget = 150_000
        while let set = queue.popLast(), budget > 0 {
            for c in alphabet {
                budget -= set.count
                var next: [Int] = []
                for p in set where !isEnd[p] {
                    if let t = tokens[p] {
                        if t == c { next.append(p + 1) }
                    } else {
                        next.append(p)
                    }
                }
                guard !next.isEmpty else { continue }
                let live = closed(next)
                widest = max(widest, live.reduce(0) { $0 + (counts[$1] ? 1 : 0) })
                if widest > cap { return widest }
                if seen.insert(live).inserted { queue.append(live) }
            }
        }
        return widest
    }
}

/// EventBridge refuses rules whose wildcards make matching too non-deterministic. AWS does not
/// publish its limit; this one keeps its recorded refusal ("*:*:*:*:*:event-bus/*") refused and
/// its accepted examples (two "*/x/*" exclusions on one field) accepted.
enum WildcardComplexity {
    static let limit = 10
    static let reason =
        "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"

    static func check(_ m: ObjectMatcher) throws(PatternError) {
        for f in m.fields {
            if let tests = f.tests {
                var wildcards: [Wildcard] = []
                for test in tests {
                    switch test {
                    case .wildcard(let w): wildcards.append(w)
                    case .anythingButWildcard(let ws): wildcards.append(contentsOf: ws)
                    default: continue
                    }
                }
                if !wildcards.isEmpty && Wildcard.complexity(of: wildcards, cap: limit) > limit {
                    throw PatternError(reason: reason)
                }
            }
            if let child = f.child { try check(child) }
        }
        for group in m.alternatives {
            for alt in group { try check(alt) }
        }
    }
}
