import SimfraCore
import Testing

@testable import SimfraDynamoDB

private func scope(_ names: [String: String] = [:], _ values: [String: AV] = [:]) -> ExpressionScope {
    ExpressionScope(names: names, values: values)
}

private func condition(_ text: String, _ s: ExpressionScope) throws -> Condition {
    var p = try ExpressionParser(text, kind: "ConditionExpression", scope: s)
    return try p.parseCondition()
}

private func n(_ s: String) -> AV { .n(DDBNumber.parse(s)!) }

@Suite struct ExpressionParserTests {
    @Test func syntaxErrorMessages() {
        #expect(message { _ = try condition("a = ", scope()) }
            == "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \"")
        #expect(message { _ = try condition("a = = b", scope()) }
            == "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = b\"")
        #expect(message { _ = try condition("a ! b", scope()) }
            == "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"a !\"")
    }

    @Test func reservedWordsAndReferences() {
        #expect(message { _ = try condition("status = a", scope()) }
            == "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status")
        #expect(message { _ = try condition("#s = a", scope()) }
            == "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #s")
        #expect(message { _ = try condition("a = :v", scope()) }
            == "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v")
        let s = scope(["#a": "a", "#b": "b"], [":v": .s("x"), ":w": .s("y")])
        #expect(message {
            _ = try condition("#a = :v", s)
            try s.checkUnused()
        } == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}")
        #expect(ReservedWords.all.count > 550)
    }

    @Test func functionsArity() {
        #expect(message { _ = try condition("attribute_exists(a, b)", scope()) }
            == "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2")
        #expect(message { _ = try condition("foo(a)", scope()) }
            == "Invalid ConditionExpression: Invalid function name; function: foo")
    }

    @Test func evaluation() throws {
        let item: Item = [
            "a": n("5"), "s": .s("hello"), "l": .l([.s("x"), n("2")]), "m": .m(["k": .s("v")]),
            "ss": .ss(["p", "q"]),
        ]
        let s = scope(["#k": "k"], [":three": n("3"), ":ten": n("10"), ":he": .s("he"), ":q": .s("q"), ":v": .s("v"), ":S": .s("S")])
        func eval(_ t: String) throws -> Bool { try Evaluator.evaluate(try condition(t, s), item) }
        #expect(try eval("a BETWEEN :three AND :ten"))
        #expect(try eval("begins_with(s, :he) AND contains(ss, :q)"))
        #expect(try eval("m.#k = :v AND l[1] < :three"))
        #expect(try eval("NOT (a < :three) OR a = :ten"))
        #expect(try eval("a IN (:three, :ten)") == false)
        #expect(try eval("size(s) BETWEEN :three AND :ten"))
        #expect(try eval("attribute_type(s, :S) AND attribute_not_exists(zz)"))
        #expect(try eval("zz <> :v"))
        #expect(try eval("s > :three") == false)  // different types never compare
    }
}

@Suite struct UpdateTests {
    private func update(_ text: String, _ item: Item, _ values: [String: AV]) throws -> Item {
        let s = scope([:], values)
        var p = try ExpressionParser(text, kind: "UpdateExpression", scope: s)
        return try Evaluator.applyUpdate(try p.parseUpdate(), to: item)
    }

    @Test func setRemoveAddDelete() throws {
        let item: Item = ["n": n("1"), "l": .l([.s("a"), .s("b"), .s("c")]), "ss": .ss(["x", "y"]), "m": .m([:])]
        let r = try update(
            "SET n = n + :d, m.k = :d, l[9] = :d REMOVE l[0] ADD c :d, ss :more DELETE ss2 :more", item,
            [":d": n("0.5"), ":more": .ss(["z"])])
        #expect(r["n"] == n("1.5"))
        #expect(r["m"] == .m(["k": n("0.5")]))
        #expect(r["l"] == .l([.s("b"), .s("c"), n("0.5")]))
        #expect(r["c"] == n("0.5"))
        #expect(r["ss"] == .ss(["x", "y", "z"]))
        let r2 = try update("SET l = list_append(:p, l), x = if_not_exists(x, :d) DELETE ss :all", item,
            [":p": .l([.s("0")]), ":d": n("2"), ":all": .ss(["x", "y"])])
        #expect(r2["l"] == .l([.s("0"), .s("a"), .s("b"), .s("c")]))
        #expect(r2["x"] == n("2"))
        #expect(r2["ss"] == nil)
    }

    @Test func updateErrors() {
        #expect(message { _ = try update("SET a = :v, a = :v", [:], [":v": .s("x")]) }
            == "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]")
        #expect(message { _ = try update("SET a = :v SET b = :v", [:], [":v": .s("x")]) }
            == "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;")
        #expect(message { _ = try update("SET a = b + :v", [:], [":v": n("1")]) }
            == "The provided expression refers to an attribute that does not exist in the item")
        #expect(message { _ = try update("SET a = :s + :v", [:], [":v": n("1"), ":s": .s("x")]) }
            == "An operand in the update expression has an incorrect data type")
        #expect(message { _ = try update("ADD a :s", [:], [":s": .s("x")]) }
            == "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING")
        #expect(message { _ = try update("SET m.k = :s", [:], [":s": .s("x")]) }
            == "The document path provided in the update expression is invalid for update")
    }

    @Test func projection() throws {
        let item: Item = ["a": .m(["b": .s("1"), "c": .s("2")]), "l": .l([.s("x"), .s("y"), .s("z")]), "d": .s("d")]
        var p = try ExpressionParser("a.b, l[2], l[0]", kind: "ProjectionExpression", scope: scope())
        let r = Evaluator.project(item, try p.parseProjection())
        #expect(r == ["a": .m(["b": .s("1")]), "l": .l([.s("z"), .s("x")])])
    }
}

