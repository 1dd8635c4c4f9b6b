/// `numeric` expressions and the numbers AWS's engine accepts in them.
extension PatternCompiler {
    /// Numbers are converted (and refused) only once the expression is read, as AWS's engine
    /// builds the range last.
    mutating func numeric() throws(PatternError) -> NumericRange {
        if try t.next() != .string { throw t.fail("Invalid member in numeric match: \(try t.text())") }
        let op = try t.text()
        _ = try t.next()
        let word = op == "=" ? "equals" : op
        switch op {
        case "=":
            if !t.isNumeric { throw t.fail("Value of \(word) must be numeric") }
            let v = try t.text()
            if try t.next() != .endArray { throw t.fail("Too many elements in numeric expression") }
            return .equals(try comparableNumber(v))
        case ">=", ">":
            if !t.isNumeric { throw t.fail("Value of \(word) must be numeric") }
            let bottom = try t.text()
            let after = try t.next()
            if after == .endArray {
                return NumericRange(lower: try comparableNumber(bottom), lowerOpen: op == ">", upper: nil, upperOpen: false)
            }
            return try rangeTop(after, bottom: bottom, openBottom: op == ">")
        case "<=", "<":
            if !t.isNumeric { throw t.fail("Value of \(word) must be numeric") }
            let top = try t.text()
            if try t.next() != .endArray { throw t.fail("Too many elements in numeric expression") }
            return NumericRange(lower: nil, lowerOpen: false, upper: try comparableNumber(top), upperOpen: op == "<")
        default:
            throw t.fail("Unrecognized numeric range operator: \(op)")
        }
    }

    private mutating func rangeTop(_ token: PatternTokenizer.Token, bottom: String, openBottom: Bool)
        throws(PatternError) -> NumericRange
    {
        if token != .string { throw t.fail("Bad value in numeric range: \(try t.text())") }
        let op = try t.text()
        guard op == "<" || op == "<=" else { throw t.fail("Bad numeric range operator: \(op)") }
        if case .number = try t.next() {} else { throw t.fail("Value of \(op) must be numeric") }
        let topText = try t.text()
        if try t.next() != .endArray { throw t.fail("Too many terms in numeric range expression") }
        let low = try comparableNumber(bottom)
        let top = try comparableNumber(topText)
        guard low < top else { throw t.fail("Bottom must be less than top") }
        return NumericRange(lower: low, lowerOpen: openBottom, upper: top, upperOpen: op == "<")
    }

    /// A number the engine can compare: EventBridge takes any double whose decimal text it
    /// represents exactly; SNS's engine is limited to ±5e9.
    func comparableNumber(_ text: String) throws(PatternError) -> Double {
        guard let d = Double(text), d.isFinite else { throw t.fail("Cannot compare number : \(text)") }
        switch dialect {
        case .eventBridge:
            guard DecimalText.sameValue(text, d) else { throw t.fail("Cannot compare number : \(text)") }
        case .sns:
            guard d >= -5e9 && d <= 5e9 else { throw t.fail("Value must be between -5.0E9 and 5.0E9, inclusive") }
        }
        return d
    }
}

/// Exact comparison of a JSON number's decimal text with a double's shortest decimal form, the
/// check AWS's engine makes before it compares numbers (it refuses numbers a double would round).
enum DecimalText {
    static func sameValue(_ text: String, _ d: Double) -> Bool {
        guard let a = normalize(text), let b = normalize("\(d)") else { return false }
        return a == b
    }

    /// (negative, significant digits without leading/trailing zeros, exponent of the last digit).
    private static func normalize(_ s: String) -> (Bool, [UInt8], Int)? {
        var bytes = Array(s.utf8)
        var negative = false
        if bytes.first == UInt8(ascii: "-") { negative = true; bytes.removeFirst() }
        var exponent = 0
        if let e = bytes.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard let x = Int(String(decoding: bytes[(e + 1)...], as: UTF8.self)) else { return nil }
            exponent = x
            bytes.removeSubrange(e...)
        }
        var digits: [UInt8] = []
        var fraction = 0
        var inFraction = false
        for c in bytes {
            if c == UInt8(ascii: ".") { inFraction = true; continue }
            guard c >= 0x30 && c <= 0x39 else { return nil }
            digits.append(c)
            if inFraction { fraction += 1 }
        }
        exponent -= fraction
        while let f = digits.first, f == UInt8(ascii: "0") { digits.removeFirst() }
        while let l = digits.last, l == UInt8(ascii: "0") { digits.removeLast(); exponent += 1 }
        if digits.isEmpty { return (false, [], 0) }
        return (negative, digits, exponent)
    }
}
