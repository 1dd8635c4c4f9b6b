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

    enum Context {
        case root
        case object(start: Int, entries: Int)
        case array(start: Int, entries: Int)
    }

    /// Deeper nesting than any real pattern needs; stops recursion on hostile input.
    static let maxDepth = 100

    let b: [UInt8]
    let source: String
    var pos = 0
    var contexts: [Context] = [.root]
    private(set) var current: Token = .end
    /// The name of the current field (valid while `current` is `.fieldName`, and after it).
    private(set) var name = ""
    /// The value token read ahead after a field name, returned by the following `next()`.
    private var lookahead: Token?
    var stringStart = 0
    var stringIncomplete = false
    var stringText = ""
    var tokenStart = 0
    var numberText = ""

    /// Newer versions of the parser (SNS's first pass over a filter policy) leave the source
    /// out of locations.
    let redacted: Bool

    init(_ source: String, redacted: Bool = false) {
        self.source = source
        self.b = Array(source.utf8)
        self.redacted = redacted
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
                throw endOfInput(": expected close marker for Object (start marker at \(location(start)))")
            case .array(let start, _):
                throw endOfInput(": expected close marker for Array (start marker at \(location(start)))")
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
        guard pos < b.count else { throw endOfInput(" within/between Object entries") }
        guard b[pos] == UInt8(ascii: "\"") else {
            // Unlike elsewhere, Jackson reports an odd field name before consuming its character.
            throw unexpected(at: pos, "was expecting double-quote to start field name", consume: false)
        }
        name = try readString(from: pos + 1, isName: true)
        skipWhitespace()
        guard pos < b.count else { throw endOfInput(" within/between Object entries") }
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
            if case .array = contexts[contexts.count - 1] { throw endOfInput(" within/between Array entries") }
            throw endOfInput(" within/between Object entries")
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
        // Jackson words a misplaced '}' apart from every other odd character.
        case UInt8(ascii: "}"):
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
}
