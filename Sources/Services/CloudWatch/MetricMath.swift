/// CloudWatch metric math: the expression language of GetMetricData and math alarms.
///
/// Grammar, loosest first (AWS's precedence: arithmetic binds tighter than comparison, which
/// binds tighter than the logical operators):
///   or      := and (("OR" | "||") and)*
///   and     := not (("AND" | "&&") not)*
///   not     := ("NOT" | "!") not | compare
///   compare := additive (("==" | "!=" | "<=" | ">=" | "<" | ">") additive)?
///   additive, term, power, unary, primary: `+ - * / ^`, numbers, ids, calls, strings.
/// Comparisons and logical operators answer 1 or 0, as AWS's do, so `IF(m1 > 10 AND m2 < 5, …)`
/// works on whole series. The functions are in MetricMath+Functions.swift.
enum MetricMath {
    /// One series of an array, with the label GetMetricData reports for it.
    struct Labeled: Sendable {
        var label: String
        var values: [Double: Double]
    }

    /// A time series: timestamp → value, or a scalar, or an array of series (METRICS(), SEARCH()).
    enum Result {
        case scalar(Double)
        case series([Double: Double])
        case array([Labeled])
    }

    indirect enum Node {
        case number(Double)
        case ref(String)
        case negate(Node)
        case not(Node)
        /// Operators: + - * / ^, comparisons "==" "!=" "<" "<=" ">" ">=", logical "AND" "OR".
        case binary(String, Node, Node)
        case call(String, [Node])
        case string(String)
    }

    struct Failure: Error { var message: String }

    // MARK: Parsing

    static func parse(_ text: String) throws(Failure) -> Node {
        var p = Parser(chars: Array(text))
        let node = try p.expression()
        p.skipSpace()
        guard p.i == p.chars.count else { throw Failure(message: "Unexpected character '\(p.chars[p.i])' in expression") }
        return node
    }

    struct Parser {
        var chars: [Character]
        var i = 0
        /// Nesting so far: a hostile expression of thousands of parentheses must not exhaust the stack.
        var depth = 0

        mutating func skipSpace() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

        mutating func peek() -> Character? {
            skipSpace()
            return i < chars.count ? chars[i] : nil
        }

        /// Consumes `s` if the input continues with it (after spaces); a word must end there.
        mutating func take(_ s: String, word: Bool = false) -> Bool {
            skipSpace()
            let want = Array(s)
            guard i + want.count <= chars.count, Array(chars[i..<(i + want.count)]) == want else { return false }
            if word, i + want.count < chars.count {
                let next = chars[i + want.count]
                if next.isLetter || next.isNumber || next == "_" { return false }
            }
            i += want.count
            return true
        }

        mutating func nest() throws(Failure) {
            depth += 1
            guard depth <= 64 else { throw Failure(message: "The expression is nested too deeply") }
        }

        mutating func expression() throws(Failure) -> Node {
            try nest()
            defer { depth -= 1 }
            var left = try conjunction()
            while take("OR", word: true) || take("||") { left = .binary("OR", left, try conjunction()) }
            return left
        }

        mutating func conjunction() throws(Failure) -> Node {
            var left = try negation()
            while take("AND", word: true) || take("&&") { left = .binary("AND", left, try negation()) }
            return left
        }

        mutating func negation() throws(Failure) -> Node {
            skipSpace()
            if take("NOT", word: true) || (i + 1 < chars.count && chars[i] == "!" && chars[i + 1] != "=" && take("!")) {
                try nest()
                defer { depth -= 1 }
                return .not(try negation())
            }
            return try comparison()
        }

        mutating func comparison() throws(Failure) -> Node {
            let left = try additive()
            for op in ["==", "!=", "<=", ">=", "<", ">"] where take(op) {
                return .binary(op, left, try additive())
            }
            return left
        }

        mutating func additive() throws(Failure) -> Node {
            var left = try term()
            while let c = peek(), c == "+" || c == "-" {
                i += 1
                left = .binary(String(c), left, try term())
            }
            return left
        }

        mutating func term() throws(Failure) -> Node {
            var left = try power()
            while let c = peek(), c == "*" || c == "/" {
                i += 1
                left = .binary(String(c), left, try power())
            }
            return left
        }

        mutating func power() throws(Failure) -> Node {
            let base = try unary()
            if peek() == "^" {
                i += 1
                try nest()
                defer { depth -= 1 }
                return .binary("^", base, try power())
            }
            return base
        }

        mutating func unary() throws(Failure) -> Node {
            if peek() == "-" {
                i += 1
                try nest()
                defer { depth -= 1 }
                return .negate(try unary())
            }
            return try primary()
        }

        mutating func primary() throws(Failure) -> Node {
            guard let c = peek() else { throw Failure(message: "Unexpected end of expression") }
            if c == "(" {
                i += 1
                let inner = try expression()
                guard peek() == ")" else { throw Failure(message: "Missing ')' in expression") }
                i += 1
                return inner
            }
            // METRICS("label") takes double quotes, SEARCH('{…} "exact"', 'Sum') single ones.
            if c == "\"" || c == "'" {
                i += 1
                var s = ""
                while i < chars.count, chars[i] != c { s.append(chars[i]); i += 1 }
                guard i < chars.count else { throw Failure(message: "Unterminated string in expression") }
                i += 1
                return .string(s)
            }
            if c.isNumber || c == "." {
                var s = ""
                while i < chars.count, chars[i].isNumber || chars[i] == "." || chars[i] == "e" || chars[i] == "E" {
                    s.append(chars[i]); i += 1
                }
                guard let d = Double(s) else { throw Failure(message: "Invalid number \(s)") }
                return .number(d)
            }
            if c.isLetter || c == "_" {
                var s = ""
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { s.append(chars[i]); i += 1 }
                if peek() == "(" {
                    i += 1
                    var args: [Node] = []
                    if peek() != ")" {
                        args.append(try expression())
                        while peek() == "," { i += 1; args.append(try expression()) }
                    }
                    guard peek() == ")" else { throw Failure(message: "Missing ')' after arguments of \(s)") }
                    i += 1
                    return .call(s.uppercased(), args)
                }
                return .ref(s)
            }
            throw Failure(message: "Unexpected character '\(c)' in expression")
        }
    }

    /// Whether an expression uses SEARCH anywhere (AWS refuses it in alarms).
    static func usesSearch(_ node: Node) -> Bool {
        switch node {
        case .number, .ref, .string: false
        case .negate(let n), .not(let n): usesSearch(n)
        case .binary(_, let l, let r): usesSearch(l) || usesSearch(r)
        case .call(let name, let args): name == "SEARCH" || args.contains(where: usesSearch)
        }
    }
}
