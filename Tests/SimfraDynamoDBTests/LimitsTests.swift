import SimfraCore
import Testing

@testable import SimfraDynamoDB

private func scope(_ values: [String: AV] = [:]) -> ExpressionScope {
    ExpressionScope(names: [:], values: values)
}

private func condition(_ text: String, _ s: ExpressionScope = scope([":v": .s("x")])) throws -> Condition {
    var p = try ExpressionParser(text, kind: "ConditionExpression", scope: s)
    return try p.parseCondition()
}

/// `{"M": {"a": … {"S": "x"} …}}` with `wraps` maps around the string.
private func nested(_ wraps: Int) -> Value {
    var v: Value = .object(["S": .string("x")])
    for _ in 0..<wraps { v = .object(["M": .object(["a": v])]) }
    return v
}

@Suite struct ExpressionLimitTests {
    @Test func expressionsOver4KBAreRefusedFirst() {
        let at = "a = :v" + String(repeating: " ", count: 4096 - 6)
        #expect(message { _ = try condition(at) } == nil)
        #expect(message { _ = try condition(at + " ") }
            == "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097")
        // The reproducers: 6,150 nested parentheses and 31,000 NOT terms.
        let parens = String(repeating: "(", count: 6150) + "a = :v" + String(repeating: ")", count: 6150)
        #expect(message { _ = try condition(parens) }?.contains("Expression size has exceeded the maximum allowed size; expression size: 12306") == true)
        let nots = String(repeating: "NOT ", count: 31_000) + "a = :v"
        #expect(message { _ = try condition(nots) }?.contains("Expression size has exceeded") == true)
        var p = try? ExpressionParser(String(repeating: "a, ", count: 1400) + "a", kind: "ProjectionExpression", scope: scope())
        #expect(p == nil)
        #expect(message { p = try ExpressionParser("SET a = :v" + String(repeating: " ", count: 4100), kind: "UpdateExpression", scope: scope()) }?
            .hasPrefix("Invalid UpdateExpression: Expression size has exceeded") == true)
    }

    @Test func redundantParenthesesAreAWSsError() {
        for bad in ["((a = :v))", "NOT ((a = :v))", "(a = :v) AND ((a = :v))", String(repeating: "(", count: 2000) + "a = :v" + String(repeating: ")", count: 2000)] {
            #expect(message { _ = try condition(bad) } == "Invalid ConditionExpression: The expression has redundant parentheses;", "\(bad.prefix(40))")
        }
        for good in ["(a = :v)", "((a = :v) AND a = :v)", "NOT (a = :v)", "size(a) = :v", "(size(a) = :v)", "a IN (:v)", "(a = :v AND (a = :v OR a = :v))"] {
            #expect(message { _ = try condition(good) } == nil, "\(good)")
        }
    }

    @Test func moreThan300OperatorsAreRefused() {
        let terms = { (n: Int) in Array(repeating: "a = :v", count: n).joined(separator: " AND ") }
        #expect(message { _ = try condition(terms(150)) } == nil)  // 150 '=' + 149 AND
        #expect(message { _ = try condition(terms(151)) }
            == "Invalid ConditionExpression: The expression contains too many operators; operator count: 301")
        #expect(message { _ = try condition(String(repeating: "NOT ", count: 299) + "a = :v") } == nil)
        #expect(message { _ = try condition(String(repeating: "NOT ", count: 301) + "a = :v") }
            == "Invalid ConditionExpression: The expression contains too many operators; operator count: 301")
        // Functions count too: size() and = are two operators per term.
        let sizes = { (n: Int) in Array(repeating: "size(a) = :v", count: n).joined(separator: " AND ") }
        #expect(message { _ = try condition(sizes(100)) } == nil)
        #expect(message { _ = try condition(sizes(101)) }
            == "Invalid ConditionExpression: The expression contains too many operators; operator count: 301")
    }

    @Test func unclosedParenthesesAreASyntaxErrorNotACrash() {
        let open = String(repeating: "(", count: 4000) + "a = :v"
        #expect(message { _ = try condition(open) }?.hasPrefix("Invalid ConditionExpression: Syntax error;") == true)
        let alternating = String(repeating: "(NOT ", count: 800) + "a = :v"
        #expect(message { _ = try condition(alternating) } != nil)
    }

    @Test func deepButLegalConditionsEvaluate() throws {
        // 300 operators, the deepest tree a legal expression can make.
        let nots = String(repeating: "NOT ", count: 299) + "a = :v"
        let c = try condition(nots)
        #expect(try Evaluator.evaluate(c, ["a": .s("x")]) == false)
        let chain = Array(repeating: "a = :v", count: 150).joined(separator: " AND ")
        #expect(try Evaluator.evaluate(try condition(chain), ["a": .s("x")]))
        let groups = String(repeating: "(a = :v AND ", count: 149) + "a = :v" + String(repeating: ")", count: 149)
        #expect(try Evaluator.evaluate(try condition(groups), ["a": .s("x")]))
    }
}

@Suite struct NestingLimitTests {
    static let nestingMessage = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"

    @Test func attributeValuesNestAtMost31Deep() throws {
        _ = try AV.from(nested(31))
        #expect(message { _ = try AV.from(nested(32)) } == Self.nestingMessage)
        var list: Value = .object(["NULL": .bool(true)])
        for _ in 0..<32 { list = .object(["L": .list([list])]) }
        #expect(message { _ = try AV.from(list) } == Self.nestingMessage)
        #expect(message { _ = try ItemCodec.item(.object(["a": nested(10_000)])) } == Self.nestingMessage)
    }

    @Test func updatesCannotNestPastTheLimit() throws {
        let item: Item = ["k": .s("1"), "m": .m([:])]
        let fits = [UpdateAction(kind: .set, path: [.name("m"), .name("b")], operand: .value(try AV.from(nested(30)), ":v"))]
        _ = try Evaluator.applyUpdate(fits, to: item)
        // Within the limit on its own, one too deep under `m`.
        let tooDeep = [UpdateAction(kind: .set, path: [.name("m"), .name("b")], operand: .value(try AV.from(nested(31)), ":v"))]
        #expect(message { _ = try Evaluator.applyUpdate(tooDeep, to: item) } == Self.nestingMessage)
    }

    @Test func partiQLLiteralsNestAtMost31Deep() throws {
        var ok = PartiQLTranslator(String(repeating: "[", count: 31) + "1" + String(repeating: "]", count: 31), params: [])
        _ = try ok.literal()
        for deep in [String(repeating: "[", count: 8000), String(repeating: "{'a':", count: 2000), String(repeating: "<<", count: 4000), String(repeating: "{", count: 8000)] {
            var t = PartiQLTranslator(deep, params: [])
            #expect(message { _ = try t.literal() } == Self.nestingMessage)
        }
    }
}
