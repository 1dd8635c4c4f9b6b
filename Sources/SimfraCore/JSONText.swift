/// JSON string literals for services that write small JSON documents by hand (key policies,
/// queue attributes) rather than through a protocol codec.
public enum JSONText {
    /// Appends `s` as a quoted JSON string: quotes, backslashes and control characters
    /// escaped, everything else as is (JSON is UTF-8; no `\u` for non-ASCII).
    public static func append(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    /// `s` as a quoted JSON string.
    public static func quoted(_ s: String) -> String {
        var out = ""
        append(s, to: &out)
        return out
    }

    /// The byte a one-character JSON escape stands for (`n` of `\n` → 0x0A); nil for `u`,
    /// which needs its four hex digits, and for anything JSON does not allow after `\`.
    /// Every JSON reader in the project shares it; they differ only in how they report errors
    /// and treat lone surrogates.
    @inlinable
    public static func unescape(_ e: UInt8) -> UInt8? {
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return e
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        default: return nil
        }
    }
}
