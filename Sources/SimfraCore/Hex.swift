/// Lower-case hex without `String(format:)` (38 µs per SHA-256 on Linux, see STACK.md).
public enum Hex {
    public static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Fast path for digests: one pass over contiguous bytes, no iterator.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            digits.withUnsafeBufferPointer { d in
                for b in bytes {
                    out[i] = d[Int(b >> 4)]
                    out[i + 1] = d[Int(b & 0xF)]
                    i += 2
                }
            }
            return i
        }
    }

    /// 128 bits in UUID layout (`8-4-4-4-12` lower-case hex digits), `high` first.
    public static func uuid(high: UInt64, low: UInt64) -> String {
        var out = [UInt8]()
        out.reserveCapacity(36)
        func hex(_ v: UInt64, _ count: Int) {
            var shift = (count - 1) * 4
            while shift >= 0 {
                out.append(digits[Int((v >> UInt64(shift)) & 0xF)])
                shift -= 4
            }
        }
        hex(high >> 32, 8)
        out.append(UInt8(ascii: "-"))
        hex((high >> 16) & 0xFFFF, 4)
        out.append(UInt8(ascii: "-"))
        hex(high & 0xFFFF, 4)
        out.append(UInt8(ascii: "-"))
        hex(low >> 48, 4)
        out.append(UInt8(ascii: "-"))
        hex(low & 0xFFFF_FFFF_FFFF, 12)
        return String(decoding: out, as: UTF8.self)
    }

    /// Random lowercase hex, drawing 8 bytes per RNG call: each call is a getrandom
    /// syscall, and drawing byte by byte cost 16 of them per S3 upload.
    public static func random(bytes: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(bytes)
        while out.count < bytes {
            var v: UInt64 = rng.next()
            for _ in 0..<min(8, bytes - out.count) {
                out.append(UInt8(truncatingIfNeeded: v))
                v >>= 8
            }
        }
        return encode(out)
    }

    public static func decode(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
