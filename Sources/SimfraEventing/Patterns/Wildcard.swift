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
