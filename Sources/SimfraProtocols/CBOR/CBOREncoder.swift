import SimfraCore

/// RFC 8949 encoder from `Value` to bytes, for Smithy rpcv2Cbor bodies.
///
/// - `.integer` → major type 0/1, shortest argument
/// - `.double` → shortest float (half/single/double) that represents it exactly
///   (NaN as f9 7e00), or always float64 with `shortestFloats: false`
/// - `.string` → text string; `.blob` → byte string
/// - `.timestamp` → tag 1 + float64
/// - `.list` → definite array; `.object` → definite map with text keys
/// - `.null` → f6; `.bool` → f4/f5
package struct CBOREncoder: Sendable {
    package var shortestFloats: Bool
    /// Emit map keys in ascending `String` order (deterministic output; costs a sort per map).
    package var sortKeys: Bool

    package init(shortestFloats: Bool = true, sortKeys: Bool = false) {
        self.shortestFloats = shortestFloats
        self.sortKeys = sortKeys
    }

    package func encode(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedSize(value))
        encode(value, into: &out)
        return out
    }

    /// Appends the encoding of `value` to `out`.
    package func encode(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(0xF6)
        case .bool(let b):
            out.append(b ? 0xF5 : 0xF4)
        case .integer(let i):
            if i >= 0 {
                writeHead(0, UInt64(i), &out)
            } else {
                writeHead(1, ~UInt64(bitPattern: i), &out)
            }
        case .double(let d):
            writeFloat(d, &out)
        case .string(let s):
            writeHead(3, UInt64(s.utf8.count), &out)
            out.append(contentsOf: s.utf8)
        case .blob(let b):
            writeHead(2, UInt64(b.count), &out)
            out.append(contentsOf: b)
        case .timestamp(let t):
            out.append(0xC1)
            writeFloat64(t, &out)
        case .list(let items):
            writeHead(4, UInt64(items.count), &out)
            for item in items { encode(item, into: &out) }
        case .object(let obj):
            writeHead(5, UInt64(obj.count), &out)
            if sortKeys {
                for key in obj.keys.sorted() {
                    writeHead(3, UInt64(key.utf8.count), &out)
                    out.append(contentsOf: key.utf8)
                    encode(obj[key]!, into: &out)
                }
            } else {
                for (key, v) in obj {
                    writeHead(3, UInt64(key.utf8.count), &out)
                    out.append(contentsOf: key.utf8)
                    encode(v, into: &out)
                }
            }
        }
    }

    /// Exact number of bytes `encode` produces for `value`.
    package func encodedSize(_ value: Value) -> Int {
        switch value {
        case .null, .bool:
            return 1
        case .integer(let i):
            return headSize(i >= 0 ? UInt64(i) : ~UInt64(bitPattern: i))
        case .double(let d):
            return floatSize(d)
        case .string(let s):
            let n = s.utf8.count
            return headSize(UInt64(n)) + n
        case .blob(let b):
            return headSize(UInt64(b.count)) + b.count
        case .timestamp:
            return 10
        case .list(let items):
            var n = headSize(UInt64(items.count))
            for item in items { n += encodedSize(item) }
            return n
        case .object(let obj):
            var n = headSize(UInt64(obj.count))
            for (key, v) in obj {
                let k = key.utf8.count
                n += headSize(UInt64(k)) + k + encodedSize(v)
            }
            return n
        }
    }

    /// Convenience: `CBOREncoder().encode(value)`.
    package static func encode(_ value: Value) -> [UInt8] {
        CBOREncoder().encode(value)
    }

    // MARK: - Floats

    private func floatSize(_ d: Double) -> Int {
        guard shortestFloats else { return 9 }
        if d.isNaN { return 3 }
        let f = Float(d)
        guard Double(f) == d else { return 9 }
        return halfBits(exactly: f) != nil ? 3 : 5
    }

    private func writeFloat(_ d: Double, _ out: inout [UInt8]) {
        guard shortestFloats else { return writeFloat64(d, &out) }
        if d.isNaN {
            out.append(0xF9); out.append(0x7E); out.append(0x00)
            return
        }
        let f = Float(d)
        guard Double(f) == d else { return writeFloat64(d, &out) }
        if let h = halfBits(exactly: f) {
            out.append(0xF9)
            out.append(UInt8(truncatingIfNeeded: h >> 8))
            out.append(UInt8(truncatingIfNeeded: h))
        } else {
            out.append(0xFA)
            appendBigEndian(UInt64(f.bitPattern), bytes: 4, &out)
        }
    }

    private func writeFloat64(_ d: Double, _ out: inout [UInt8]) {
        out.append(0xFB)
        appendBigEndian(d.bitPattern, bytes: 8, &out)
    }
}

// MARK: - Helpers

@inline(__always)
private func headSize(_ arg: UInt64) -> Int {
    if arg < 24 { return 1 }
    if arg <= 0xFF { return 2 }
    if arg <= 0xFFFF { return 3 }
    if arg <= 0xFFFF_FFFF { return 5 }
    return 9
}

@inline(__always)
private func appendBigEndian(_ v: UInt64, bytes n: Int, _ out: inout [UInt8]) {
    var shift = (n - 1) * 8
    while shift >= 0 {
        out.append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
        shift -= 8
    }
}

@inline(__always)
private func writeHead(_ major: UInt8, _ arg: UInt64, _ out: inout [UInt8]) {
    let m = major << 5
    if arg < 24 {
        out.append(m | UInt8(arg))
    } else if arg <= 0xFF {
        out.append(m | 24)
        out.append(UInt8(arg))
    } else if arg <= 0xFFFF {
        out.append(m | 25)
        appendBigEndian(arg, bytes: 2, &out)
    } else if arg <= 0xFFFF_FFFF {
        out.append(m | 26)
        appendBigEndian(arg, bytes: 4, &out)
    } else {
        out.append(m | 27)
        appendBigEndian(arg, bytes: 8, &out)
    }
}

/// The binary16 bit pattern of `f` if it is exactly representable as one (NaN excluded).
private func halfBits(exactly f: Float) -> UInt16? {
    let bits = f.bitPattern
    let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
    let exp = Int((bits >> 23) & 0xFF)
    let mant = bits & 0x7F_FFFF
    if exp == 0xFF {
        return mant == 0 ? sign | 0x7C00 : nil
    }
    if exp == 0 {
        // Zero; float subnormals are far below binary16's range.
        return mant == 0 ? sign : nil
    }
    let e = exp - 127
    if e >= -14 && e <= 15 {
        guard mant & 0x1FFF == 0 else { return nil }
        return sign | UInt16(e + 15) << 10 | UInt16(mant >> 13)
    }
    if e >= -24 && e < -14 {
        let full = mant | 0x80_0000
        let shift = UInt32(-e - 1)
        guard full & ((1 << shift) - 1) == 0 else { return nil }
        return sign | UInt16(full >> shift)
    }
    return nil
}
