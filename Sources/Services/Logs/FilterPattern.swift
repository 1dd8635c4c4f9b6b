import Foundation
import SimfraCore
import SimfraProtocols

/// A CloudWatch Logs filter pattern, parsed once (metric filters, FilterLogEvents,
/// TestMetricFilter). Three dialects, chosen by the first character as AWS does:
/// `{ … }` JSON selectors, `[ … ]` space-delimited fields, anything else terms.
/// Matching is a plain function of the message, so it is table-tested without a service.
enum FilterPattern: Sendable {
    /// The empty pattern matches every event.
    case all
    case terms(TermPattern)
    case json(JSONCondition)
    case delimited(DelimitedPattern)

    struct Invalid: Error {}

    /// AWS's limit on a pattern's length; it also bounds the parser's nesting.
    static let maxLength = 1024
    static let maxDepth = 64

    static func parse(_ text: String) throws(Invalid) -> FilterPattern {
        guard text.count <= maxLength else { throw Invalid() }
        let trimmed = text.trimmingSpaces
        if trimmed.isEmpty || trimmed == "\"\"" { return .all }
        if trimmed.first == "{" { return .json(try JSONCondition.parse(trimmed)) }
        if trimmed.first == "[" { return .delimited(try DelimitedPattern.parse(trimmed)) }
        return .terms(try TermPattern.parse(trimmed))
    }

    /// The fields a match extracted (`$.latency`, `$status`), or nil when the message does
    /// not match.
    func match(_ message: String) -> [String: String]? {
        switch self {
        case .all: return [:]
        case .terms(let t): return t.matches(message) ? [:] : nil
        case .json(let c):
            guard let doc = JSONCondition.document(message, keys: c.topLevelKeys), c.matches(doc) else { return nil }
            var out: [String: String] = [:]
            for sel in c.selectors {
                if let v = sel.resolve(doc).first, let text = JSONSelector.text(v) { out[sel.source] = text }
            }
            return out
        case .delimited(let d): return d.match(message)
        }
    }

    /// The pattern ready to test many messages (FilterLogEvents over a whole group): what it
    /// needs from each message is worked out once.
    var matcher: FilterMatcher { FilterMatcher(self) }

    /// The value a metric transformation's `$.field` or `$name` names in a matched message.
    static func extract(_ reference: String, message: String, extracted: [String: String]) -> String? {
        if let v = extracted[reference] { return v }
        if reference.hasPrefix("$."), let sel = try? JSONSelector.parse(reference),
           let doc = try? JSONReader.parse(Array(message.utf8)), let v = sel.resolve(doc).first
        {
            return JSONSelector.text(v)
        }
        return nil
    }
}

extension String {
    /// Whether `needle`'s UTF-8 bytes occur in this string's: terms match exactly and
    /// case-sensitively, and a byte search is many times faster than `contains`,
    /// which compares grapheme clusters.
    func containsBytes(_ needle: String) -> Bool {
        var haystack = self, needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                if n.isEmpty { return true }
                guard h.count >= n.count else { return false }
                // memchr for the first byte, memcmp for the rest (memmem is a GNU extension).
                let base = h.baseAddress!, last = h.count - n.count
                var i = 0
                while i <= last {
                    guard let hit = memchr(base + i, Int32(n[0]), last - i + 1) else { return false }
                    let at = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + at, n.baseAddress!, n.count) == 0 { return true }
                    i = at + 1
                }
                return false
            }
        }
    }

    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// `*` matches any run of characters; everything else literally (case-sensitive).
func wildcardMatch(_ pattern: String, _ text: String) -> Bool {
    guard pattern.contains("*") else { return pattern == text }
    let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
    var pi = 0, ti = 0, star = -1, mark = 0
    while ti < t.count {
        if pi < p.count, p[pi] != "*", p[pi] == t[ti] {
            pi += 1; ti += 1
        } else if pi < p.count, p[pi] == "*" {
            star = pi; mark = ti; pi += 1
        } else if star >= 0 {
            pi = star + 1; mark += 1; ti = mark
        } else {
            return false
        }
    }
    while pi < p.count, p[pi] == "*" { pi += 1 }
    return pi == p.count
}

