import SimfraCore

/// One `operator: { key: values }` test of a statement's Condition block, with its values
/// compiled for the operator (numbers parsed, dates converted, CIDRs and patterns built) so
/// evaluation does no parsing of policy text.
package struct Condition: Sendable {
    package let op: ConditionOperator
    /// As written (for Simulate* output) and lower-cased for lookups.
    package let key: String
    let lookupKey: String
    let values: [Operand]

    /// A compiled policy value. Values that cannot mean anything for the operator (a number
    /// operator given "abc") never match, as in AWS.
    enum Operand: Sendable {
        case text(String)
        case template(PolicyTemplate)
        case pattern(WildcardPattern)
        case arn(ArnPattern)
        case number(Double)
        case date(Double)
        case bytes([UInt8])
        case ip(IPAddressRange)
        case invalid
    }

    package init(op: ConditionOperator, key: String, values rawValues: [String], substituteVariables: Bool) {
        self.op = op
        self.key = key
        lookupKey = key.lowercased()
        values = rawValues.map { raw in
            let template = op.base.takesVariables ? PolicyTemplate(raw, substitute: substituteVariables) : nil
            if let template, template.hasVariables { return .template(template) }
            let literal = template?.resolveString(PolicyContext()) ?? raw
            switch op.base {
            case .stringEquals, .stringNotEquals: return .text(literal)
            case .stringEqualsIgnoreCase, .stringNotEqualsIgnoreCase: return .text(literal.lowercased())
            case .stringLike, .stringNotLike:
                return .pattern(WildcardPattern(tokens: template?.resolveTokens(PolicyContext()) ?? []))
            case .arnEquals, .arnLike, .arnNotEquals, .arnNotLike:
                return .arn(ArnPattern(tokens: template?.resolveTokens(PolicyContext()) ?? []))
            case .numericEquals, .numericNotEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan,
                .numericGreaterThanEquals:
                return Double(raw).map(Operand.number) ?? .invalid
            case .dateEquals, .dateNotEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan,
                .dateGreaterThanEquals:
                return PolicyDate.epochSeconds(raw).map(Operand.date) ?? .invalid
            case .bool, .null: return .text(raw.lowercased())
            case .binaryEquals: return Base64.decode(raw).map(Operand.bytes) ?? .invalid
            case .ipAddress, .notIpAddress: return IPAddressRange(raw).map(Operand.ip) ?? .invalid
            }
        }
    }

    /// AWS's semantics: a missing key fails positive operators and satisfies negated ones;
    /// `…IfExists` turns a missing key into a match; `ForAllValues` is true for an absent or
    /// empty key, `ForAnyValue` false; without a set qualifier a multivalued key matches a
    /// positive operator when any of its values does.
    package func evaluate(_ context: PolicyContext) -> Bool {
        let present = context[lowercasedKey: lookupKey].flatMap { $0.isEmpty ? nil : $0 }
        if op.base == .null {
            return values.contains { v in
                guard case .text(let t) = v else { return false }
                return (t == "true" && present == nil) || (t == "false" && present != nil)
            }
        }
        guard let requestValues = present else {
            if op.ifExists { return true }
            switch op.qualifier {
            case .forAllValues: return true
            case .forAnyValue: return false
            case .none: return op.base.isNegated
            }
        }
        let negated = op.base.isNegated
        switch op.qualifier {
        case .none:
            let any = requestValues.contains { matchesAny($0, context) }
            return negated ? !any : any
        case .forAnyValue:
            return requestValues.contains { matchesAny($0, context) != negated }
        case .forAllValues:
            return requestValues.allSatisfy { matchesAny($0, context) != negated }
        }
    }

    /// Whether one request value satisfies the positive form of the operator for any policy value.
    private func matchesAny(_ value: String, _ context: PolicyContext) -> Bool {
        switch op.base {
        case .stringEqualsIgnoreCase, .stringNotEqualsIgnoreCase:
            let folded = value.lowercased()
            return values.contains { operandEquals($0, folded, context, fold: true) }
        case .stringEquals, .stringNotEquals:
            return values.contains { operandEquals($0, value, context, fold: false) }
        case .stringLike, .stringNotLike:
            return values.contains { v in
                switch v {
                case .pattern(let p): return p.matches(value)
                case .template(let t):
                    guard let tokens = t.resolveTokens(context) else { return false }
                    return WildcardPattern(tokens: tokens).matches(value)
                default: return false
                }
            }
        case .arnEquals, .arnLike, .arnNotEquals, .arnNotLike:
            return values.contains { v in
                switch v {
                case .arn(let p): return p.matches(value)
                case .template(let t):
                    guard let tokens = t.resolveTokens(context) else { return false }
                    return ArnPattern(tokens: tokens).matches(value)
                default: return false
                }
            }
        case .numericEquals, .numericNotEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan,
            .numericGreaterThanEquals:
            guard let n = Double(value) else { return false }
            return values.contains { v in
                guard case .number(let p) = v else { return false }
                return Self.compare(n, p, op.base)
            }
        case .dateEquals, .dateNotEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan, .dateGreaterThanEquals:
            guard let d = PolicyDate.epochSeconds(value) else { return false }
            return values.contains { v in
                guard case .date(let p) = v else { return false }
                return Self.compare(d, p, op.base)
            }
        case .bool:
            let folded = value.lowercased()
            return values.contains { v in
                guard case .text(let t) = v else { return false }
                return t == folded
            }
        case .binaryEquals:
            guard let b = Base64.decode(value) else { return false }
            return values.contains { v in
                guard case .bytes(let p) = v else { return false }
                return p == b
            }
        case .ipAddress, .notIpAddress:
            return values.contains { v in
                guard case .ip(let r) = v else { return false }
                return r.contains(value)
            }
        case .null:
            return false
        }
    }

    private func operandEquals(_ v: Operand, _ value: String, _ context: PolicyContext, fold: Bool) -> Bool {
        switch v {
        case .text(let t): return t == value
        case .template(let t):
            guard let s = t.resolveString(context) else { return false }
            return (fold ? s.lowercased() : s) == value
        default: return false
        }
    }

    /// `request <op> policy` for the ordered operators (the request's value on the left, as
    /// `NumericLessThan: {"s3:max-keys": "10"}` reads "max-keys < 10").
    private static func compare(_ a: Double, _ b: Double, _ base: ConditionOperator.Base) -> Bool {
        switch base {
        case .numericEquals, .numericNotEquals, .dateEquals, .dateNotEquals: return a == b
        case .numericLessThan, .dateLessThan: return a < b
        case .numericLessThanEquals, .dateLessThanEquals: return a <= b
        case .numericGreaterThan, .dateGreaterThan: return a > b
        case .numericGreaterThanEquals, .dateGreaterThanEquals: return a >= b
        default: return false
        }
    }
}
