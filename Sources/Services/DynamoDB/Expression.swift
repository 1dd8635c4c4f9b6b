import SimfraCore

enum PathElem: Hashable, Sendable {
    case name(String)
    case index(Int)
}

typealias DocPath = [PathElem]

func describePath(_ p: DocPath) -> String {
    "[" + p.map { e -> String in
        switch e {
        case .name(let n): return n
        case .index(let i): return "[\(i)]"
        }
    }.joined(separator: ", ") + "]"
}

indirect enum Operand: Sendable {
    case path(DocPath)
    case value(AV, String)
    case size(DocPath)
    case ifNotExists(DocPath, Operand)
    case listAppend(Operand, Operand)
    case plus(Operand, Operand)
    case minus(Operand, Operand)
}

indirect enum Condition: Sendable {
    case compare(Operand, String, Operand)
    case between(Operand, Operand, Operand)
    case inList(Operand, [Operand])
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)
    case exists(DocPath)
    case notExists(DocPath)
    case attributeType(DocPath, Operand)
    case beginsWith(Operand, Operand)
    case contains(Operand, Operand)
}

struct UpdateAction: Sendable {
    enum Kind: String, Sendable { case set = "SET", remove = "REMOVE", add = "ADD", delete = "DELETE" }
    var kind: Kind
    var path: DocPath
    var operand: Operand?
}

struct Token: Sendable {
    enum Kind: Sendable, Equatable { case ident, nameRef, valueRef, number, punct, eof }
    var kind: Kind
    var text: String
    var start: Int
    var end: Int
}

/// Names and values an expression (or several expressions of one request) may use, and
/// which of them were used.
final class ExpressionScope {
    let names: [String: String]
    let values: [String: AV]
    var usedNames: Set<String> = []
    var usedValues: Set<String> = []

    init(names: [String: String], values: [String: AV]) {
        self.names = names
        self.values = values
    }

    convenience init(input: Value) throws {
        if let n = input["ExpressionAttributeNames"]?.objectValue, n.isEmpty {
            throw DDBError.validation("ExpressionAttributeNames must not be empty")
        }
        if let v = input["ExpressionAttributeValues"]?.objectValue, v.isEmpty {
            throw DDBError.validation("ExpressionAttributeValues must not be empty")
        }
        var n: [String: String] = [:]
        for (k, v) in input["ExpressionAttributeNames"]?.objectValue ?? [:] { n[k] = v.stringValue ?? "" }
        var vals: [String: AV] = [:]
        for (k, v) in input["ExpressionAttributeValues"]?.objectValue ?? [:] {
            vals[k] = try AV.from(v)
        }
        self.init(names: n, values: vals)
    }

    /// AWS's check after every expression of the request was parsed.
    func checkUnused() throws {
        let unusedNames = names.keys.filter { !usedNames.contains($0) }.sorted()
        if !unusedNames.isEmpty {
            throw DDBError.validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {\(unusedNames.joined(separator: ", "))}")
        }
        let unusedValues = values.keys.filter { !usedValues.contains($0) }.sorted()
        if !unusedValues.isEmpty {
            throw DDBError.validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {\(unusedValues.joined(separator: ", "))}")
        }
    }
}

/// Tokenizer and recursive-descent parser for DynamoDB's expression languages
/// (condition/filter/key-condition, projection, update).
struct ExpressionParser {
    let kind: String
    let source: [UInt8]
    var tokens: [Token] = []
    var pos = 0
    let scope: ExpressionScope
    /// Operators and functions seen so far (AWS allows 300 per expression).
    var operators = 0
    /// Open parentheses, NOTs and function calls around the current token: each is one level
    /// of recursion below, so this is what keeps the parser's stack bounded.
    var nesting = 0

    /// DynamoDB's limits on expression parameters.
    static let maxExpressionBytes = 4096
    static let maxOperators = 300

