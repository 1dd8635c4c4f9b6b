/// Compiles pattern JSON into an `ObjectMatcher`, validating as AWS does: in the same order,
/// over the same token stream, so the first error found and its position are AWS's.
///
/// Two dialects: EventBridge runs the current rule engine; SNS validates filter policies with an
/// older one (no `wildcard`, no `{"prefix": {"equals-ignore-case": …}}`, only `prefix` inside
/// `anything-but`, numbers limited to ±5e9), which shows in the messages its recordings carry.
struct PatternCompiler {
    enum Dialect { case eventBridge, sns }

    private var t: PatternTokenizer
    private let dialect: Dialect

    private init(_ json: String, _ dialect: Dialect) {
        t = PatternTokenizer(json)
        self.dialect = dialect
    }

    static func compile(_ json: String, dialect: Dialect) throws(PatternError) -> ObjectMatcher {
        var c = PatternCompiler(json, dialect)
        if try c.t.next() != .startObject { throw c.t.fail("Filter is not an object") }
        var root = Builder()
        try c.object(into: &root, inOr: false)
        // Like AWS, whatever follows the pattern object is not read.
        return root.build()
    }

    /// Keys reserved by the engine, refused as field names inside `$or`.
    private static let reservedInOr: Set<String> = [
        "exact", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard", "numeric", "cidr",
        "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case", "date-after",
        "date-on-or-after", "date-before", "date-on-or-before", "in-date-range", "ip-address-in-range",
        "ip-address-not-in-range",
    ]

    /// Pattern objects under construction. A key given twice keeps its last value array (and
    /// merges nested objects), as AWS's engine does.
    struct Builder {
        var order: [String] = []
        var leaves: [String: [ValueTest]] = [:]
        var children: [String: Builder] = [:]
        var alternatives: [[Builder]] = []

        mutating func note(_ key: String) {
            if leaves[key] == nil && children[key] == nil { order.append(key) }
        }

        func build() -> ObjectMatcher {
            ObjectMatcher(
                fields: order.map { FieldMatcher(key: $0, tests: leaves[$0], child: children[$0]?.build()) },
                alternatives: alternatives.map { $0.map { $0.build() } })
        }
    }

    // MARK: - Objects and $or

    private mutating func object(into b: inout Builder, inOr: Bool) throws(PatternError) {
        var fieldsPresent = false
        while try t.next() != .endObject {
            fieldsPresent = true
            let step = t.name
            if step == "$or" {
                try or(into: &b)
                continue
            }
            if inOr && Self.reservedInOr.contains(step) {
                throw t.fail("\(step) is Ruler reserved fieldName which cannot be used inside $or.")
            }
            switch try t.next() {
            case .startObject:
                var child = b.children[step] ?? Builder()
                try object(into: &child, inOr: inOr)
                b.note(step)
                b.children[step] = child
            case .startArray:
                let tests = try values()
                b.note(step)
                b.leaves[step] = tests
            default:
                throw t.fail("\"\(step)\" must be an object or an array")
            }
        }
        if !fieldsPresent { throw t.fail("Empty objects are not allowed") }
    }

    private mutating func or(into b: inout Builder) throws(PatternError) {
        if try t.next() != .startArray { throw t.fail("It must be an Array followed with $or.") }
        var group: [Builder] = []
        var count = 0
        while true {
            let token = try t.next()
            if token == .endArray { break }
            count += 1
            guard token == .startObject else {
                throw t.fail("Only JSON object is allowed in array of $or relationship.")
            }
            var alt = Builder()
            try object(into: &alt, inOr: true)
            group.append(alt)
        }
        if count < 2 { throw t.fail("There must have at least 2 Objects in $or relationship.") }
        b.alternatives.append(group)
    }

    // MARK: - Value arrays

    private mutating func values() throws(PatternError) -> [ValueTest] {
        var tests: [ValueTest] = []
        while true {
            let token = try t.next()
            switch token {
            case .endArray:
                if tests.isEmpty { throw t.fail("Empty arrays are not allowed") }
                return tests
            case .startObject:
                tests.append(try matchExpression())
            case .string:
                let s = try t.text()
                if IPAddress.looksLikeAddress(s), let ip = IPAddress(parsing: s) {
                    tests.append(.ipAddress(ip, literal: s))
                } else {
                    tests.append(.exactString(s))
                }
            case .number(let isInteger):
                let text = try t.text()
                tests.append(.exactNumber(Double(text) ?? .nan, integer: isInteger ? Int64(text) : nil))
            case .trueValue: tests.append(.exactBool(true))
            case .falseValue: tests.append(.exactBool(false))
            case .null: tests.append(.exactNull)
            default:
                throw t.fail("Match value must be String, number, true, false, or null")
            }
        }
    }

