extension InsightsQuery {
    enum Token: Equatable {
        case word(String)  // identifiers, keywords, field names (`@timestamp`, `a.b`, `` `x y` ``)
        case number(Double, String)
        case text(String)
        case regex(String)
        case op(String)  // ( ) [ ] , | = != < > <= >= =~ + - * /
    }

    static func tokenize(_ q: String) throws(Invalid) -> [Token] {
        let c = Array(q)
        var i = 0
        var out: [Token] = []
        func regexAllowed() -> Bool {
            guard let last = out.last else { return true }
            switch last {
            case .op(let o): return o != ")" && o != "]"
            case .word(let w):
                if out.count >= 2, out[out.count - 2] == .word("parse") { return true }  // parse @field /re/
                return ["like", "parse", "and", "or", "not", "filter"].contains(w.lowercased())
            default: return false
            }
        }
        while i < c.count {
            let ch = c[i]
            if ch.isWhitespace { i += 1; continue }
            if ch == "\"" || ch == "'" || ch == "`" {
                var s = ""
                i += 1
                while i < c.count, c[i] != ch {
                    if c[i] == "\\", i + 1 < c.count { s.append(c[i + 1]); i += 2; continue }
                    s.append(c[i]); i += 1
                }
                guard i < c.count else { throw Invalid(reason: "unterminated quote") }
                i += 1
                out.append(ch == "`" ? .word(s) : .text(s))
                continue
            }
            if ch == "/", regexAllowed() {
                var s = ""
                i += 1
                while i < c.count, c[i] != "/" {
                    if c[i] == "\\", i + 1 < c.count { s.append(c[i]); s.append(c[i + 1]); i += 2; continue }
                    s.append(c[i]); i += 1
                }
                guard i < c.count else { throw Invalid(reason: "unterminated regex") }
                i += 1
                out.append(.regex(s))
                continue
            }
            if ch.isNumber {
                var s = ""
                while i < c.count, c[i].isNumber || c[i] == "." || c[i].isLetter { s.append(c[i]); i += 1 }
                // `5m` in bin() is a duration: a word.
                if let d = Double(s) { out.append(.number(d, s)) } else { out.append(.word(s)) }
                continue
            }
            if ch.isLetter || ch == "@" || ch == "_" || ch == "$" {
                var s = ""
                while i < c.count, c[i].isLetter || c[i].isNumber || "@_.$-".contains(c[i]) {
                    if c[i] == "-", !(i + 1 < c.count && (c[i + 1].isLetter || c[i + 1].isNumber)) { break }
                    s.append(c[i]); i += 1
                }
                out.append(.word(s))
                continue
            }
            let two = i + 1 < c.count ? String([ch, c[i + 1]]) : ""
            if ["!=", "<=", ">=", "=~"].contains(two) { out.append(.op(two)); i += 2; continue }
            if "()[],|=<>+-*/".contains(ch) { out.append(.op(String(ch))); i += 1; continue }
            throw Invalid(reason: "unexpected character \(ch)")
        }
        return out
    }