@Suite struct NumberTests {
    @Test func canonicalForm() {
        #expect(DDBNumber.parse("1.50")!.description == "1.5")
        #expect(DDBNumber.parse("-0.000")!.description == "0")
        #expect(DDBNumber.parse("1E+3")!.description == "1000")
        #expect(DDBNumber.parse("12.5e-3")!.description == "0.0125")
        #expect(DDBNumber.parse("abc") == nil)
        #expect(DDBNumber.parse("1e") == nil)
    }

    @Test func exactArithmeticAndOrdering() throws {
        let a = DDBNumber.parse("0.1")!, b = DDBNumber.parse("0.2")!
        #expect((a + b).description == "0.3")
        let big = DDBNumber.parse("99999999999999999999999999999999999999")!
        #expect((big - DDBNumber.parse("1")!).description == "99999999999999999999999999999999999998")
        #expect((big + DDBNumber.parse("1")!).description == "1" + String(repeating: "0", count: 38))
        #expect(throws: AWSError.self) { try (big + DDBNumber.parse("0.1")!).checkLimits() }
        #expect(DDBNumber.parse("-10")! < DDBNumber.parse("-9.5")!)
        #expect(DDBNumber.parse("9")! < DDBNumber.parse("10")!)
        #expect(DDBNumber.parse("1.0")! == DDBNumber.parse("1")!)
        #expect((DDBNumber.parse("5")! - DDBNumber.parse("7.25")!).description == "-2.25")
    }

    @Test func limits() {
        #expect(message { _ = try DDBNumber.validated("1" + String(repeating: "1", count: 38)) }
            == "Attempting to store more than 38 significant digits in a Number")
        #expect(message { _ = try DDBNumber.validated("1E126") }
            == "Number overflow. Attempting to store a number with magnitude larger than supported range")
        #expect(message { _ = try DDBNumber.validated("1E-131") }
            == "Number underflow. Attempting to store a number with magnitude smaller than supported range")
        #expect(message { _ = try DDBNumber.validated("x1") } == "A value provided cannot be converted into a number")
    }
}

@Suite struct StoreTests {
    @Test func keyOrdering() {
        #expect(KeyPart.s("B") < KeyPart.s("a"))
        #expect(KeyPart.s("a") < KeyPart.s("ab"))
        #expect(KeyPart.b([0x01]) < KeyPart.b([0xFF]))
        #expect(KeyPart.n(DDBNumber.parse("2")!) < KeyPart.n(DDBNumber.parse("10")!))
    }

    @Test func queryRanges() {
        var s = ItemStore()
        for i in 0..<20 { s.put(.s("p"), [.n(DDBNumber.parse(String(i))!)], ["i": n(String(i))]) }
        let k = { (i: Int) in KeyPart.n(DDBNumber.parse(String(i))!) }
        #expect(s.query(.s("p"), range: .between(k(3), k(6)), forward: true, exclusiveStart: nil).count == 4)
        #expect(s.query(.s("p"), range: .gt(k(17)), forward: true, exclusiveStart: nil).count == 2)
        #expect(s.query(.s("p"), range: .le(k(4)), forward: false, exclusiveStart: [k(2)]).count == 2)
        #expect(s.query(.s("p"), range: nil, forward: true, exclusiveStart: [k(15)]).count == 4)
        var t = ItemStore()
        for w in ["ab", "abc", "abd", "ac", "b"] { t.put(.s("p"), [.s(w)], [:]) }
        #expect(t.query(.s("p"), range: .beginsWith(.s("ab")), forward: true, exclusiveStart: nil).map { $0.sort[0] }
            == [.s("ab"), .s("abc"), .s("abd")])
        s.remove(.s("p"), [k(3)])
        #expect(s.count == 19)
    }

    @Test func pageSizeRule() throws {
        var page = PageBuilder(limit: nil, filter: nil, projection: nil, countOnly: true)
        let item: Item = ["k": .s(String(repeating: "x", count: 100 * 1024 - 1))]
        #expect(ItemCodec.size(item) == 100 * 1024)
        var added = 0
        while try page.add(item, returned: item, key: item) { added += 1 }
        #expect(page.scanned == 10 + 1 - 0 || page.scanned == 11)
        #expect(page.lastKey != nil)
    }

    @Test func attributeValueValidation() {
        #expect(message { _ = try AV.from(["SS": []]) }
            == "One or more parameter values were invalid: An string set  may not be empty")
        #expect(message { _ = try AV.from(["SS": ["a", "a"]]) }
            == "One or more parameter values were invalid: Input collection [a, a] contains duplicates.")
        #expect(message { _ = try AV.from(["S": "a", "N": "1"]) }
            == "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
    }

    @Test func binaryCodecRoundTrip() throws {
        let item: Item = ["a": .m(["b": .l([n("1.5"), .null, .bool(true), .bs([[1, 2]]), .ns([DDBNumber.parse("3")!])])]), "s": .ss(["x"])]
        var w = BinaryWriter()
        w.item(item)
        var r = BinaryReader(w.bytes)
        #expect(try r.item() == item)
    }
}