/// Tests messages against one pattern without collecting extracted fields.
struct FilterMatcher: Sendable {
    let pattern: FilterPattern
    /// For a JSON pattern, the top-level keys its selectors read (nil: all of them).
    private let keys: [[UInt8]]?

    init(_ pattern: FilterPattern) {
        self.pattern = pattern
        if case .json(let c) = pattern { keys = c.topLevelKeys } else { keys = nil }
    }

    func matches(_ message: String) -> Bool {
        switch pattern {
        case .all: return true
        case .terms(let t): return t.matches(message)
        case .json(let c): return JSONCondition.document(message, keys: keys).map(c.matches) ?? false
        case .delimited(let d): return d.match(message) != nil
        }
    }
}

// MARK: Terms

/// `ERROR`, `"Out of memory"`, `ERROR -DEBUG`, `?ERROR ?WARN`: every plain term must occur,
/// no `-` term may, and when `?` terms are present at least one of them must.
struct TermPattern: Sendable {
    var required: [String] = []
    var excluded: [String] = []
    var anyOf: [String] = []

    static func parse(_ text: String) throws(FilterPattern.Invalid) -> TermPattern {
        var p = TermPattern()
        let c = Array(text)
        var i = 0
        while i < c.count {
            if c[i].isWhitespace { i += 1; continue }
            var kind: Character = " "
            if c[i] == "-" || c[i] == "?" {
                kind = c[i]; i += 1
                guard i < c.count, !c[i].isWhitespace else { throw .init() }
            }
            var term = ""
            if c[i] == "\"" {
                i += 1
                var closed = false
                while i < c.count {
                    if c[i] == "\\", i + 1 < c.count { term.append(c[i + 1]); i += 2; continue }
                    if c[i] == "\"" { closed = true; i += 1; break }
                    term.append(c[i]); i += 1
                }
                guard closed, i >= c.count || c[i].isWhitespace else { throw .init() }
            } else {
                while i < c.count, !c[i].isWhitespace {
                    // Characters that only make sense in the other dialects or in quotes.
                    if "\"{}[]".contains(c[i]) { throw .init() }
                    term.append(c[i]); i += 1
                }
            }
            guard !term.isEmpty else { throw .init() }
            switch kind {
            case "-": p.excluded.append(term)
            case "?": p.anyOf.append(term)
            default: p.required.append(term)
            }
        }
        return p
    }

    func matches(_ m: String) -> Bool {
        for t in required where !m.containsBytes(t) { return false }
        for t in excluded where m.containsBytes(t) { return false }
        if !anyOf.isEmpty, !anyOf.contains(where: { m.containsBytes($0) }) { return false }
        return true
    }
}

// MARK: JSON selectors

/// `$.a.b[0]`, `$.list[*].x`: the values a path reaches in a parsed message.
struct JSONSelector: Sendable {
    enum Step: Sendable { case key(String), index(Int), anyIndex, anyKey }
    var steps: [Step]
    var source: String

    static func parse(_ s: String) throws(FilterPattern.Invalid) -> JSONSelector {
        let c = Array(s)
        guard c.first == "$" else { throw .init() }
        var i = 1
        var steps: [Step] = []
        while i < c.count {
            if c[i] == "." {
                i += 1
                if i < c.count, c[i] == "*" { steps.append(.anyKey); i += 1; continue }
                var k = ""
                while i < c.count, c[i].isLetter || c[i].isNumber || c[i] == "_" || c[i] == "-" || c[i] == "@" || c[i] == ":" {
                    k.append(c[i]); i += 1
                }
                guard !k.isEmpty else { throw .init() }
                steps.append(.key(k))
            } else if c[i] == "[" {
                i += 1
                var n = ""
                while i < c.count, c[i] != "]" { n.append(c[i]); i += 1 }
                guard i < c.count else { throw .init() }
                i += 1
                if n == "*" { steps.append(.anyIndex) } else if let k = Int(n), k >= 0 { steps.append(.index(k)) } else { throw .init() }
            } else {
                throw .init()
            }
        }
        guard !steps.isEmpty else { throw .init() }
        return JSONSelector(steps: steps, source: s)
    }

