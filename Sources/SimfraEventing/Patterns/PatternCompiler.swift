/// Compiles pattern JSON into an `ObjectMatcher`, validating as AWS does: in the same order,
/// over the same token stream, so the first error found and its position are AWS's.
///
/// Two dialects: EventBridge runs the current rule engine; SNS validates filter policies with an
/// older one (no `wildcard`, no `{"prefix": {"equals-ignore-case": …}}`, only `prefix` inside
/// `anything-but`, numbers limited to ±5e9), which shows in the messages its recordings carry.
struct PatternCompiler {
    enum Dialect { case eventBridge, sns }

    var t: PatternTokenizer
    let dialect: Dialect
    private let splitDottedKeys: Bool

    private init(_ json: String, _ dialect: Dialect, _ splitDottedKeys: Bool) {
        t = PatternTokenizer(json)
        self.dialect = dialect
        self.splitDottedKeys = splitDottedKeys
    }

    /// `splitDottedKeys`: AWS joins nested keys with "." before matching, so the pattern key
    /// "state.status" and the nesting state → status are the same field (SNS attribute names
    /// are flat and keep their dots).
    static func compile(_ json: String, dialect: Dialect, splitDottedKeys: Bool = true) throws(PatternError) -> ObjectMatcher {
        var c = PatternCompiler(json, dialect, splitDottedKeys)
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

        /// The builder at a dotted path below this one (created as needed).
        mutating func at(_ path: ArraySlice<String>, _ body: (inout Builder) throws(PatternError) -> Void) throws(PatternError) {
            guard let first = path.first else { return try body(&self) }
            var child = children[first] ?? Builder()
            try child.at(path.dropFirst(), body)
            note(first)
            children[first] = child
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
            var path = [step]
            if splitDottedKeys && step.utf8.contains(UInt8(ascii: ".")) {
                path = step.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            }
            let last = path.removeLast()
            switch try t.next() {
            case .startObject:
                try b.at(path[...]) { (parent: inout Builder) throws(PatternError) in
                    var child = parent.children[last] ?? Builder()
                    try object(into: &child, inOr: inOr)
                    parent.note(last)
                    parent.children[last] = child
                }
            case .startArray:
                try b.at(path[...]) { (parent: inout Builder) throws(PatternError) in
                    let tests = try values()
                    parent.note(last)
                    parent.leaves[last] = tests
                }
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

    mutating func endOfExpression() throws(PatternError) {
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

    mutating func wildcard(_ text: String) throws(PatternError) -> Wildcard {
        do throws(PatternError) {
            return try Wildcard.parse(text)
        } catch {
            throw t.fail(error.reason)
        }
    }
}
