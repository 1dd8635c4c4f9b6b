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
    /// How many positions of the pattern a worst-case value keeps alive at once while it is
    /// matched (AWS's engine measures this non-determinism and refuses rules whose worst case
    /// is too expensive). Computed over the pattern as AWS stores it, between quotes, by
    /// exploring the sets of live positions every input byte can lead to.
    var complexity: Int {
        // Tokens: nil is a star, a byte is a literal.
        var tokens: [UInt8?] = [UInt8(ascii: "\"")]
        for (i, seg) in segments.enumerated() {
            if i > 0 { tokens.append(nil) }
            tokens.append(contentsOf: seg.map { Optional($0) })
        }
        tokens.append(UInt8(ascii: "\""))
        let n = tokens.count
        func closure(_ set: inout [Bool]) {
            for p in 0..<n where set[p] && tokens[p] == nil { set[p + 1] = true }
        }
        var alphabet = Set(tokens.compactMap { $0 })
        // A byte the pattern never names stands for all such bytes.
        alphabet.insert((0...255).map(UInt8.init).first { !alphabet.contains($0) }!)
        var start = [Bool](repeating: false, count: n + 1)
        start[0] = true
        closure(&start)
        var seen: Set<[Bool]> = [start]
        var queue = [start]
        var widest = 1
        var explored = 0
        while let set = queue.popLast(), explored < 4000 {
            explored += 1
            for c in alphabet {
                var next = [Bool](repeating: false, count: n + 1)
                var any = false
                for p in 0..<n where set[p] {
                    if let t = tokens[p] {
                        if t == c { next[p + 1] = true; any = true }
                    } else {
                        next[p] = true
                        any = true
                    }
                }
                guard any else { continue }
                closure(&next)
                let live = next[0..<n].reduce(0) { $0 + ($1 ? 1 : 0) }
                widest = max(widest, live)
                if seen.insert(next).inserted { queue.append(next) }
            }
        }
        return widest
    }
}

/// EventBridge refuses rules whose wildcards make matching too non-deterministic. AWS does not
/// publish its limit; this one keeps its recorded refusal ("*:*:*:*:*:event-bus/*", 13) refused
/// and its accepted examples (two "*/x/*" exclusions on one field, 10) accepted.
enum WildcardComplexity {
    static let limit = 10
    static let reason =
        "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"

    /// Wildcards on the same field are matched together, so their widths add up.
    static func check(_ m: ObjectMatcher) throws(PatternError) {
        for f in m.fields {
            if let tests = f.tests {
                var total = 0
                for test in tests {
                    switch test {
                    case .wildcard(let w): total += w.complexity
                    case .anythingButWildcard(let ws): total += ws.reduce(0) { $0 + $1.complexity }
                    default: continue
                    }
                }
                if total > limit { throw PatternError(reason: reason) }
            }
            if let child = f.child { try check(child) }
        }
        for group in m.alternatives {
            for alt in group { try check(alt) }
        }
    }
}
