import SimfraCore

/// Reading scalar tokens: literals, numbers and strings (with escapes).
extension PatternTokenizer {
    static func isIdentifierPart(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x24
            || c >= 0x80
    }

    mutating func invalidToken(from start: Int) -> PatternError {
        var end = start
        while end < b.count, Self.isIdentifierPart(b[end]), end - start < 256 { end += 1 }
        pos = end
        let token = String(decoding: b[start..<end], as: UTF8.self)
        return fail(
            "Unrecognized token '\(token)': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")
    }

    mutating func literal(_ word: StaticString) throws(PatternError) {
        let n = word.utf8CodeUnitCount
        let start = pos
        let matches = word.withUTF8Buffer { w in
            guard start + n <= b.count else { return false }
            for k in 0..<n where b[start + k] != w[k] { return false }
            return true
        }
        // Jackson reads the whole identifier-like run, so "trueish" is one bad token.
        guard matches, start + n >= b.count || !Self.isIdentifierPart(b[start + n]) else {
            throw invalidToken(from: start)
        }
        pos = start + n
    }

    mutating func number() throws(PatternError) -> Token {
        let start = pos
        var isInteger = true
        if b[pos] == UInt8(ascii: "-") {
            pos += 1
            guard pos < b.count else { throw endOfInput(" in a Number value") }
            guard isDigit(b[pos]) else {
                throw unexpected(at: pos, "expected digit (0-9) to follow minus sign, for valid numeric value")
                    .inNumericValue()
            }
        }
        if b[pos] == UInt8(ascii: "0"), pos + 1 < b.count, isDigit(b[pos + 1]) {
            pos += 2
            throw fail("Invalid numeric value: Leading zeroes not allowed")
        }
        while pos < b.count, isDigit(b[pos]) { pos += 1 }
        if pos < b.count, b[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < b.count else { throw endOfInput(" in a Number value") }
            guard isDigit(b[pos]) else {
                throw unexpected(at: pos, "Decimal point not followed by a digit").inNumericValue()
            }
            while pos < b.count, isDigit(b[pos]) { pos += 1 }
        }
        if pos < b.count, b[pos] == UInt8(ascii: "e") || b[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if pos < b.count, b[pos] == UInt8(ascii: "+") || b[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < b.count else { throw endOfInput(" in a Number value") }
            guard isDigit(b[pos]) else {
                throw unexpected(at: pos, "Exponent indicator not followed by a digit").inNumericValue()
            }
            while pos < b.count, isDigit(b[pos]) { pos += 1 }
        }
        numberText = String(decoding: b[start..<pos], as: UTF8.self)
        return .number(isInteger: isInteger)
    }

    func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    mutating func skipWhitespace() {
        while pos < b.count, b[pos] == 0x20 || b[pos] == 0x0A || b[pos] == 0x0D || b[pos] == 0x09 { pos += 1 }
    }

    /// Reads a string body starting after its opening quote; leaves `pos` after the closing quote.
    mutating func readString(from start: Int, isName: Bool = false) throws(PatternError) -> String {
        pos = start
        while pos < b.count {
            let c = b[pos]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: b[start..<pos], as: UTF8.self)
                pos += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 {
                pos += 1
                throw fail(
                    "Illegal unquoted character (\(Self.describe(c))): has to be escaped using backslash to be included in string value")
            }
            pos += 1
        }
        var out = Array(b[start..<pos])
        while pos < b.count {
            let c = b[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c < 0x20 {
                pos += 1
                throw fail(
                    "Illegal unquoted character (\(Self.describe(c))): has to be escaped using backslash to be included in string value")
            }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                pos += 1
                continue
            }
            pos += 1
            guard pos < b.count else { break }
            let e = b[pos]
            pos += 1
            if let plain = JSONText.unescape(e) {
                out.append(plain)
                continue
            }
            switch e {
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00, pos + 1 < b.count, b[pos] == UInt8(ascii: "\\"),
                    b[pos + 1] == UInt8(ascii: "u")
                {
                    let save = pos
                    pos += 2
                    let low = try hex4()
                    if low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        pos = save
                    }
                }
                // Jackson keeps lone surrogates; a Swift string cannot, so they become U+FFFD.
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw fail("Unrecognized character escape \(Self.describe(e))")
            }
        }
        throw endOfInput(isName ? ": was expecting closing '\"' for name" : ": was expecting closing quote for a string value")
    }

    mutating func hex4() throws(PatternError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard pos < b.count else { throw endOfInput(": was expecting closing quote for a string value") }
            let c = b[pos]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default:
                pos += 1
                throw fail("Unexpected character (\(Self.describe(c))): expected a hex-digit for character escape sequence")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }
}

extension PatternError {
    /// Jackson words a bad character inside a number "Unexpected character (…) in numeric value: …".
    fileprivate func inNumericValue() -> PatternError {
        var e = self
        if let r = e.reason.range(of: "): ") {
            e.reason.replaceSubrange(r, with: ") in numeric value: ")
        }
        return e
    }
}