    init(_ text: String, kind: String, scope: ExpressionScope) throws {
        self.kind = kind
        self.source = Array(text.utf8)
        self.scope = scope
        // A PartiQL statement is bounded by its own model limit (8,192 characters); the
        // expression it is translated into is not a user's expression parameter.
        if kind != "Statement" && source.count > Self.maxExpressionBytes {
            throw DDBError.validation("Invalid \(kind): Expression size has exceeded the maximum allowed size; expression size: \(source.count)")
        }
        if source.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            throw DDBError.validation("Invalid \(kind): The expression can not be empty;")
        }
        try tokenize()
        try checkParentheses()
    }

    /// One pass, no recursion, before parsing: a group that only wraps another group
    /// (`((a = :v))`) is AWS's "redundant parentheses" error. So every matched nesting level
    /// left for the parser carries an operator, and the operator limit bounds the parser's
    /// depth. Unmatched parentheses are left for the parser to report as a syntax error.
    private mutating func checkParentheses() throws {
        var open: [Int] = []
        var closeOf = [Int](repeating: -1, count: tokens.count)
        for (k, t) in tokens.enumerated() where t.kind == .punct {
            if t.text == "(" {
                open.append(k)
            } else if t.text == ")" {
                if let o = open.popLast() { closeOf[o] = k }
            }
        }
        for k in 0..<tokens.count - 1 where closeOf[k] >= 0 && closeOf[k + 1] >= 0 {
            // A function call's parentheses belong to the call, not to a group.
            let isCall = k > 0 && tokens[k - 1].kind == .ident && !["AND", "OR", "NOT"].contains(tokens[k - 1].text.uppercased())
            if !isCall && closeOf[k + 1] == closeOf[k] - 1 {
                throw fail("The expression has redundant parentheses;")
            }
        }
    }

    mutating func countOperator() throws {
        operators += 1
        if operators > Self.maxOperators {
            throw fail("The expression contains too many operators; operator count: \(operators)")
        }
    }

    /// Enters one level of recursion. Matched groups are bounded by the operator limit (see
    /// `checkParentheses`: at most a group per operator, as in `(NOT (NOT …))`), so only a
    /// run of unclosed `(` gets past this bound: a syntax error, found before the stack could
    /// run out.
    mutating func enter() throws {
        nesting += 1
        if nesting > 2 * Self.maxOperators + 2 { throw syntaxError() }
    }

    func fail(_ m: String) -> AWSError { DDBError.validation("Invalid \(kind): \(m)") }

    private func text(_ a: Int, _ b: Int) -> String { String(decoding: source[a..<b], as: UTF8.self) }

    private mutating func tokenize() throws {
        var i = 0
        func isIdent(_ c: UInt8) -> Bool {
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
        }
        while i < source.count {
            let c = source[i]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1; continue }
            let start = i
            if c == UInt8(ascii: "#") || c == UInt8(ascii: ":") {
                i += 1
                while i < source.count && isIdent(source[i]) { i += 1 }
                if i == start + 1 {
                    tokens.append(Token(kind: .punct, text: text(start, i), start: start, end: i))
                    pos = tokens.count - 1
                    throw syntaxError()
                }
                tokens.append(Token(kind: c == 0x23 ? .nameRef : .valueRef, text: text(start, i), start: start, end: i))
            } else if c >= 0x30 && c <= 0x39 {
                while i < source.count && source[i] >= 0x30 && source[i] <= 0x39 { i += 1 }
                tokens.append(Token(kind: .number, text: text(start, i), start: start, end: i))
            } else if isIdent(c) {
                while i < source.count && isIdent(source[i]) { i += 1 }
                tokens.append(Token(kind: .ident, text: text(start, i), start: start, end: i))
            } else {
                var len = 1
                if i + 1 < source.count {
                    let two = text(i, i + 2)
                    if two == "<=" || two == ">=" || two == "<>" { len = 2 }
                }
                let t = text(i, i + len)
                i += len
                tokens.append(Token(kind: .punct, text: t, start: start, end: i))
                if !["(", ")", "[", "]", ",", ".", "=", "<", ">", "<=", ">=", "<>", "+", "-"].contains(t) {
                    pos = tokens.count - 1
                    throw syntaxError()
                }
            }
        }
        tokens.append(Token(kind: .eof, text: "<EOF>", start: source.count, end: source.count))
    }

    func syntaxError() -> AWSError {
        let t = tokens[min(pos, tokens.count - 1)]
        let from = pos > 0 ? tokens[pos - 1].start : t.start
        let to = pos + 1 < tokens.count ? tokens[pos + 1].end : t.end
        let near = text(from, max(from, min(to, source.count)))
        return fail("Syntax error; token: \"\(t.text)\", near: \"\(near)\"")
    }

    var peek: Token { tokens[pos] }
    func peekAt(_ n: Int) -> Token { tokens[min(pos + n, tokens.count - 1)] }
    mutating func next() -> Token { let t = tokens[pos]; if pos < tokens.count - 1 { pos += 1 }; return t }

    func isKeyword(_ t: Token, _ k: String) -> Bool { t.kind == .ident && t.text.uppercased() == k }
    func isPunct(_ t: Token, _ p: String) -> Bool { t.kind == .punct && t.text == p }

    mutating func expect(_ p: String) throws {
        guard isPunct(peek, p) else { throw syntaxError() }
        pos += 1
    }

    mutating func expectEOF() throws {
        guard peek.kind == .eof else { throw syntaxError() }
    }

    // MARK: paths and operands

    mutating func parsePath() throws -> DocPath {
        var path: DocPath = []
        path.append(.name(try pathName()))
        while true {
            if isPunct(peek, ".") {
                pos += 1
                path.append(.name(try pathName()))
            } else if isPunct(peek, "[") {
                pos += 1
                guard peek.kind == .number, let i = Int(peek.text) else { throw syntaxError() }
                pos += 1
                try expect("]")
                path.append(.index(i))
            } else {
                return path
            }
        }
    }

    mutating func pathName() throws -> String {
        let t = peek
        switch t.kind {
        case .nameRef:
            pos += 1
            guard let n = scope.names[t.text] else {
                throw fail("An expression attribute name used in the document path is not defined; attribute name: \(t.text)")
            }
            scope.usedNames.insert(t.text)
            return n
        case .ident:
            if let f = t.text.first, f.isNumber { throw syntaxError() }
            if ReservedWords.all.contains(t.text.uppercased()) {
                throw fail("Attribute name is a reserved keyword; reserved keyword: \(t.text)")
            }
            pos += 1
            return t.text
        default:
            throw syntaxError()
        }
    }

    mutating func valueRef() throws -> Operand {
        let t = next()
        guard let v = scope.values[t.text] else {
            throw fail("An expression attribute value used in expression is not defined; attribute value: \(t.text)")
        }
        scope.usedValues.insert(t.text)
        return .value(v, t.text)
    }

    static let conditionFunctions: Set<String> = ["attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"]

    /// An operand of a condition: path, :value or size(path).
    mutating func parseOperand(update: Bool = false) throws -> Operand {
        let t = peek
        if t.kind == .valueRef { return try valueRef() }
        if t.kind == .ident && isPunct(peekAt(1), "(") {
            let name = t.text
            pos += 2
            try countOperator()
            try enter()
            let args = try parseArgs(update: update)
            nesting -= 1
            switch name {
            case "size" where !update:
                guard args.count == 1 else { throw arity(name, args.count) }
                guard case .path(let p) = args[0] else { throw needsPath(name) }
                return .size(p)
            case "if_not_exists" where update:
                guard args.count == 2 else { throw arity(name, args.count) }
                guard case .path(let p) = args[0] else { throw needsPath(name) }
                return .ifNotExists(p, args[1])
            case "list_append" where update:
                guard args.count == 2 else { throw arity(name, args.count) }
                return .listAppend(args[0], args[1])
            default:
                if Self.conditionFunctions.contains(name) || ["size", "if_not_exists", "list_append"].contains(name) {
                    throw fail("The function is not allowed to be used this way in an expression; function: \(name)")
                }
                throw fail("Invalid function name; function: \(name)")
            }
        }
        if t.kind == .ident || t.kind == .nameRef { return .path(try parsePath()) }
        throw syntaxError()
    }

    mutating func parseArgs(update: Bool) throws -> [Operand] {
        var args: [Operand] = []
        if isPunct(peek, ")") { pos += 1; return args }
        while true {
            args.append(try parseOperand(update: update))
            if isPunct(peek, ",") { pos += 1; continue }
            try expect(")")
            return args
        }
    }

    func arity(_ f: String, _ n: Int) -> AWSError {
        fail("Incorrect number of operands for operator or function; operator or function: \(f), number of operands: \(n)")
    }

    func needsPath(_ f: String) -> AWSError {
        fail("Operator or function requires a document path; operator or function: \(f)")
    }

    // MARK: conditions

    mutating func parseCondition() throws -> Condition {
        let c = try parseOr()
        try expectEOF()
        return c
    }

    mutating func parseOr() throws -> Condition {
        var l = try parseAnd()
        while isKeyword(peek, "OR") {
            pos += 1
            try countOperator()
            l = .or(l, try parseAnd())
        }
        return l
    }

    mutating func parseAnd() throws -> Condition {
        var l = try parseNot()
        while isKeyword(peek, "AND") {
            pos += 1
            try countOperator()
            l = .and(l, try parseNot())
        }
        return l
    }

    mutating func parseNot() throws -> Condition {
        if isKeyword(peek, "NOT") {
            pos += 1
            try countOperator()
            try enter()
            defer { nesting -= 1 }
            return .not(try parseNot())
        }
        return try parsePrimary()
    }

    mutating func parsePrimary() throws -> Condition {
        if isPunct(peek, "(") {
            pos += 1
            try enter()
            defer { nesting -= 1 }
            let c = try parseOr()
            try expect(")")
            return c
        }
        let t = peek
        if t.kind == .ident && isPunct(peekAt(1), "(") && Self.conditionFunctions.contains(t.text) {
            pos += 2
            try countOperator()
            try enter()
            let args = try parseArgs(update: false)
            nesting -= 1
            switch t.text {
            case "attribute_exists", "attribute_not_exists":
                guard args.count == 1 else { throw arity(t.text, args.count) }
                guard case .path(let p) = args[0] else { throw needsPath(t.text) }
                return t.text == "attribute_exists" ? .exists(p) : .notExists(p)
            case "attribute_type":
                guard args.count == 2 else { throw arity(t.text, args.count) }
                guard case .path(let p) = args[0] else { throw needsPath(t.text) }
                if case .value(let v, _) = args[1] {
                    let valid = ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"]
                    guard case .s(let name) = v else {
                        throw fail("Incorrect operand type for operator or function; operator or function: attribute_type, operand type: \(v.typeName)")
                    }
                    if !valid.contains(name) {
                        throw fail("Invalid attribute type name found; type: \(name), valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }")
                    }
                }
                return .attributeType(p, args[1])
            case "begins_with":
                guard args.count == 2 else { throw arity(t.text, args.count) }
                for a in args {
                    if case .value(let v, _) = a, v.typeName != "S", v.typeName != "B" {
                        throw fail("Incorrect operand type for operator or function; operator or function: begins_with, operand type: \(v.typeName)")
                    }
                }
                return .beginsWith(args[0], args[1])
            default:
                guard args.count == 2 else { throw arity(t.text, args.count) }
                return .contains(args[0], args[1])
            }
        }
        let lhs = try parseOperand()
        let op = peek
        if op.kind == .punct && ["=", "<>", "<", "<=", ">", ">="].contains(op.text) {
            pos += 1
            try countOperator()
            return .compare(lhs, op.text, try parseOperand())
        }
        if isKeyword(op, "BETWEEN") {
            pos += 1
            try countOperator()
            let lo = try parseOperand()
            guard isKeyword(peek, "AND") else { throw syntaxError() }
            pos += 1
            let hi = try parseOperand()
            if case .value(let a, _) = lo, case .value(let b, _) = hi {
                if a.typeName != b.typeName || compareAV(a, b).map({ $0 > 0 }) == true {
                    throw fail("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {\(a.typeName):\(display(a))}, upper bound operand: AttributeValue: {\(b.typeName):\(display(b))}")
                }
            }
            return .between(lhs, lo, hi)
        }
        if isKeyword(op, "IN") {
            pos += 1
            try countOperator()
            try expect("(")
            var list: [Operand] = [try parseOperand()]
            while isPunct(peek, ",") {
                pos += 1
                list.append(try parseOperand())
            }
            try expect(")")
            return .inList(lhs, list)
        }
        throw syntaxError()
    }

    // MARK: projection and update

    mutating func parseProjection() throws -> [DocPath] {
        var paths = [try parsePath()]
        while isPunct(peek, ",") {
            pos += 1
            paths.append(try parsePath())
        }
        try expectEOF()
        return paths
    }

    mutating func parseUpdate() throws -> [UpdateAction] {
        var actions: [UpdateAction] = []
        var seen: Set<String> = []
        while peek.kind != .eof {
            let t = peek
            guard t.kind == .ident, let kind = UpdateAction.Kind(rawValue: t.text.uppercased()) else {
                throw syntaxError()
            }
            pos += 1
            if seen.contains(kind.rawValue) {
                throw fail("The \"\(kind.rawValue)\" section can only be used once in an update expression;")
            }
            seen.insert(kind.rawValue)
            repeat {
                if !actions.isEmpty && isPunct(peek, ",") && actions.last?.kind == kind { pos += 1 }
                let path = try parsePath()
                switch kind {
                case .set:
                    try expect("=")
                    var v = try parseOperand(update: true)
                    if isPunct(peek, "+") || isPunct(peek, "-") {
                        let plus = next().text == "+"
                        try countOperator()
                        let r = try parseOperand(update: true)
                        v = plus ? .plus(v, r) : .minus(v, r)
                    }
                    actions.append(UpdateAction(kind: kind, path: path, operand: v))
                case .remove:
                    actions.append(UpdateAction(kind: kind, path: path, operand: nil))
                case .add, .delete:
                    guard peek.kind == .valueRef else { throw syntaxError() }
                    let v = try valueRef()
                    if case .value(let av, _) = v {
                        let ok: Bool
                        switch av {
                        case .ss, .ns, .bs: ok = true
                        case .n: ok = kind == .add
                        default: ok = false
                        }
                        if !ok {
                            throw fail("Incorrect operand type for operator or function; operator: \(kind.rawValue), operand type: \(operandTypeName(av))")
                        }
                    }
                    actions.append(UpdateAction(kind: kind, path: path, operand: v))
                }
            } while isPunct(peek, ",")
        }
        // No two actions may touch overlapping paths.
        for i in 0..<actions.count {
            for j in (i + 1)..<max(i + 1, actions.count) {
                let a = actions[i].path, b = actions[j].path
                let n = min(a.count, b.count)
                if Array(a.prefix(n)) == Array(b.prefix(n)) {
                    throw fail("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: \(describePath(a)), path two: \(describePath(b))")
                }
            }
        }
        return actions
    }
}

func operandTypeName(_ v: AV) -> String {
    switch v {
    case .s: "STRING"
    case .n: "NUMBER"
    case .b: "BINARY"
    case .ss: "SET"
    case .ns: "SET"
    case .bs: "SET"
    case .m: "MAP"
    case .l: "LIST"
    case .null: "NULL"
    case .bool: "BOOLEAN"
    }
}

func display(_ v: AV) -> String {
    switch v {
    case .s(let s): return s
    case .n(let n): return n.description
    case .b(let b): return Base64.encode(b)
    default: return v.typeName
    }
}

/// Ordering of two scalar values of one type (S, N, B); nil when they are not comparable.
func compareAV(_ a: AV, _ b: AV) -> Int? {
    guard let x = KeyPart(a), let y = KeyPart(b), a.typeName == b.typeName else { return nil }
    return x < y ? -1 : (x == y ? 0 : 1)
}