    // MARK: - Match expressions ({"prefix": …}, {"numeric": […]}, …)

    private mutating func matchExpression() throws(PatternError) -> ValueTest {
        if try t.next() != .fieldName { throw t.fail("Match expression name not found") }
        let op = t.name
        switch op {
        case "exact" where dialect == .eventBridge:
            if try t.next() != .string { throw t.fail("exact match pattern must be a string") }
            let s = try t.text()
            try endOfExpression()
            return .exactString(s)
        case "prefix", "suffix":
            let token = try t.next()
            if token == .startObject && dialect == .eventBridge { return try affixIgnoringCase(op) }
            if token != .string { throw t.fail("\(op) match pattern must be a string") }
            let s = try t.text()
            try endOfExpression()
            return op == "prefix" ? .prefix(s) : .suffix(s)
        case "numeric":
            if try t.next() != .startArray { throw t.fail("Value of numeric must be an array.") }
            let range = try numeric()
            if try t.next() != .endObject { throw t.fail("Too many elements in numeric expression") }
            return .numeric(range)
        case "anything-but":
            return try anythingBut()
        case "exists":
            let present: Bool
            switch try t.next() {
            case .trueValue: present = true
            case .falseValue: present = false
            default: throw t.fail("exists match pattern must be either true or false.")
            }
            try endOfExpression()
            return .exists(present)
        case "cidr":
            if try t.next() != .string { throw t.fail("prefix match pattern must be a string") }
            let range = try IPRange.parse(cidr: try t.text())
            try endOfExpression()
            return .cidr(range)
        case "equals-ignore-case":
            if try t.next() != .string { throw t.fail("equals-ignore-case match pattern must be a string") }
            let s = try t.text()
            try endOfExpression()
            return .equalsIgnoreCase(CaseFolding.fold(s))
        case "wildcard" where dialect == .eventBridge:
            if try t.next() != .string { throw t.fail("wildcard match pattern must be a string") }
            let w = try wildcard(try t.text())
            try endOfExpression()
            return .wildcard(w)
        default:
            throw t.fail("Unrecognized match type \(op)")
        }
    }

    private mutating func endOfExpression() throws(PatternError) {
        if try t.next() != .endObject { throw t.fail("Only one key allowed in match expression") }
    }

    /// `{"prefix": {"equals-ignore-case": "…"}}` and the same for suffix.
    private mutating func affixIgnoringCase(_ op: String) throws(PatternError) -> ValueTest {
        let title = op == "prefix" ? "Prefix" : "Suffix"
        if try t.next() != .fieldName { throw t.fail("\(title) expression name not found") }
        if t.name != "equals-ignore-case" { throw t.fail("Unsupported \(op) pattern: \(t.name)") }
        if try t.next() != .string { throw t.fail("equals-ignore-case match pattern must be a string") }
        let s = CaseFolding.fold(try t.text())
        try endOfExpression()
        try endOfExpression()
        return op == "prefix" ? .prefixIgnoreCase(s) : .suffixIgnoreCase(s)
    }

    private mutating func wildcard(_ text: String) throws(PatternError) -> Wildcard {
        do throws(PatternError) {
            return try Wildcard.parse(text)
        } catch {
            throw t.fail(error.reason)
        }
    }

    // MARK: - anything-but

    private enum Exclusion { case values, ignoreCase, prefix, suffix, wildcard }

