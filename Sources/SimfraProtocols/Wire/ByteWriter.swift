/// An append-only byte buffer for writing JSON and XML without Foundation.
package struct ByteWriter {
    package var bytes: [UInt8] = []

    package init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    @inline(__always) package mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) package mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    @inline(__always) package mutating func append(byte: UInt8) { bytes.append(byte) }

    package mutating func append(int v: Int64) { append(String(v)) }

    /// Doubles as AWS writes them: integral values without a fraction, others shortest form.
    package mutating func append(double d: Double) {
        if d.isNaN { append("\"NaN\""); return }
        if d.isInfinite { append(d > 0 ? "\"Infinity\"" : "\"-Infinity\""); return }
        if d == d.rounded() && abs(d) < 1e15 { append(String(Int64(d))); return }
        append(String(d))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string literal with the escapes RFC 8259 requires.
    package mutating func appendJSONString(_ s: String) {
        bytes.append(0x22)
        var s = s
        s.withUTF8 { u in
            var runStart = 0
            for k in 0..<u.count {
                let c = u[k]
                if c >= 0x20 && c != 0x22 && c != 0x5C { continue }
                if runStart < k { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<k])) }
                runStart = k + 1
                switch c {
                case 0x22: bytes.append(0x5C); bytes.append(0x22)
                case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
                case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
                default:
                    append("\\u00")
                    bytes.append(Self.hex[Int(c >> 4)])
                    bytes.append(Self.hex[Int(c & 0xF)])
                }
            }
            if runStart < u.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<u.count])) }
        }
        bytes.append(0x22)
    }

    /// XML character data or attribute value. Carriage returns, tabs and other control
    /// characters become character references so S3 keys round-trip exactly.
    package mutating func appendXMLEscaped(_ s: String) {
        var s = s
        s.withUTF8 { u in
            var runStart = 0
            for k in 0..<u.count {
                let c = u[k]
                let rep: StaticString
                switch c {
                case UInt8(ascii: "&"): rep = "&amp;"
                case UInt8(ascii: "<"): rep = "&lt;"
                case UInt8(ascii: ">"): rep = "&gt;"
                case UInt8(ascii: "\""): rep = "&quot;"
                case UInt8(ascii: "'"): rep = "&apos;"
                case 0x0D: rep = "&#13;"
                case 0x0A: rep = "&#10;"
                case 0x09: rep = "&#9;"
                default:
                    if c >= 0x20 { continue }
                    rep = ""
                }
                if runStart < k { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<k])) }
                runStart = k + 1
                if rep.utf8CodeUnitCount > 0 {
                    append(rep)
                } else {
                    append("&#")
                    append(String(c))
                    append(";")
                }
            }
            if runStart < u.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<u.count])) }
        }
    }

    /// Free text for an XML document that no client must fail to parse (error messages echo
    /// request input): C0 control characters other than tab, LF and CR have no XML 1.0
    /// representation at all (`&#0;` is as invalid as a raw NUL), so they become U+FFFD.
    package static func xmlSafeText(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else { return s }
        return String(String.UnicodeScalarView(s.unicodeScalars.map {
            $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" ? "\u{FFFD}" : $0
        }))
    }
}
