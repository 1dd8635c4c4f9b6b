/// A pull tokenizer over a pattern's JSON text that reports errors where AWS reports them.
///
/// AWS compiles EventBridge patterns and SNS filter policies with a streaming JSON parser (Jackson)
/// and validates while pulling tokens, so its messages end with that parser's position
/// ("\n at [Source: (String)\"…\"; line: 1, column: 11]"). Reproducing the position means
/// reproducing when the parser has consumed what: a field name is read together with its colon
/// and the first character(s) of its value; a string value is only consumed past its opening
/// quote until its text is asked for; numbers and literals are consumed whole.
struct PatternTokenizer {
    enum Token: Equatable {
        case startObject, endObject, startArray, endArray
        case fieldName
        case string, number(isInteger: Bool)
        case trueValue, falseValue, null
        /// End of input at the root.
        case end
    }

    private enum Context {
        case root
        case object(start: Int, entries: Int)
        case array(start: Int, entries: Int)
    }

    /// Deeper nesting than any real pattern needs; stops recursion on hostile input.
    static let maxDepth = 100

    private let b: [UInt8]
    private let source: String
    private(set) var pos = 0
    private var contexts: [Context] = [.root]
    private(set) var current: Token = .end
    /// The name of the current field (valid while `current` is `.fieldName`, and after it).
    private(set) var name = ""
    /// The value token read ahead after a field name, returned by the following `next()`.
    private var lookahead: Token?
    private var stringStart = 0
    private var stringIncomplete = false
    private var stringText = ""
    private var tokenStart = 0
    private var numberText = ""

    init(_ source: String) {
        self.source = source
        self.b = Array(source.utf8)
    }

    // MARK: - Errors

    /// An error at the parser's current position, worded like AWS's.
    func fail(_ message: String) -> PatternError {
        PatternError(reason: message + "\n at " + location(pos))
    }

    func location(_ offset: Int) -> String {
        var lineStart = 0
        var line = 1
        var i = 0
        while i < offset && i < b.count {
            if b[i] == 0x0A { line += 1; lineStart = i + 1 }
            i += 1
        }
        let column = String(decoding: b[lineStart..<min(offset, b.count)], as: UTF8.self).utf16.count + 1
        return "[Source: \(sourceDescription); line: \(line), column: \(column)]"
    }

    /// Jackson quotes at most 500 characters of the source.
    private var sourceDescription: String {
        let units = Array(source.utf16)
        if units.count <= 500 { return "(String)\"\(source)\"" }
        let head = String(decoding: units[0..<500], as: UTF16.self)
        return "(String)\"\(head)\"[truncated \(units.count - 500) chars]"
    }

    private static func describe(_ c: UInt8) -> String {
        if c < 0x20 { return "(CTRL-CHAR, code \(c))" }
        if c >= 0x80 { return "'\u{FFFD}' (code \(c))" }
        return "'\(Character(Unicode.Scalar(c)))' (code \(c))"
    }

    /// The character at `at` (a whole UTF-8 sequence) as Jackson describes it.
    private func describeChar(at i: Int) -> String {
        let c = b[i]
        if c < 0x80 { return Self.describe(c) }
        var end = i + 1
        while end < b.count, b[end] & 0xC0 == 0x80 { end += 1 }
        let s = String(decoding: b[i..<end], as: UTF8.self)
        let scalar = s.unicodeScalars.first!.value
        return "'\(s)' (code \(scalar) / 0x\(String(scalar, radix: 16)))"
    }

    private func charEnd(_ i: Int) -> Int {
        var end = i + 1
        while end < b.count, b[end] & 0xC0 == 0x80 { end += 1 }
        return end
    }

    private mutating func unexpected(at i: Int, _ what: String, consume: Bool = true) -> PatternError {
        pos = consume ? charEnd(i) : i
        return fail("Unexpected character (\(describeChar(at: i))): \(what)")
    }