    private mutating func anythingBut() throws(PatternError) -> ValueTest {
        var kind = Exclusion.values
        var token = try t.next()
        if token == .startObject {
            if try t.next() != .fieldName { throw t.fail("Anything-But expression name not found") }
            switch (t.name, dialect) {
            case ("equals-ignore-case", .eventBridge): kind = .ignoreCase
            case ("prefix", _): kind = .prefix
            case ("suffix", .eventBridge): kind = .suffix
            case ("wildcard", .eventBridge): kind = .wildcard
            default: throw t.fail("Unsupported anything-but pattern: \(t.name)")
            }
            token = try t.next()
            if dialect == .sns {
                // The older engine takes exactly one prefix string here.
                if token != .string { throw t.fail("prefix match pattern must be a string") }
                let s = try t.text()
                try endOfExpression()
                try endOfExpression()
                return .anythingButPrefix([s])
            }
        }
        switch token {
        case .startArray, .string, .number: break
        default: throw t.fail("Value of anything-but must be an array or single string/number value.")
        }
        let test: ValueTest
        if token == .startArray {
            test = kind == .values ? try exclusionList() : try exclusionSet(kind)
        } else {
            test = kind == .values ? try exclusionValue(token) : try exclusionSingle(kind)
        }
        if try t.next() != .endObject { throw t.fail("Too many elements in numeric expression") }
        if kind != .values, try t.next() != .endObject { throw t.fail("Too many elements in numeric expression") }
        return test
    }

    /// AWS's engine reports errors inside these lists twice over (it catches its own error and
    /// rethrows the message, location included, at the same position).
    private func rethrown(_ e: PatternError) -> PatternError {
        PatternError(reason: e.reason + "\n at " + t.location(t.pos))
    }

    private mutating func exclusionList() throws(PatternError) -> ValueTest {
        var strings = Set<String>()
        var numbers: [Double] = []
        do throws(PatternError) {
            while true {
                let token = try t.next()
                if token == .endArray { break }
                switch token {
                case .string: strings.insert(try t.text())
                case .number: numbers.append(try comparableNumber(try t.text()))
                default: throw t.fail("Inside anything but list, start|null|boolean is not supported.")
                }
            }
        } catch {
            throw rethrown(error)
        }
        if strings.isEmpty == numbers.isEmpty {
            throw t.fail("Inside anything but list, either all values are number or string, mixed type is not supported")
        }
        return numbers.isEmpty ? .anythingButStrings(strings) : .anythingButNumbers(numbers)
    }

    private mutating func exclusionValue(_ token: PatternTokenizer.Token) throws(PatternError) -> ValueTest {
        if token == .string { return .anythingButStrings([try t.text()]) }
        return .anythingButNumbers([try comparableNumber(try t.text())])
    }

    private func wrongType(_ kind: Exclusion) -> String {
        switch kind {
        case .ignoreCase: "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
        case .wildcard: "wildcard match pattern must be a string"
        default: "prefix/suffix match pattern must be a string"
        }
    }

    private mutating func exclusionSet(_ kind: Exclusion) throws(PatternError) -> ValueTest {
        var texts: [String] = []
        do throws(PatternError) {
            while true {
                let token = try t.next()
                if token == .endArray { break }
                guard token == .string else { throw t.fail(wrongType(kind)) }
                let s = try t.text()
                if (kind == .prefix || kind == .suffix) && s.isEmpty { throw t.fail("Null prefix/suffix not allowed") }
                texts.append(s)
            }
        } catch {
            throw rethrown(error)
        }
        return try exclusion(kind, texts)
    }

    private mutating func exclusionSingle(_ kind: Exclusion) throws(PatternError) -> ValueTest {
        guard t.current == .string else { throw t.fail(wrongType(kind)) }
        let s = try t.text()
        if (kind == .prefix || kind == .suffix) && s.isEmpty { throw t.fail("Null prefix/suffix not allowed") }
        return try exclusion(kind, [s])
    }

    private mutating func exclusion(_ kind: Exclusion, _ texts: [String]) throws(PatternError) -> ValueTest {
        switch kind {
        case .ignoreCase: return .anythingButIgnoreCase(Set(texts.map(CaseFolding.fold)))
        case .prefix: return .anythingButPrefix(texts)
        case .suffix: return .anythingButSuffix(texts)
        case .wildcard:
            var ws: [Wildcard] = []
            for s in texts { ws.append(try wildcard(s)) }
            return .anythingButWildcard(ws)
        case .values: return .anythingButStrings(Set(texts))
        }
    }

    // MARK: - numeric