    static func parse(_ q: String) throws(Invalid) -> InsightsQuery {
        let tokens = try tokenize(q)
        var segments: [[Token]] = [[]]
        for t in tokens {
            if t == .op("|") { segments.append([]) } else { segments[segments.count - 1].append(t) }
        }
        var commands: [Command] = []
        for seg in segments {
            guard case .word(let w)? = seg.first else { throw Invalid(reason: "empty command") }
            var p = ExprParser(t: Array(seg.dropFirst()))
            switch w.lowercased() {
            case "fields":
                var list: [(Expr, String)] = []
                repeat {
                    let start = p.i
                    let e = try p.expr()
                    list.append((e, try p.alias() ?? p.source(from: start)))
                } while p.eat(.op(","))
                commands.append(.fields(list))
            case "display":
                commands.append(.display(try p.names()))
            case "filter":
                commands.append(.filter(try p.expr()))
            case "parse":
                var source = "@message"
                if case .word(let f)? = p.peek, f.lowercased() != "as" { source = f; p.i += 1 }
                let parser: Parser
                var names: [String] = []
                switch p.next() {
                case .text(let g)?: parser = .glob(g.components(separatedBy: "*"))
                case .regex(let r)?:
                    parser = .regex(r)
                    names = Self.groupNames(r)
                default: throw Invalid(reason: "parse needs a pattern")
                }
                if p.eatWord("as") { names = try p.names() }
                guard !names.isEmpty else { throw Invalid(reason: "parse needs field names") }
                commands.append(.parse(source, parser, names))
            case "stats":
                var aggs: [Aggregate] = []
                repeat {
                    let start = p.i
                    guard case .word(let fn)? = p.next(), ["count", "sum", "avg", "min", "max"].contains(fn.lowercased()),
                          p.eat(.op("("))
                    else { throw Invalid(reason: "stats needs an aggregate function") }
                    var arg: Expr? = nil
                    if p.eat(.op("*")) { arg = .field("*") } else if p.peek != .op(")") { arg = try p.expr() }
                    guard p.eat(.op(")")) else { throw Invalid(reason: "missing )") }
                    aggs.append(Aggregate(function: fn.lowercased(), argument: arg, alias: try p.alias() ?? p.source(from: start)))
                } while p.eat(.op(","))
                var by: [(Expr, String)] = []
                if p.eatWord("by") {
                    repeat {
                        let start = p.i
                        let e = try p.expr()
                        by.append((e, try p.alias() ?? p.source(from: start)))
                    } while p.eat(.op(","))
                }
                commands.append(.stats(aggs, by))
            case "sort":
                var keys: [(String, Bool)] = []
                repeat {
                    guard case .word(let f)? = p.next() else { throw Invalid(reason: "sort needs a field") }
                    var desc = false
                    if p.eatWord("desc") { desc = true } else { _ = p.eatWord("asc") }
                    keys.append((f, desc))
                } while p.eat(.op(","))
                commands.append(.sort(keys))
            case "limit":
                guard case .number(let n, _)? = p.next(), n >= 1, n <= 10_000, n == n.rounded() else {
                    throw Invalid(reason: "limit needs a number from 1 to 10000")
                }
                commands.append(.limit(Int(n)))
            case "dedup":
                commands.append(.dedup(try p.names()))
            default:
                throw Invalid(reason: "unknown command \(w)")
            }
            guard p.atEnd else { throw Invalid(reason: "unexpected input after \(w)") }
        }
        return InsightsQuery(commands: commands)
    }

    static func groupNames(_ regex: String) -> [String] {
        var out: [String] = []
        var rest = Substring(regex)
        while let r = rest.range(of: "(?<") {
            rest = rest[r.upperBound...]
            guard let end = rest.firstIndex(of: ">") else { break }
            out.append(String(rest[..<end]))
        }
        return out
    }

    struct ExprParser {
        var t: [Token]
        var i = 0
        /// Nesting so far; bounded so a query of 10,000 `(` cannot exhaust the stack.
        var depth = 0
        static let maxDepth = 100
        var atEnd: Bool { i >= t.count }
        var peek: Token? { i < t.count ? t[i] : nil }
        mutating func next() -> Token? { defer { i += 1 }; return peek }
        mutating func eat(_ x: Token) -> Bool { if peek == x { i += 1; return true }; return false }
        mutating func eatWord(_ w: String) -> Bool {
            if case .word(let s)? = peek, s.lowercased() == w { i += 1; return true }
            return false
        }

        func source(from start: Int) -> String {
            t[start..<min(i, t.count)].map { tok -> String in
                switch tok {
                case .word(let w): return w
                case .number(_, let s): return s
                case .text(let s): return "\"\(s)\""
                case .regex(let r): return "/\(r)/"
                case .op(let o): return o
                }
            }.joined()
        }

        mutating func alias() throws(Invalid) -> String? {
            guard eatWord("as") else { return nil }
            guard case .word(let a)? = next() else { throw Invalid(reason: "as needs a name") }
            return a
        }

