/// A glob over UTF-8 bytes where `*` matches any run (including none) and `?` exactly one byte.
///
/// Tokens are `UInt16` so a literal `*` (from the `${*}` policy variable) can sit in a pattern
/// beside a wildcard `*`: 0...255 are literal bytes, `star` and `question` are the wildcards.
/// Common shapes (`*`, exact, `prefix*`) are recognised once at compile time so the hot path
/// of an evaluation is a byte compare, not a backtracking walk.
package struct WildcardPattern: Sendable, Equatable {
    package static let star: UInt16 = 256
    package static let question: UInt16 = 257

    enum Shape: UInt8, Sendable, Equatable { case any, exact, prefix, glob }

    /// Stored flat (not as enum payloads) so matching reads fields without retaining arrays.
    let shape: Shape
    /// The literal bytes for `exact` and `prefix`.
    let literal: [UInt8]
    /// The tokens for `glob`.
    let tokens: [UInt16]

    package init(tokens: [UInt16]) {
        if tokens.allSatisfy({ $0 == Self.star }), !tokens.isEmpty {
            shape = .any
            literal = []
            self.tokens = []
        } else if tokens.allSatisfy({ $0 < 256 }) {
            shape = .exact
            literal = tokens.map { UInt8($0) }
            self.tokens = []
        } else if let last = tokens.last, last == Self.star, tokens.dropLast().allSatisfy({ $0 < 256 }) {
            shape = .prefix
            literal = tokens.dropLast().map { UInt8($0) }
            self.tokens = []
        } else {
            shape = .glob
            literal = []
            self.tokens = tokens
        }
    }

    /// `*` and `?` in `text` are wildcards; with `lowercased`, ASCII letters are folded so the
    /// subject must be folded the same way (actions are matched case-insensitively).
    package init(_ text: String, lowercased: Bool = false) {
        self.init(tokens: Self.tokens(text, lowercased: lowercased))
    }

    package static func tokens(_ text: String, lowercased: Bool = false) -> [UInt16] {
        var out: [UInt16] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "*"): out.append(star)
            case UInt8(ascii: "?"): out.append(question)
            case UInt8(ascii: "A")...UInt8(ascii: "Z") where lowercased: out.append(UInt16(b) + 32)
            default: out.append(UInt16(b))
            }
        }
        return out
    }

    package var matchesEverything: Bool { shape == .any }

    package func matches(_ subject: String) -> Bool {
        var s = subject
        return s.withUTF8 { matches($0[...]) }
    }

    package func matches(_ subject: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        switch shape {
        case .any: return true
        case .exact: return subject.count == literal.count && Self.startsWith(subject, literal)
        case .prefix: return subject.count >= literal.count && Self.startsWith(subject, literal)
        case .glob: return Self.glob(tokens[...], subject)
        }
    }

    /// Whether `s` begins with `p` (`s` is at least as long): a plain pointer loop, with no
    /// per-byte bounds checks, since this compare is most of an evaluation's work.
    static func startsWith(_ s: Slice<UnsafeBufferPointer<UInt8>>, _ p: [UInt8]) -> Bool {
        guard let base = s.base.baseAddress else { return p.isEmpty }
        let start = base + s.startIndex
        return p.withUnsafeBufferPointer { pb in
            guard let pp = pb.baseAddress else { return true }
            var i = 0
            let n = pb.count
            while i + 8 <= n {
                if UnsafeRawPointer(start + i).loadUnaligned(as: UInt64.self)
                    != UnsafeRawPointer(pp + i).loadUnaligned(as: UInt64.self)
                {
                    return false
                }
                i += 8
            }
            while i < n {
                if start[i] != pp[i] { return false }
                i += 1
            }
            return true
        }
    }

    /// Iterative glob with one backtrack point: linear for the patterns policies use.
    static func glob(_ p: ArraySlice<UInt16>, _ s: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var pi = p.startIndex
        var si = s.startIndex
        var starP = -1
        var starS = si
        while si < s.endIndex {
            if pi < p.endIndex, p[pi] == question || p[pi] == UInt16(s[si]) {
                pi += 1
                si += 1
            } else if pi < p.endIndex, p[pi] == star {
                starP = pi
                starS = si
                pi += 1
            } else if starP >= 0 {
                pi = starP + 1
                starS += 1
                si = starS
            } else {
                return false
            }
        }
        while pi < p.endIndex, p[pi] == star { pi += 1 }
        return pi == p.endIndex
    }
}
