/// `anything-but`: a value, a list, or (EventBridge) an `equals-ignore-case`, `prefix`, `suffix`
/// or `wildcard` exclusion, each with AWS's checks in AWS's order.
extension PatternCompiler {
    private enum Exclusion { case values, ignoreCase, prefix, suffix, wildcard }

    mutating func anythingBut() throws(PatternError) -> ValueTest {
        var kind = Exclusion.values
        var token = try t.next()
        if token == .startObject {
            if try t.next() != .fieldName { throw t.fail("Anything-But expression name not found") }
            switch (t.name, dialect) {
            case ("equals-ignore-case", .eventBridge): kind = .ignoreCase
            case ("prefix", _): kind = .prefix
            case ("suffix", .eventBridge): kind = .suffix
            case ("wildcard", .eventBridge): kind = .wildcard
            default: throw t.fail("Unsupported anything-but pattern: \(t.name)")
            }
            token = try t.next()
            if dialect == .sns {
                // The older engine takes exactly one prefix string here.
                if token != .string { throw t.fail("prefix match pattern must be a string") }
                let s = try t.text()
                try endOfExpression()
                try endOfExpression()
                return .anythingButPrefix([s])
            }
        }
        switch token {
        case .startArray, .string, .number: break
        default: throw t.fail("Value of anything-but must be an array or single string/number value.")
        }
        let test: ValueTest
        if token == .startArray {
            test = kind == .values ? try exclusionList() : try exclusionSet(kind)
        } else {
            test = kind == .values ? try exclusionValue(token) : try exclusionSingle(kind)
        }
        if try t.next() != .endObject { throw t.fail("Too many elements in numeric expression") }
        if kind != .values, try t.next() != .endObject { throw t.fail("Too many elements in numeric expression") }
        return test
    }

    /// AWS's engine reports errors inside these lists twice over (it catches its own error and
    /// rethrows the message, location included, at the same position).
    private func rethrown(_ e: PatternError) -> PatternError {
        PatternError(reason: e.reason + "\n at " + t.location(t.pos))
    }

    private mutating func exclusionList() throws(PatternError) -> ValueTest {
        var strings = Set<String>()
        var numbers: [Double] = []
        do throws(PatternError) {
            while true {
                let token = try t.next()
                if token == .endArray { break }
                switch token {
                case .string: strings.insert(try t.text())
                case .number: numbers.append(try comparableNumber(try t.text()))
                default: throw t.fail("Inside anything but list, start|null|boolean is not supported.")
                }
            }
        } catch {
            throw rethrown(error)
        }
        if strings.isEmpty == numbers.isEmpty {
            throw t.fail("Inside anything but list, either all values are number or string, mixed type is not supported")
        }
        return numbers.isEmpty ? .anythingButStrings(strings) : .anythingButNumbers(numbers)
    }

    private mutating func exclusionValue(_ token: PatternTokenizer.Token) throws(PatternError) -> ValueTest {
        if token == .string { return .anythingButStrings([try t.text()]) }
        return .anythingButNumbers([try comparableNumber(try t.text())])
    }

    private func wrongType(_ kind: Exclusion) -> String {
        switch kind {
        case .ignoreCase: "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
        case .wildcard: "wildcard match pattern must be a string"
        default: "prefix/suffix match pattern must be a string"
        }
    }

    private mutating func exclusionSet(_ kind: Exclusion) throws(PatternError) -> ValueTest {
        var texts: [String] = []
        do throws(PatternError) {
            while true {
                let token = try t.next()
                if token == .endArray { break }
                guard token == .string else { throw t.fail(wrongType(kind)) }
                let s = try t.text()
                if (kind == .prefix || kind == .suffix) && s.isEmpty { throw t.fail("Null prefix/suffix not allowed") }
                texts.append(s)
            }
        } catch {
            throw rethrown(error)
        }
        return try exclusion(kind, texts)
    }

    private mutating func exclusionSingle(_ kind: Exclusion) throws(PatternError) -> ValueTest {
        guard t.current == .string else { throw t.fail(wrongType(kind)) }
        let s = try t.text()
        if (kind == .prefix || kind == .suffix) && s.isEmpty { throw t.fail("Null prefix/suffix not allowed") }
        return try exclusion(kind, [s])
    }

    private mutating func exclusion(_ kind: Exclusion, _ texts: [String]) throws(PatternError) -> ValueTest {
        switch kind {
        case .ignoreCase: return .anythingButIgnoreCase(Set(texts.map(CaseFolding.fold)))
        case .prefix: return .anythingButPrefix(texts)
        case .suffix: return .anythingButSuffix(texts)
        case .wildcard:
            var ws: [Wildcard] = []
            for s in texts { ws.append(try wildcard(s)) }
            return .anythingButWildcard(ws)
        case .values: return .anythingButStrings(Set(texts))
        }
    }
}