    /// Numbers are converted (and refused) only once the expression is read, as AWS's engine
    /// builds the range last.
    private mutating func numeric() throws(PatternError) -> NumericRange {
        if try t.next() != .string { throw t.fail("Invalid member in numeric match: \(try t.text())") }
        let op = try t.text()
        _ = try t.next()
        let word = op == "=" ? "equals" : op
        switch op {
        case "=":
            if !t.isNumeric { throw t.fail("Value of \(word) must be numeric") }
            let v = try t.text()
            if try t.next() != .endArray { throw t.fail("Too many elements in numeric expression") }
            return .equals(try comparableNumber(v))
        case ">=", ">":
            if !t.isNumeric { throw t.fail("Value of \(word) must be numeric") }
            let bottom = try t.text()
            let after = try t.next()
            if after == .endArray {
                return NumericRange(lower: try comparableNumber(bottom), lowerOpen: op == ">", upper: nil, upperOpen: false)
            }
            return try rangeTop(after, bottom: bottom, openBottom: op == ">")
        case "<=", "<":
            if !t.isNumeric { throw t.fail("Value of \(word) must be numeric") }
            let top = try t.text()
            if try t.next() != .endArray { throw t.fail("Too many elements in numeric expression") }
            return NumericRange(lower: nil, lowerOpen: false, upper: try comparableNumber(top), upperOpen: op == "<")
        default:
            throw t.fail("Unrecognized numeric range operator: \(op)")
        }
    }

    private mutating func rangeTop(_ token: PatternTokenizer.Token, bottom: String, openBottom: Bool)
        throws(PatternError) -> NumericRange
    {
        if token != .string { throw t.fail("Bad value in numeric range: \(try t.text())") }
        let op = try t.text()
        guard op == "<" || op == "<=" else { throw t.fail("Bad numeric range operator: \(op)") }
        if case .number = try t.next() {} else { throw t.fail("Value of \(op) must be numeric") }
        let topText = try t.text()
        if try t.next() != .endArray { throw t.fail("Too many terms in numeric range expression") }
        let low = try comparableNumber(bottom)
        let top = try comparableNumber(topText)
        guard low < top else { throw t.fail("Bottom must be less than top") }
        return NumericRange(lower: low, lowerOpen: openBottom, upper: top, upperOpen: op == "<")
    }

    /// A number the engine can compare: EventBridge takes any double whose decimal text it
    /// represents exactly; SNS's engine is limited to ±5e9.
    private func comparableNumber(_ text: String) throws(PatternError) -> Double {
        guard let d = Double(text), d.isFinite else { throw t.fail("Cannot compare number : \(text)") }
        switch dialect {
        case .eventBridge:
            guard DecimalText.sameValue(text, d) else { throw t.fail("Cannot compare number : \(text)") }
        case .sns:
            guard d >= -5e9 && d <= 5e9 else { throw t.fail("Value must be between -5.0E9 and 5.0E9, inclusive") }
        }
        return d
    }
}

/// Exact comparison of a JSON number's decimal text with a double's shortest decimal form, the
/// check AWS's engine makes before it compares numbers (it refuses numbers a double would round).
enum DecimalText {
    static func sameValue(_ text: String, _ d: Double) -> Bool {
        guard let a = normalize(text), let b = normalize("\(d)") else { return false }
        return a == b
    }

    /// (negative, significant digits without leading/trailing zeros, exponent of the last digit).
    private static func normalize(_ s: String) -> (Bool, [UInt8], Int)? {
        var bytes = Array(s.utf8)
        var negative = false
        if bytes.first == UInt8(ascii: "-") { negative = true; bytes.removeFirst() }
        var exponent = 0
        if let e = bytes.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard let x = Int(String(decoding: bytes[(e + 1)...], as: UTF8.self)) else { return nil }
            exponent = x
            bytes.removeSubrange(e...)
        }
        var digits: [UInt8] = []
        var fraction = 0
        var inFraction = false
        for c in bytes {
            if c == UInt8(ascii: ".") { inFraction = true; continue }
            guard c >= 0x30 && c <= 0x39 else { return nil }
            digits.append(c)
            if inFraction { fraction += 1 }
        }
        exponent -= fraction
        while let f = digits.first, f == UInt8(ascii: "0") { digits.removeFirst() }
        while let l = digits.last, l == UInt8(ascii: "0") { digits.removeLast(); exponent += 1 }
        if digits.isEmpty { return (false, [], 0) }
        return (negative, digits, exponent)
    }
}