    func resolve(_ doc: Value) -> [Value] {
        var current = [doc]
        for step in steps {
            var next: [Value] = []
            for v in current {
                switch (step, v) {
                case (.key(let k), .object(let o)): if let x = o[k] { next.append(x) }
                case (.anyKey, .object(let o)): next.append(contentsOf: o.keys.sorted().compactMap { o[$0] })
                case (.index(let n), .list(let l)): if n < l.count { next.append(l[n]) }
                case (.anyIndex, .list(let l)): next.append(contentsOf: l)
                default: break
                }
            }
            current = next
        }
        return current
    }

    /// A scalar's text as AWS reports it in extracted values and metric values.
    static func text(_ v: Value) -> String? {
        switch v {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return String(b)
        case .null: return "null"
        default: return nil
        }
    }
}

// MARK: JSON conditions

/// `{ $.a = 1 && ($.b != "x*" || $.c NOT EXISTS) }`.
indirect enum JSONCondition: Sendable {
    enum Op: String, Sendable { case eq = "=", ne = "!=", lt = "<", gt = ">", le = "<=", ge = ">=" }
    enum Literal: Sendable { case number(Double, String), text(String) }

    case compare(JSONSelector, Op, Literal)
    case isNull(JSONSelector)
    case notExists(JSONSelector)
    case isBool(JSONSelector, Bool)
    case and(JSONCondition, JSONCondition)
    case or(JSONCondition, JSONCondition)

    static func parse(_ text: String) throws(FilterPattern.Invalid) -> JSONCondition {
        var p = ConditionParser(Array(text))
        p.skip()
        guard p.eat("{") else { throw .init() }
        let c = try p.orExpr(fieldMode: false)
        p.skip()
        guard p.eat("}") else { throw .init() }
        p.skip()
        guard p.atEnd else { throw .init() }
        return c
    }

    /// The top-level keys this condition's selectors start from, or nil when one starts
    /// with `$.*` (it needs every member).
    var topLevelKeys: [[UInt8]]? {
        var keys: [[UInt8]] = []
        for sel in selectors {
            guard case .key(let k)? = sel.steps.first else { return nil }
            keys.append(Array(k.utf8))
        }
        return keys
    }

    /// The message as the document this condition is tested on: only the top-level members
    /// named by `keys` (`JSONSkim`), or the whole parse when `keys` is nil. Nil when the
    /// message is not a JSON object.
    static func document(_ message: String, keys: [[UInt8]]?) -> Value? {
        guard let keys else {
            guard case .object(let o)? = try? JSONReader.parse(Array(message.utf8)) else { return nil }
            return .object(o)
        }
        return JSONSkim.members(of: message, wanted: keys).map(Value.object)
    }

    var selectors: [JSONSelector] {
        switch self {
        case .compare(let s, _, _), .isNull(let s), .notExists(let s), .isBool(let s, _): return [s]
        case .and(let a, let b), .or(let a, let b): return a.selectors + b.selectors
        }
    }

    func matches(_ doc: Value) -> Bool {
        switch self {
        case .and(let a, let b): return a.matches(doc) && b.matches(doc)
        case .or(let a, let b): return a.matches(doc) || b.matches(doc)
        case .notExists(let s): return s.resolve(doc).isEmpty
        case .isNull(let s): return s.resolve(doc).contains(.null)
        case .isBool(let s, let b): return s.resolve(doc).contains(.bool(b))
        case .compare(let s, let op, let lit): return s.resolve(doc).contains { Self.compare($0, op, lit) }
        }
    }

    static func compare(_ v: Value, _ op: Op, _ lit: Literal) -> Bool {
        switch lit {
        case .number(let n, let raw):
            if let d = v.doubleValue {
                switch op {
                case .eq: return d == n
                case .ne: return d != n
                case .lt: return d < n
                case .gt: return d > n
                case .le: return d <= n
                case .ge: return d >= n
                }
            }
            // A number compared with a string field: equality is textual, order never holds.
            guard case .string(let s) = v else { return false }
            switch op {
            case .eq: return s == raw
            case .ne: return s != raw
            default: return false
            }
        case .text(let t):
            guard let s = JSONSelector.text(v), v != .null else { return false }
            switch op {
            case .eq: return wildcardMatch(t, s)
            case .ne: return !wildcardMatch(t, s)
            default: return false
            }
        }
    }
}

