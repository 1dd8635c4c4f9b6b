/// Standard base64 (RFC 4648 §4) for every target: wire blobs, checksums, pagination tokens and
/// receipt handles. Table-driven, without Foundation (whose encoder copies through `Data`).
package enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var r = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { r[Int(c)] = UInt8(i) }
        return r
    }()

    /// With padding.
    package static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        let a = alphabet
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(a[Int(v >> 18)])
            out.append(a[Int((v >> 12) & 63)])
            out.append(a[Int((v >> 6) & 63)])
            out.append(a[Int(v & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out.append(a[Int(v >> 18)])
            out.append(a[Int((v >> 12) & 63)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(a[Int(v >> 18)])
            out.append(a[Int((v >> 12) & 63)])
            out.append(a[Int((v >> 6) & 63)])
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    package static func encode(_ s: String) -> String { encode(Array(s.utf8)) }

    /// What clients send: padding may be left off (some SDKs do), but when present it must
    /// complete the last quantum. Nil for characters outside the alphabet, `=` anywhere else,
    /// or a dangling single character.
    package static func decode(_ s: String) -> [UInt8]? {
        var u = Array(s.utf8)
        var padding = 0
        while padding < 2, u.last == UInt8(ascii: "=") {
            u.removeLast()
            padding += 1
        }
        if padding > 0 && (u.count + padding) % 4 != 0 { return nil }
        if u.count % 4 == 1 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for c in u {
            let v = reverse[Int(c)]
            if v == 0xFF { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return out
    }

    /// Canonical only: padded, and the bits past the last byte zero. For tokens Simfra issued
    /// itself (SQS receipt handles), so any other spelling of the same bytes is refused.
    package static func decodeCanonical(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 4 * 3)
        var i = 0
        while i < u.count {
            let c0 = reverse[Int(u[i])], c1 = reverse[Int(u[i + 1])]
            guard c0 != 0xFF, c1 != 0xFF else { return nil }
            let last = i + 4 == u.count
            if last && u[i + 2] == UInt8(ascii: "=") {
                guard u[i + 3] == UInt8(ascii: "="), c1 & 0x0F == 0 else { return nil }
                out.append(c0 << 2 | c1 >> 4)
                break
            }
            let c2 = reverse[Int(u[i + 2])]
            guard c2 != 0xFF else { return nil }
            if last && u[i + 3] == UInt8(ascii: "=") {
                guard c2 & 0x03 == 0 else { return nil }
                out.append(c0 << 2 | c1 >> 4)
                out.append((c1 & 0x0F) << 4 | c2 >> 2)
                break
            }
            let c3 = reverse[Int(u[i + 3])]
            guard c3 != 0xFF else { return nil }
            out.append(c0 << 2 | c1 >> 4)
            out.append((c1 & 0x0F) << 4 | c2 >> 2)
            out.append((c2 & 0x03) << 6 | c3)
            i += 4
        }
        return out
    }
}
