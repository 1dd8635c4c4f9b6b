// libFuzzer entry for DynamoDB's expression languages and PartiQL literals (built by
// scripts/fuzz/run.sh). The first byte picks the language; the rest is the text. Parsed
// conditions are evaluated and parsed updates applied to a small item, so the evaluator
// is fuzzed too. Only AWSError may come out; a crash or hang is a finding.
private func makeScope() -> ExpressionScope {
    var names: [String: String] = [:]
    for c in "abcdefxyz" { names["#\(c)"] = String(c) }
    let values: [String: AV] = [
        ":s": .s("x"), ":n": .n(DDBNumber.parse("1")!), ":b": .b([1, 2]), ":t": .bool(true),
        ":l": .l([.s("x"), .n(DDBNumber.parse("2")!)]), ":m": .m(["a": .s("x")]), ":ss": .ss(["x", "y"]),
        ":ns": .ns([DDBNumber.parse("1")!]), ":z": .null, ":ty": .s("S"),
    ]
    return ExpressionScope(names: names, values: values)
}

// Built per input, not as globals: LeakSanitizer reports a global's lazily built storage.
private func makeItem() -> Item {
    [
        "a": .s("x"), "b": .n(DDBNumber.parse("5")!), "c": .l([.s("x"), .m(["d": .s("y")])]),
        "m": .m(["a": .m(["b": .s("z")])]), "s": .ss(["x"]), "pk": .s("k"),
    ]
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExpression(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let kinds: [String] = ["ConditionExpression", "KeyConditionExpression", "ProjectionExpression", "UpdateExpression", "PartiQL"]
    let kind = kinds[Int(data[0]) % kinds.count]
    let item = makeItem()
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    do {
        switch kind {
        case "PartiQL":
            var t = PartiQLTranslator(text, params: [.s("p")])
            _ = try t.literal()
        case "ProjectionExpression":
            var p = try ExpressionParser(text, kind: kind, scope: makeScope())
            _ = Evaluator.project(item, try p.parseProjection())
        case "UpdateExpression":
            var p = try ExpressionParser(text, kind: kind, scope: makeScope())
            _ = try Evaluator.applyUpdate(try p.parseUpdate(), to: item)
        default:
            var p = try ExpressionParser(text, kind: kind, scope: makeScope())
            _ = try Evaluator.evaluate(try p.parseCondition(), item)
        }
    } catch is AWSError {
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    return 0
}