/// Recursive descent over a JSON condition or a space-delimited field's condition.
struct ConditionParser {
    let c: [Character]
    var i = 0
    var depth = 0
    init(_ c: [Character]) { self.c = c }

    var atEnd: Bool { i >= c.count }
    mutating func skip() { while i < c.count, c[i].isWhitespace { i += 1 } }
    mutating func eat(_ s: String) -> Bool {
        let a = Array(s)
        guard i + a.count <= c.count, Array(c[i..<i + a.count]) == a else { return false }
        i += a.count
        return true
    }

    mutating func orExpr(fieldMode: Bool) throws(FilterPattern.Invalid) -> JSONCondition {
        var left = try andExpr(fieldMode: fieldMode)
        while true {
            skip()
            guard eat("||") else { return left }
            left = .or(left, try andExpr(fieldMode: fieldMode))
        }
    }

    mutating func andExpr(fieldMode: Bool) throws(FilterPattern.Invalid) -> JSONCondition {
        var left = try primary(fieldMode: fieldMode)
        while true {
            skip()
            guard eat("&&") else { return left }
            left = .and(left, try primary(fieldMode: fieldMode))
        }
    }

    mutating func primary(fieldMode: Bool) throws(FilterPattern.Invalid) -> JSONCondition {
        skip()
        if eat("(") {
            depth += 1
            defer { depth -= 1 }
            guard depth <= FilterPattern.maxDepth else { throw .init() }
            let e = try orExpr(fieldMode: fieldMode)
            skip()
            guard eat(")") else { throw .init() }
            return e
        }
        // The selector: `$.path` in JSON patterns, a field name in space-delimited ones (kept
        // as a one-step key so one evaluator serves both).
        var sel = ""
        // JSON selectors may hold `[0]`; field names end at the field separator.
        let stops = fieldMode ? "=!<>()&|}]," : "=!<>()&|}"
        while i < c.count, !c[i].isWhitespace, !stops.contains(c[i]) { sel.append(c[i]); i += 1 }
        let selector: JSONSelector
        if fieldMode {
            guard !sel.isEmpty, sel.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else { throw .init() }
            selector = JSONSelector(steps: [.key(sel)], source: "$" + sel)
        } else {
            selector = try JSONSelector.parse(sel)
        }
        skip()
        if !fieldMode {
            if eat("IS NULL") { return .isNull(selector) }
            if eat("NOT EXISTS") { return .notExists(selector) }
            if eat("IS TRUE") { return .isBool(selector, true) }
            if eat("IS FALSE") { return .isBool(selector, false) }
        }
        let op: JSONCondition.Op
        if eat("!=") { op = .ne } else if eat("<=") { op = .le } else if eat(">=") { op = .ge }
        else if eat("=") { op = .eq } else if eat("<") { op = .lt } else if eat(">") { op = .gt }
        else { throw .init() }
        skip()
        let lit = try literal()
        if case .text = lit, op != .eq, op != .ne { throw .init() }
        return .compare(selector, op, lit)
    }

    mutating func literal() throws(FilterPattern.Invalid) -> JSONCondition.Literal {
        guard i < c.count else { throw .init() }
        if c[i] == "\"" {
            i += 1
            var s = ""
            while i < c.count, c[i] != "\"" {
                if c[i] == "\\", i + 1 < c.count { s.append(c[i + 1]); i += 2; continue }
                s.append(c[i]); i += 1
            }
            guard i < c.count else { throw .init() }
            i += 1
            return .text(s)
        }
        var s = ""
        while i < c.count, !c[i].isWhitespace, !"()&|}],".contains(c[i]) { s.append(c[i]); i += 1 }
        guard !s.isEmpty else { throw .init() }
        if let d = Double(s), !s.contains("*") { return .number(d, s) }
        return .text(s)
    }
}