    private mutating func endOfInput(_ what: String) -> PatternError {
        pos = b.count
        return fail("Unexpected end-of-input: \(what)")
    }

    // MARK: - Text of the current token

    /// The current token's text; completes a string value (moving past its closing quote).
    mutating func text() throws(PatternError) -> String {
        switch current {
        case .string:
            if stringIncomplete {
                stringText = try readString(from: stringStart)
                stringIncomplete = false
            }
            return stringText
        case .fieldName: return name
        case .number: return numberText
        case .startObject: return "{"
        case .endObject: return "}"
        case .startArray: return "["
        case .endArray: return "]"
        case .trueValue: return "true"
        case .falseValue: return "false"
        case .null: return "null"
        case .end: return ""
        }
    }

    var isNumeric: Bool {
        if case .number = current { return true }
        return false
    }

    // MARK: - Pulling tokens

    mutating func next() throws(PatternError) -> Token {
        if let ahead = lookahead {
            lookahead = nil
            try open(ahead)
            current = ahead
            return ahead
        }
        if stringIncomplete {
            _ = try readString(from: stringStart)
            stringIncomplete = false
        }
        skipWhitespace()
        guard pos < b.count else {
            switch contexts.last! {
            case .root:
                current = .end
                return .end
            case .object(let start, _):
                throw endOfInput("expected close marker for OBJECT (start marker at \(location(start)))")
            case .array(let start, _):
                throw endOfInput("expected close marker for ARRAY (start marker at \(location(start)))")
            }
        }
        let c = b[pos]
        if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
            return try close(c)
        }
        switch contexts[contexts.count - 1] {
        case .object(let start, let entries):
            if entries > 0 {
                guard c == UInt8(ascii: ",") else { throw unexpected(at: pos, "was expecting comma to separate Object entries") }
                pos += 1
                skipWhitespace()
            }
            contexts[contexts.count - 1] = .object(start: start, entries: entries + 1)
            return try fieldName()
        case .array(let start, let entries):
            if entries > 0 {
                guard c == UInt8(ascii: ",") else { throw unexpected(at: pos, "was expecting comma to separate Array entries") }
                pos += 1
                skipWhitespace()
            }
            contexts[contexts.count - 1] = .array(start: start, entries: entries + 1)
            let t = try valueStart()
            try open(t)
            current = t
            return t
        case .root:
            let t = try valueStart()
            try open(t)
            current = t
            return t
        }
    }

    private mutating func close(_ c: UInt8) throws(PatternError) -> Token {
        let top = contexts[contexts.count - 1]
        pos += 1
        switch (top, c) {
        case (.object, UInt8(ascii: "}")):
            contexts.removeLast()
            current = .endObject
        case (.array, UInt8(ascii: "]")):
            contexts.removeLast()
            current = .endArray
        case (.object(let start, _), _):
            throw fail("Unexpected close marker ']': expected '}' (for Object starting at \(location(start)))")
        case (.array(let start, _), _):
            throw fail("Unexpected close marker '}': expected ']' (for Array starting at \(location(start)))")
        case (.root, _):
            throw fail("Unexpected close marker '\(Character(Unicode.Scalar(c)))': expected ']' (for root starting at \(location(0)))")
        }
        return current
    }

    private mutating func open(_ t: Token) throws(PatternError) {
        switch t {
        case .startObject:
            guard contexts.count <= Self.maxDepth else { throw fail("Nesting depth exceeds the maximum allowed (\(Self.maxDepth))") }
            contexts.append(.object(start: pos - 1, entries: 0))
        case .startArray:
            guard contexts.count <= Self.maxDepth else { throw fail("Nesting depth exceeds the maximum allowed (\(Self.maxDepth))") }
            contexts.append(.array(start: pos - 1, entries: 0))
        default: break
        }
    }

    private mutating func fieldName() throws(PatternError) -> Token {
        guard pos < b.count else { throw endOfInput("expected close marker for OBJECT") }
        guard b[pos] == UInt8(ascii: "\"") else {
            // Unlike elsewhere, Jackson reports an odd field name before consuming its character.
            throw unexpected(at: pos, "was expecting double-quote to start field name", consume: false)
        }
        name = try readString(from: pos + 1)
        skipWhitespace()
        guard pos < b.count else { throw endOfInput("was expecting a colon to separate field name and value") }
        guard b[pos] == UInt8(ascii: ":") else {
            throw unexpected(at: pos, "was expecting a colon to separate field name and value")
        }
        pos += 1
        skipWhitespace()
        lookahead = try valueStart()
        current = .fieldName
        return .fieldName
    }

    /// Reads the start of a value: whole numbers and literals, only the opening quote of strings.
    private mutating func valueStart() throws(PatternError) -> Token {
        guard pos < b.count else {
            throw endOfInput("expected a value")
        }
        tokenStart = pos
        let c = b[pos]
        switch c {
        case UInt8(ascii: "\""):
            pos += 1
            stringStart = pos
            stringIncomplete = true
            return .string
        case UInt8(ascii: "{"):
            pos += 1
            return .startObject
        case UInt8(ascii: "["):
            pos += 1
            return .startArray
        case UInt8(ascii: "t"): try literal("true"); return .trueValue
        case UInt8(ascii: "f"): try literal("false"); return .falseValue
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number()
        case UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","), UInt8(ascii: ":"):
            throw unexpected(at: pos, "expected a value")
        case UInt8(ascii: "/"), UInt8(ascii: "#"):
            throw unexpected(
                at: pos,
                "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)")
        case UInt8(ascii: "'"):
            throw unexpected(at: pos, "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")
        default:
            if Self.isIdentifierPart(c) { throw invalidToken(from: pos) }
            throw unexpected(at: pos, "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")
        }
    }

    private static func isIdentifierPart(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x24
            || c >= 0x80
    }

    private mutating func invalidToken(from start: Int) -> PatternError {
        var end = start
        while end < b.count, Self.isIdentifierPart(b[end]), end - start < 256 { end += 1 }
        pos = end
        let token = String(decoding: b[start..<end], as: UTF8.self)
        return fail(
            "Unrecognized token '\(token)': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")
    }

    private mutating func literal(_ word: StaticString) throws(PatternError) {
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

    private mutating func number() throws(PatternError) -> Token {
        let start = pos
        var isInteger = true
        if b[pos] == UInt8(ascii: "-") {
            pos += 1
            guard pos < b.count else { throw endOfInput("in a Number value") }
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
            guard pos < b.count else { throw endOfInput("in a Number value") }
            guard isDigit(b[pos]) else {
                throw unexpected(at: pos, "Decimal point not followed by a digit").inNumericValue()
            }
            while pos < b.count, isDigit(b[pos]) { pos += 1 }
        }
        if pos < b.count, b[pos] == UInt8(ascii: "e") || b[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if pos < b.count, b[pos] == UInt8(ascii: "+") || b[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < b.count else { throw endOfInput("in a Number value") }
            guard isDigit(b[pos]) else {
                throw unexpected(at: pos, "Exponent indicator not followed by a digit").inNumericValue()
            }
            while pos < b.count, isDigit(b[pos]) { pos += 1 }
        }
        numberText = String(decoding: b[start..<pos], as: UTF8.self)
        return .number(isInteger: isInteger)
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private mutating func skipWhitespace() {
        while pos < b.count, b[pos] == 0x20 || b[pos] == 0x0A || b[pos] == 0x0D || b[pos] == 0x09 { pos += 1 }
    }

    /// Reads a string body starting after its opening quote; leaves `pos` after the closing quote.
    private mutating func readString(from start: Int) throws(PatternError) -> String {
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
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
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
        throw endOfInput("was expecting closing quote for a string value")
    }

    private mutating func hex4() throws(PatternError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard pos < b.count else { throw endOfInput("was expecting closing quote for a string value") }
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
