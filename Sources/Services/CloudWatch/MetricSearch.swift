/// A CloudWatch search expression, the first argument of `SEARCH('{Namespace,DimA} terms', 'Stat')`:
/// an optional schema in braces, then search terms joined by AND (or spaces), OR, NOT and parentheses.
///
/// - Schema `{AWS/EC2,InstanceId}`: the namespace exactly, and metrics whose dimension names are
///   exactly those listed (a namespace alone: metrics without dimensions).
/// - `"exact text"`: a namespace, metric name, dimension name or value equal to it (case-sensitive).
/// - `word`: a partial match: names are split into tokens at non-alphanumerics and camel-case
///   boundaries (`CPUUtilization` → `CPU`, `Utilization`), and every token of the word must equal
///   one of a field's tokens or whole words, ignoring case (`cpu` finds `CPUUtilization`).
/// - `MetricName=x`, `Namespace=x`, `<DimensionName>=x`: the same, against that field only.
struct MetricSearch {
    struct Schema { var namespace: String; var dimensions: Set<String> }

    indirect enum Term {
        case text(String, exact: Bool, field: String?)
        case and(Term, Term)
        case or(Term, Term)
        case not(Term)
        case all
    }

    var schema: Schema?
    var term: Term

    struct Metric {
        var namespace: String
        var name: String
        var dimensions: [(name: String, value: String)]
    }

    typealias Failure = MetricMath.Failure

    // MARK: Parsing

    init(_ text: String) throws(Failure) {
        var tokens = try Self.lex(text)
        if tokens.first == .open("{") {
            var items: [String] = []
            tokens.removeFirst()
            var closed = false
            while !tokens.isEmpty {
                let t = tokens.removeFirst()
                switch t {
                case .close("}"): closed = true
                case .word(let w), .quoted(let w): items.append(w)
                case .comma: continue
                default: throw Failure(message: "Invalid search expression: unexpected token in the metric schema")
                }
                if closed { break }
            }
            guard closed else { throw Failure(message: "Invalid search expression: the metric schema is missing '}'") }
            guard let ns = items.first, !ns.isEmpty else { throw Failure(message: "Invalid search expression: the metric schema needs a namespace") }
            schema = Schema(namespace: ns, dimensions: Set(items.dropFirst()))
        }
        var p = TermParser(tokens: tokens)
        if p.tokens.isEmpty {
            guard schema != nil else { throw Failure(message: "Invalid search expression: it needs a metric schema or a search term") }
            term = .all
        } else {
            term = try p.or()
            guard p.i == p.tokens.count else { throw Failure(message: "Invalid search expression: unexpected token after the search terms") }
        }
    }

    enum Token: Equatable {
        case word(String)
        case quoted(String)
        case open(Character)
        case close(Character)
        case comma
        case equals
    }

    static func lex(_ text: String) throws(Failure) -> [Token] {
        let chars = Array(text)
        var i = 0, out: [Token] = []
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            switch c {
            case "{", "(": out.append(.open(c)); i += 1
            case "}", ")": out.append(.close(c)); i += 1
            case ",": out.append(.comma); i += 1
            case "=": out.append(.equals); i += 1
            case "\"":
                i += 1
                var s = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                    s.append(chars[i]); i += 1
                }
                guard i < chars.count else { throw Failure(message: "Invalid search expression: unterminated quoted term") }
                i += 1
                out.append(.quoted(s))
            default:
                var s = ""
                while i < chars.count, !chars[i].isWhitespace, !"{}(),=\"".contains(chars[i]) { s.append(chars[i]); i += 1 }
                out.append(.word(s))
            }
        }
        return out
    }

    struct TermParser {
        var tokens: [Token]
        var i = 0
        var depth = 0

        func peek() -> Token? { i < tokens.count ? tokens[i] : nil }

        mutating func or() throws(Failure) -> Term {
            depth += 1
            defer { depth -= 1 }
            guard depth <= 32 else { throw Failure(message: "Invalid search expression: nested too deeply") }
            var left = try and()
            while peek() == .word("OR") { i += 1; left = .or(left, try and()) }
            return left
        }

        mutating func and() throws(Failure) -> Term {
            var left = try unary()
            while let t = peek(), t != .word("OR"), t != .close(")") {
                if t == .word("AND") { i += 1 }
                left = .and(left, try unary())
            }
            return left
        }

        mutating func unary() throws(Failure) -> Term {
            guard let t = peek() else { throw Failure(message: "Invalid search expression: a search term is missing") }
            i += 1
            switch t {
            case .word("NOT"): return .not(try unary())
            case .open("("):
                let inner = try or()
                guard peek() == .close(")") else { throw Failure(message: "Invalid search expression: missing ')'") }
                i += 1
                return inner
            case .quoted(let s):
                return .text(s, exact: true, field: nil)
            case .word(let w):
                if peek() == .equals {
                    i += 1
                    switch peek() {
                    case .quoted(let v)?: i += 1; return .text(v, exact: true, field: w)
                    case .word(let v)?: i += 1; return .text(v, exact: false, field: w)
                    default: throw Failure(message: "Invalid search expression: \(w)= needs a value")
                    }
                }
                return .text(w, exact: false, field: nil)
            default:
                throw Failure(message: "Invalid search expression: unexpected token")
            }
        }
    }

    // MARK: Matching

    func matches(_ m: Metric) -> Bool {
        if let schema {
            guard m.namespace == schema.namespace, Set(m.dimensions.map(\.name)) == schema.dimensions,
                  m.dimensions.count == schema.dimensions.count
            else { return false }
        }
        return Self.matches(term, m)
    }

    static func matches(_ term: Term, _ m: Metric) -> Bool {
        switch term {
        case .all: return true
        case .and(let a, let b): return matches(a, m) && matches(b, m)
        case .or(let a, let b): return matches(a, m) || matches(b, m)
        case .not(let a): return !matches(a, m)
        case .text(let s, let exact, let field):
            let fields: [String]
            switch field {
            case nil: fields = [m.namespace, m.name] + m.dimensions.flatMap { [$0.name, $0.value] }
            case "MetricName": fields = [m.name]
            case "Namespace": fields = [m.namespace]
            case let name?: fields = m.dimensions.filter { $0.name == name }.map(\.value)
            }
            if exact { return fields.contains(s) }
            let wanted = tokens(s).map { $0.lowercased() }
            guard !wanted.isEmpty else { return false }
            return fields.contains { f in
                let have = Set(tokens(f).map { $0.lowercased() })
                return wanted.allSatisfy(have.contains)
            }
        }
    }

    /// Alphanumeric runs, plus their camel-case parts: `CPUUtilization` → CPUUtilization, CPU, Utilization.
    static func tokens(_ s: String) -> [String] {
        var out: [String] = []
        for run in s.split(whereSeparator: { !($0.isLetter || $0.isNumber) }) {
            let chars = Array(run)
            out.append(String(run))
            var part = ""
            for (k, c) in chars.enumerated() {
                if !part.isEmpty, let prev = part.last {
                    let next = k + 1 < chars.count ? chars[k + 1] : nil
                    let lowerToUpper = prev.isLowercase && c.isUppercase
                    let acronymEnd = prev.isUppercase && c.isUppercase && (next?.isLowercase ?? false)
                    let digitEdge = prev.isNumber != c.isNumber
                    if lowerToUpper || acronymEnd || digitEdge { out.append(part); part = "" }
                }
                part.append(c)
            }
            if !part.isEmpty, part.count < chars.count { out.append(part) }
        }
        return out
    }
}