// MARK: Space-delimited

/// `[ip, user, ..., status = 4*, bytes > 1000]`: the message split into fields on spaces
/// (a `"…"` or `[…]` run is one field, its brackets or quotes removed), each pattern field
/// named, `...` standing for any number of fields, conditions on named fields.
struct DelimitedPattern: Sendable {
    enum Field: Sendable { case named(String, JSONCondition?), ellipsis }
    var fields: [Field]

    static func parse(_ text: String) throws(FilterPattern.Invalid) -> DelimitedPattern {
        let c = Array(text)
        guard c.first == "[", c.last == "]" else { throw .init() }
        var p = ConditionParser(Array(c[1..<(c.count - 1)]))
        var fields: [Field] = []
        while true {
            p.skip()
            if p.eat("...") {
                fields.append(.ellipsis)
            } else {
                // A field is its name, optionally followed by a condition on itself.
                let start = p.i
                var name = ""
                while p.i < p.c.count, p.c[p.i].isLetter || p.c[p.i].isNumber || p.c[p.i] == "_" || p.c[p.i] == "-" {
                    name.append(p.c[p.i]); p.i += 1
                }
                guard !name.isEmpty else {
                    if fields.isEmpty, p.atEnd { break }
                    throw .init()
                }
                p.skip()
                if p.atEnd || p.c[p.i] == "," {
                    fields.append(.named(name, nil))
                } else {
                    p.i = start
                    let cond = try p.orExpr(fieldMode: true)
                    fields.append(.named(name, cond))
                }
            }
            p.skip()
            if p.atEnd { break }
            guard p.eat(",") else { throw .init() }
        }
        return DelimitedPattern(fields: fields)
    }

    static func split(_ m: String) -> [String] {
        var out: [String] = []
        let c = Array(m)
        var i = 0
        while i < c.count {
            if c[i] == " " || c[i] == "\t" { i += 1; continue }
            if c[i] == "\"" || c[i] == "[" {
                let close: Character = c[i] == "\"" ? "\"" : "]"
                var j = i + 1
                while j < c.count, c[j] != close { j += 1 }
                out.append(String(c[(i + 1)..<min(j, c.count)]))
                i = j + 1
                continue
            }
            var j = i
            while j < c.count, c[j] != " ", c[j] != "\t" { j += 1 }
            out.append(String(c[i..<j]))
            i = j
        }
        return out
    }

    func match(_ message: String) -> [String: String]? {
        let parts = Self.split(message)
        guard let assigned = Self.assign(fields[...], parts[...]) else { return nil }
        var values: [String: Value] = [:]
        var out: [String: String] = [:]
        for (name, v) in assigned {
            values[name] = Double(v) != nil ? .double(Double(v)!) : .string(v)
            out["$" + name] = v
        }
        for f in fields {
            if case .named(_, let cond?) = f, !cond.matches(.object(values)) { return nil }
        }
        return out
    }

    /// Fields to values; `...` absorbs as few fields as make the rest fit. Failed
    /// (field, part) positions are remembered, so several ellipses stay polynomial.
    static func assign(_ fields: ArraySlice<Field>, _ parts: ArraySlice<String>) -> [(String, String)]? {
        var failed = Set<Int>()
        let width = parts.count + 1
        func go(_ fi: Int, _ pi: Int) -> [(String, String)]? {
            if failed.contains(fi * width + pi) { return nil }
            let r: [(String, String)]?
            if fi == fields.endIndex {
                r = pi == parts.endIndex ? [] : nil
            } else {
                switch fields[fi] {
                case .ellipsis:
                    var found: [(String, String)]? = nil
                    for p in pi...parts.endIndex {
                        if let x = go(fi + 1, p) { found = x; break }
                    }
                    r = found
                case .named(let name, _):
                    if pi < parts.endIndex, let rest = go(fi + 1, pi + 1) { r = [(name, parts[pi])] + rest } else { r = nil }
                }
            }
            if r == nil { failed.insert(fi * width + pi) }
            return r
        }
        return go(fields.startIndex, parts.startIndex)
    }
}
