/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, for `cidr` and for pattern strings that are
/// addresses (AWS matches "10.0.0.1" against an address however the event spells it).
struct IPAddress: Sendable, Equatable {
    var bytes: [UInt8]

    /// The shapes AWS treats as address literals: four dot-separated digit runs, or hex digits
    /// and colons with at least one colon. Anything else is not an address (not an error).
    static func looksLikeAddress(_ s: String) -> Bool {
        looksLikeV4(s) || looksLikeV6(s)
    }

    private static func looksLikeV4(_ s: String) -> Bool {
        var groups = 0
        var digits = 0
        for c in s.utf8 {
            if c >= 0x30 && c <= 0x39 {
                digits += 1
            } else if c == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                groups += 1
                digits = 0
            } else {
                return false
            }
        }
        return groups == 3 && digits > 0
    }

    private static func looksLikeV6(_ s: String) -> Bool {
        var colon = false
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: ":"): colon = true
            case 0x30...0x39, 0x41...0x46, 0x61...0x66: continue
            default: return false
            }
        }
        return colon
    }

    /// Parses an address literal; nil when it does not look like one or is not a valid one.
    init?(parsing s: String) {
        if Self.looksLikeV4(s) {
            var out: [UInt8] = []
            out.reserveCapacity(4)
            for part in s.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
                var v = 0
                for c in part {
                    v = v * 10 + Int(c - 0x30)
                    if v > 255 { return nil }
                }
                out.append(UInt8(v))
            }
            bytes = out
            return
        }
        guard Self.looksLikeV6(s), let b = Self.parseV6(Array(s.utf8)) else { return nil }
        bytes = b
    }

    private static func parseV6(_ s: [UInt8]) -> [UInt8]? {
        func groups(_ part: ArraySlice<UInt8>) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4 else { return nil }
                var v: UInt16 = 0
                for c in g {
                    let d: UInt16
                    switch c {
                    case 0x30...0x39: d = UInt16(c - 0x30)
                    case 0x41...0x46: d = UInt16(c - 0x41 + 10)
                    case 0x61...0x66: d = UInt16(c - 0x61 + 10)
                    default: return nil
                    }
                    v = v << 4 | d
                }
                out.append(v)
            }
            return out
        }
        var words: [UInt16]
        if let r = Self.doubleColon(s) {
            guard let head = groups(s[..<r]), let tail = groups(s[(r + 2)...]), head.count + tail.count < 8 else { return nil }
            // A second "::" is invalid.
            if Self.doubleColon(Array(s[(r + 2)...])) != nil { return nil }
            words = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = groups(s[...]), all.count == 8 else { return nil }
            words = all
        }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for w in words {
            out.append(UInt8(w >> 8))
            out.append(UInt8(w & 0xFF))
        }
        return out
    }

    private static func doubleColon(_ s: [UInt8]) -> Int? {
        guard s.count >= 2 else { return nil }
        for i in 0..<(s.count - 1) where s[i] == UInt8(ascii: ":") && s[i + 1] == UInt8(ascii: ":") { return i }
        return nil
    }
}

/// An inclusive address range from a CIDR block.
struct IPRange: Sendable, Equatable {
    var low: [UInt8]
    var high: [UInt8]

    func contains(_ ip: IPAddress) -> Bool {
        guard ip.bytes.count == low.count else { return false }
        return !ip.bytes.lexicographicallyPrecedes(low) && !high.lexicographicallyPrecedes(ip.bytes)
    }

    /// Parses "10.0.0.0/24" or "2001:db8::/32" with AWS's messages for malformed blocks
    /// (thrown without a parser location, as AWS reports them).
    static func parse(cidr: String) throws(PatternError) -> IPRange {
        // Java's String.split: empty pieces are kept, except trailing ones.
        var parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, last.isEmpty { parts.removeLast() }
        guard parts.count == 2 else {
            throw PatternError(reason: "Malformed CIDR, one '/' required")
        }
        guard let bits = Int32(parts[1]) else { throw PatternError(reason: "Malformed CIDR, mask bits must be an integer") }
        guard bits >= 0 else { throw PatternError(reason: "Malformed CIDR, mask bits must not be negative") }
        let ipText = String(parts[0])
        guard IPAddress.looksLikeAddress(ipText) else { throw PatternError(reason: "Nonstandard IP address: \(ipText)") }
        guard let ip = IPAddress(parsing: ipText) else { throw PatternError(reason: "Invalid IP address: \(ipText)") }
        if ip.bytes.count == 4 {
            guard bits <= 31 else { throw PatternError(reason: "IPv4 mask bits must be < 32") }
        } else {
            guard bits <= 127 else { throw PatternError(reason: "IPv6 mask bits must be < 128") }
        }
        var low = ip.bytes
        var high = ip.bytes
        for i in 0..<low.count {
            let keep = max(0, min(8, Int(bits) - i * 8))
            let mask: UInt8 = keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
            low[i] &= mask
            high[i] |= ~mask
        }
        return IPRange(low: low, high: high)
    }
}
