/// An IPv4 or IPv6 CIDR block from an `IpAddress`/`NotIpAddress` condition value. A bare
/// address is a /32 (or /128). IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) compare as IPv4.
package struct IPAddressRange: Sendable, Equatable {
    let bytes: [UInt8]
    let prefixLength: Int

    package init?(_ text: String) {
        var addr = Substring(text)
        var prefix: Int?
        if let slash = text.firstIndex(of: "/") {
            addr = text[..<slash]
            guard let p = Int(text[text.index(after: slash)...]) else { return nil }
            prefix = p
        }
        guard let b = Self.parse(addr) else { return nil }
        let maxLen = b.count * 8
        let p = prefix ?? maxLen
        guard p >= 0, p <= maxLen else { return nil }
        bytes = b
        prefixLength = p
    }

    package func contains(_ address: String) -> Bool {
        guard let a = Self.parse(Substring(address)), a.count == bytes.count else { return false }
        var remaining = prefixLength
        for i in 0..<bytes.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if a[i] & mask != bytes[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6.
    static func parse(_ s: Substring) -> [UInt8]? {
        if !s.utf8.contains(UInt8(ascii: ":")) { return parseIPv4(s) }
        guard let v6 = parseIPv6(s) else { return nil }
        if v6[0..<10].allSatisfy({ $0 == 0 }), v6[10] == 0xFF, v6[11] == 0xFF { return Array(v6[12...]) }
        return v6
    }

    /// Dotted quad, read byte by byte (this runs for every `aws:SourceIp` test).
    static func parseIPv4(_ s: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(4)
        var value = 0
        var digits = 0
        for b in s.utf8 {
            if b >= 48, b <= 57 {
                value = value * 10 + Int(b - 48)
                digits += 1
                guard digits <= 3, value <= 255 else { return nil }
            } else if b == UInt8(ascii: "."), digits > 0, out.count < 3 {
                out.append(UInt8(value))
                value = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0, out.count == 3 else { return nil }
        out.append(UInt8(value))
        return out
    }

    static func parseIPv6(_ s: Substring) -> [UInt8]? {
        var text = s
        var v4: [UInt8]?
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].utf8.contains(UInt8(ascii: ".")) {
            guard let b = parseIPv4(text[text.index(after: lastColon)...]) else { return nil }
            v4 = b
            // Keep a trailing "::" intact; drop the single colon before the IPv4 tail otherwise.
            text = text[...lastColon]
            if !text.hasSuffix("::") { text = text.dropLast() }
        }
        func words(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for p in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !p.isEmpty, p.count <= 4, let v = UInt16(p, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        let want = v4 == nil ? 8 : 6
        var all: [UInt16]
        if let gap = text.firstRange(of: "::") {
            let after = text[gap.upperBound...]
            guard after.firstRange(of: "::") == nil, let head = words(text[..<gap.lowerBound]), let tail = words(after),
                head.count + tail.count < want
            else { return nil }
            all = head + Array(repeating: 0, count: want - head.count - tail.count) + tail
        } else {
            guard let w = words(text), w.count == want else { return nil }
            all = w
        }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for w in all { out += [UInt8(w >> 8), UInt8(w & 0xFF)] }
        if let v4 { out += v4 }
        return out
    }
}
