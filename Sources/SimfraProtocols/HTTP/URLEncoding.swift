/// Percent-encoding as SigV4 and the AWS query protocols define it.
package enum URLEncoding {
    /// RFC 3986 unreserved: A-Z a-z 0-9 - _ . ~
    @inline(__always)
    static func isUnreserved(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
            || c == 0x2D || c == 0x5F || c == 0x2E || c == 0x7E
    }

    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// SigV4 URI encoding: everything but unreserved characters (and `/` when `keepSlash`).
    package static func encode(_ s: String, keepSlash: Bool = false) -> String {
        var out = [UInt8]()
        out.reserveCapacity(s.utf8.count + 8)
        for c in s.utf8 {
            if isUnreserved(c) || (keepSlash && c == 0x2F) {
                out.append(c)
            } else {
                out.append(0x25)
                out.append(upperHex[Int(c >> 4)])
                out.append(upperHex[Int(c & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-decoding; nil when an escape is malformed or the result is not UTF-8.
    package static func decode(_ s: String, plusIsSpace: Bool) -> String? {
        var needs = false
        for c in s.utf8 where c == 0x25 || (plusIsSpace && c == 0x2B) {
            needs = true
            break
        }
        if !needs { return s }
        var out = [UInt8]()
        out.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == 0x25 {
                guard it.count >= 2, let h = hexVal(it[it.startIndex]), let l = hexVal(it[it.startIndex + 1]) else {
                    return nil
                }
                out.append(h << 4 | l)
                it = it.dropFirst(2)
            } else if plusIsSpace && c == 0x2B {
                out.append(0x20)
            } else {
                out.append(c)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexVal(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// `a=1&b=2` into decoded pairs (a bare `a` gives `("a", "")`).
    package static func parsePairs(_ s: String, plusIsSpace: Bool) -> [(String, String)] {
        if s.isEmpty { return [] }
        var out: [(String, String)] = []
        for part in s.split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: "=") {
                let k = String(part[..<eq]), v = String(part[part.index(after: eq)...])
                out.append((decode(k, plusIsSpace: plusIsSpace) ?? k, decode(v, plusIsSpace: plusIsSpace) ?? v))
            } else {
                let k = String(part)
                out.append((decode(k, plusIsSpace: plusIsSpace) ?? k, ""))
            }
        }
        return out
    }

    /// Decode a form body (`application/x-www-form-urlencoded`): `+` is a space there.
    package static func parseForm(_ body: [UInt8]) -> [(String, String)]? {
        guard let s = String(validating: body, as: UTF8.self) else { return nil }
        return parsePairs(s, plusIsSpace: true)
    }
}
