/// A Resource (or `Arn*` condition) pattern matched the way IAM matches ARNs: segment by
/// segment for `arn:partition:service:region:account:`, so a wildcard in the region never
/// swallows the account, and the last segment of the pattern (the resource part, or an earlier
/// one if the pattern is shorter) matches the rest of the ARN, colons included.
/// Matching is case-sensitive, as AWS matches resources.
package struct ArnPattern: Sendable, Equatable {
    /// Up to six segment patterns; `nil` when the pattern is not ARN-shaped (e.g. `*`), then
    /// `whole` matches the entire subject.
    let segments: [WildcardPattern]?
    let whole: WildcardPattern
    /// When every segment but the last is literal (`arn:aws:s3:::`, `arn:aws:sqs:us-east-1:123:`),
    /// those bytes, colons included: matching is then one prefix compare plus the last segment.
    let literalHead: [UInt8]?

    package init(tokens: [UInt16]) {
        whole = WildcardPattern(tokens: tokens)
        let colon = UInt16(UInt8(ascii: ":"))
        var parts: [[UInt16]] = [[]]
        for t in tokens {
            if t == colon, parts.count < 6 { parts.append([]) } else { parts[parts.count - 1].append(t) }
        }
        // Only patterns that start with a literal `arn` segment are treated segment-wise.
        if parts.count >= 2, parts[0] == Array("arn".utf8).map(UInt16.init) {
            segments = parts.map(WildcardPattern.init(tokens:))
            if parts.count == 6, parts.dropLast().allSatisfy({ $0.allSatisfy { $0 < 256 } }) {
                literalHead = parts.dropLast().flatMap { $0.map { UInt8($0) } + [UInt8(ascii: ":")] }
            } else {
                literalHead = nil
            }
        } else {
            segments = nil
            literalHead = nil
        }
    }

    package init(_ text: String) { self.init(tokens: WildcardPattern.tokens(text)) }

    package var matchesEverything: Bool { whole.matchesEverything }

    package func matches(_ subject: String) -> Bool {
        var s = subject
        return s.withUTF8 { matches($0) }
    }

    /// Matches a pattern resolved per request (one with policy variables) without compiling it:
    /// the same segment rules as a compiled `ArnPattern`, straight over the tokens.
    static func matches(tokens: [UInt16], _ subject: UnsafeBufferPointer<UInt8>) -> Bool {
        let colon = UInt16(UInt8(ascii: ":"))
        let arnPrefix: [UInt16] = [97, 114, 110, colon]
        guard tokens.count > 4, tokens[0..<4].elementsEqual(arnPrefix) else {
            return WildcardPattern.glob(tokens[...], subject[...])
        }
        var pStart = 0
        var sStart = subject.startIndex
        var segment = 0
        while true {
            let pEnd = segment < 5 ? (tokens[pStart...].firstIndex(of: colon) ?? tokens.count) : tokens.count
            if pEnd == tokens.count { return WildcardPattern.glob(tokens[pStart..<pEnd], subject[sStart...]) }
            guard let sEnd = subject[sStart...].firstIndex(of: UInt8(ascii: ":")),
                WildcardPattern.glob(tokens[pStart..<pEnd], subject[sStart..<sEnd])
            else { return false }
            pStart = pEnd + 1
            sStart = sEnd + 1
            segment += 1
        }
    }

    package func matches(_ subject: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let segments else { return whole.matches(subject[...]) }
        if let head = literalHead {
            guard subject.count >= head.count, WildcardPattern.startsWith(subject[...], head)
            else { return false }
            return segments[5].matches(subject[head.count...])
        }
        return segments.withUnsafeBufferPointer { segs in
            var start = subject.startIndex
            let last = segs.count - 1
            var i = 0
            while i < last {
                guard let colon = subject[start...].firstIndex(of: UInt8(ascii: ":")),
                    segs[i].matches(subject[start..<colon])
                else { return false }
                start = colon + 1
                i += 1
            }
            return segs[last].matches(subject[start...])
        }
    }
}