        mutating func names() throws(Invalid) -> [String] {
            var out: [String] = []
            repeat {
                guard case .word(let n)? = next() else { throw Invalid(reason: "expected a field name") }
                out.append(n)
            } while eat(.op(","))
            return out
        }

        mutating func expr() throws(Invalid) -> Expr { try orExpr() }

        mutating func deeper() throws(Invalid) {
            depth += 1
            if depth > Self.maxDepth { throw Invalid(reason: "expression nested too deeply") }
        }

        mutating func orExpr() throws(Invalid) -> Expr {
            try deeper()
            defer { depth -= 1 }
            var l = try andExpr()
            while eatWord("or") { l = .binary("or", l, try andExpr()) }
            return l
        }

        mutating func andExpr() throws(Invalid) -> Expr {
            var l = try notExpr()
            while eatWord("and") { l = .binary("and", l, try notExpr()) }
            return l
        }

        mutating func notExpr() throws(Invalid) -> Expr {
            if eatWord("not") {
                try deeper()
                defer { depth -= 1 }
                return .unary("not", try notExpr())
            }
            return try comparison()
        }

        mutating func comparison() throws(Invalid) -> Expr {
            let l = try additive()
            for op in ["=", "!=", "<", ">", "<=", ">=", "=~"] where eat(.op(op)) {
                return .binary(op, l, try additive())
            }
            if eatWord("like") { return .binary("like", l, try additive()) }
            if eatWord("in") { return .binary("in", l, try additive()) }
            if case .word(let w)? = peek, w.lowercased() == "not", i + 1 < t.count {
                if case .word(let w2) = t[i + 1], w2.lowercased() == "like" {
                    i += 2
                    return .unary("not", .binary("like", l, try additive()))
                }
                if case .word(let w2) = t[i + 1], w2.lowercased() == "in" {
                    i += 2
                    return .binary("not in", l, try additive())
                }
            }
            return l
        }

        mutating func additive() throws(Invalid) -> Expr {
            var l = try multiplicative()
            while true {
                if eat(.op("+")) { l = .binary("+", l, try multiplicative()) }
                else if eat(.op("-")) { l = .binary("-", l, try multiplicative()) }
                else { return l }
            }
        }

        mutating func multiplicative() throws(Invalid) -> Expr {
            var l = try unary()
            while true {
                if eat(.op("*")) { l = .binary("*", l, try unary()) }
                else if eat(.op("/")) { l = .binary("/", l, try unary()) }
                else { return l }
            }
        }

        mutating func unary() throws(Invalid) -> Expr {
            if eat(.op("-")) {
                try deeper()
                defer { depth -= 1 }
                return .unary("-", try unary())
            }
            return try primary()
        }

        mutating func primary() throws(Invalid) -> Expr {
            guard let tok = next() else { throw Invalid(reason: "expression expected") }
            switch tok {
            case .number(let d, _): return .number(d)
            case .text(let s): return .text(s)
            case .regex(let r): return .regex(r)
            case .op("("):
                let e = try expr()
                guard eat(.op(")")) else { throw Invalid(reason: "missing )") }
                return e
            case .op("["):
                var items: [Expr] = []
                if !eat(.op("]")) {
                    repeat { items.append(try expr()) } while eat(.op(","))
                    guard eat(.op("]")) else { throw Invalid(reason: "missing ]") }
                }
                return .list(items)
            case .word(let w):
                if eat(.op("(")) {
                    var args: [Expr] = []
                    if !eat(.op(")")) {
                        repeat {
                            // bin(5m): the duration is a bare word.
                            if case .word(let d)? = peek, InsightsQuery.duration(d) != nil { i += 1; args.append(.text(d)) }
                            else { args.append(try expr()) }
                        } while eat(.op(","))
                        guard eat(.op(")")) else { throw Invalid(reason: "missing )") }
                    }
                    let name = w.lowercased()
                    guard ["bin", "ispresent", "strlen", "tolower", "toupper"].contains(name) else {
                        throw Invalid(reason: "unknown function \(w)")
                    }
                    return .call(name, args)
                }
                return .field(w)
            default: throw Invalid(reason: "unexpected token")
            }
        }
    }
}
