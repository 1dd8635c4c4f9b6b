/// CloudWatch metric math, the common part: arithmetic (`+ - * / ^`), numbers, query ids,
/// `SUM AVG MIN MAX` (of an array: per timestamp; of one series: a scalar), `METRICS()`
/// (optionally `METRICS("label")`), `FILL(x, value|REPEAT)`, `RATE(x)`, `DIFF(x)`, `ABS(x)`.
/// `IF` and `SEARCH` are not implemented and answer a validation error naming them.
enum MetricMath {
    /// A time series: timestamp → value, or a scalar, or an array of series (METRICS()).
    enum Result {
        case scalar(Double)
        case series([Double: Double])
        case array([[Double: Double]])
    }

    indirect enum Node {
        case number(Double)
        case ref(String)
        case negate(Node)
        case binary(Character, Node, Node)
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

        mutating func expression() throws(Failure) -> Node {
            depth += 1
            defer { depth -= 1 }
            guard depth <= 64 else { throw Failure(message: "The expression is nested too deeply") }
            var left = try term()
            while let c = peek(), c == "+" || c == "-" {
                i += 1
                left = .binary(c, left, try term())
            }
            return left
        }

        mutating func term() throws(Failure) -> Node {
            var left = try power()
            while let c = peek(), c == "*" || c == "/" {
                i += 1
                left = .binary(c, left, try power())
            }
            return left
        }

        mutating func power() throws(Failure) -> Node {
            let base = try unary()
            if peek() == "^" {
                i += 1
                depth += 1
                defer { depth -= 1 }
                guard depth <= 64 else { throw Failure(message: "The expression is nested too deeply") }
                return .binary("^", base, try power())
            }
            return base
        }

        mutating func unary() throws(Failure) -> Node {
            if peek() == "-" {
                i += 1
                depth += 1
                defer { depth -= 1 }
                guard depth <= 64 else { throw Failure(message: "The expression is nested too deeply") }
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
            if c == "\"" {
                i += 1
                var s = ""
                while i < chars.count, chars[i] != "\"" { s.append(chars[i]); i += 1 }
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

    // MARK: Evaluation

    struct Context {
        /// Results of the other queries, by id, with their labels (for METRICS("label")).
        var series: [String: [Double: Double]]
        var labels: [String: String]
        /// The ids of MetricStat queries, in request order (METRICS() is all of them).
        var order: [String]
        /// Every period start in the requested range, for FILL.
        var grid: [Double]
    }

    static func evaluate(_ node: Node, _ ctx: Context) throws(Failure) -> Result {
        switch node {
        case .number(let d): return .scalar(d)
        case .string: throw Failure(message: "A string is only allowed as an argument of METRICS")
        case .ref(let id):
            guard let s = ctx.series[id] else { throw Failure(message: "Unrecognized metric id or function: \(id)") }
            return .series(s)
        case .negate(let n): return try map(evaluate(n, ctx)) { -$0 }
        case .binary(let op, let l, let r):
            let f: (Double, Double) -> Double
            switch op {
            case "+": f = (+)
            case "-": f = (-)
            case "*": f = (*)
            case "/": f = (/)
            default: f = { Foundation_pow($0, $1) }
            }
            return try combine(evaluate(l, ctx), evaluate(r, ctx), f)
        case .call(let name, let args):
            return try call(name, args, ctx)
        }
    }

    static func Foundation_pow(_ a: Double, _ b: Double) -> Double {
        var r = 1.0
        if b == b.rounded(), abs(b) < 64 {
            for _ in 0..<Int(abs(b)) { r *= a }
            return b < 0 ? 1 / r : r
        }
        return .nan
    }

    static func map(_ r: Result, _ f: (Double) -> Double) -> Result {
        switch r {
        case .scalar(let d): return .scalar(f(d))
        case .series(let s): return .series(s.mapValues(f))
        case .array(let a): return .array(a.map { $0.mapValues(f) })
        }
    }

    /// Series with series: only timestamps both have. Arrays apply element-wise to each series.
    static func combine(_ a: Result, _ b: Result, _ f: (Double, Double) -> Double) throws(Failure) -> Result {
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)): return .scalar(f(x, y))
        case (.series(let s), .scalar(let y)): return .series(s.mapValues { f($0, y) })
        case (.scalar(let x), .series(let s)): return .series(s.mapValues { f(x, $0) })
        case (.series(let s), .series(let t)):
            var out: [Double: Double] = [:]
            for (k, v) in s { if let w = t[k] { out[k] = f(v, w) } }
            return .series(out)
        case (.array(let arr), let other):
            return .array(try arr.map { s throws(Failure) in
                guard case .series(let r) = try combine(.series(s), other, f) else { return [:] }
                return r
            })
        case (let other, .array(let arr)):
            return .array(try arr.map { s throws(Failure) in
                guard case .series(let r) = try combine(other, .series(s), f) else { return [:] }
                return r
            })
        }
    }

    static func call(_ name: String, _ args: [Node], _ ctx: Context) throws(Failure) -> Result {
        switch name {
        case "METRICS":
            var filter: String?
            if let first = args.first {
                guard case .string(let s) = first else { throw Failure(message: "METRICS takes a string argument") }
                filter = s
            }
            return .array(ctx.order.compactMap { id in
                if let filter, !(ctx.labels[id] ?? id).contains(filter) { return nil }
                return ctx.series[id]
            })
        case "SUM", "AVG", "MIN", "MAX":
            guard args.count == 1 else { throw Failure(message: "\(name) takes one argument") }
            let reduce: ([Double]) -> Double = switch name {
            case "SUM": { $0.reduce(0, +) }
            case "AVG": { $0.reduce(0, +) / Double($0.count) }
            case "MIN": { $0.min() ?? .nan }
            default: { $0.max() ?? .nan }
            }
            switch try evaluate(args[0], ctx) {
            case .scalar(let d): return .scalar(d)
            case .series(let s): return s.isEmpty ? .series([:]) : .scalar(reduce(Array(s.values)))
            case .array(let arr):
                var byTime: [Double: [Double]] = [:]
                for s in arr { for (k, v) in s { byTime[k, default: []].append(v) } }
                return .series(byTime.mapValues(reduce))
            }
        case "ABS":
            guard args.count == 1 else { throw Failure(message: "ABS takes one argument") }
            return map(try evaluate(args[0], ctx)) { abs($0) }
        case "FILL":
            guard args.count == 2 else { throw Failure(message: "FILL takes two arguments") }
            let target = try evaluate(args[0], ctx)
            let fill: (([Double: Double]) -> [Double: Double])
            if case .ref(let r) = args[1], r.uppercased() == "REPEAT" {
                fill = { s in
                    var out = s, last: Double?
                    for t in ctx.grid {
                        if let v = s[t] { last = v } else if let last { out[t] = last }
                    }
                    return out
                }
            } else {
                guard case .scalar(let d) = try evaluate(args[1], ctx) else {
                    throw Failure(message: "The second argument of FILL must be a number or REPEAT")
                }
                fill = { s in
                    var out = s
                    for t in ctx.grid where out[t] == nil { out[t] = d }
                    return out
                }
            }
            switch target {
            case .scalar: return target
            case .series(let s): return .series(fill(s))
            case .array(let a): return .array(a.map(fill))
            }
        case "RATE", "DIFF":
            guard args.count == 1 else { throw Failure(message: "\(name) takes one argument") }
            let f: ([Double: Double]) -> [Double: Double] = { s in
                let keys = s.keys.sorted()
                var out: [Double: Double] = [:]
                for (a, b) in zip(keys, keys.dropFirst()) {
                    let d = s[b]! - s[a]!
                    out[b] = name == "RATE" ? d / (b - a) : d
                }
                return out
            }
            switch try evaluate(args[0], ctx) {
            case .scalar: throw Failure(message: "\(name) needs a time series")
            case .series(let s): return .series(f(s))
            case .array(let a): return .array(a.map(f))
            }
        default:
            throw Failure(message: "Unsupported function: \(name)")
        }
    }
}
