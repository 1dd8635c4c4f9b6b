/// A condition operator as written in a policy: the base operator plus the `…IfExists`
/// suffix and a `ForAllValues:`/`ForAnyValue:` set qualifier.
package struct ConditionOperator: Sendable, Equatable {
    package enum Base: String, Sendable, CaseIterable {
        case stringEquals = "StringEquals", stringNotEquals = "StringNotEquals"
        case stringEqualsIgnoreCase = "StringEqualsIgnoreCase"
        case stringNotEqualsIgnoreCase = "StringNotEqualsIgnoreCase"
        case stringLike = "StringLike", stringNotLike = "StringNotLike"
        case numericEquals = "NumericEquals", numericNotEquals = "NumericNotEquals"
        case numericLessThan = "NumericLessThan", numericLessThanEquals = "NumericLessThanEquals"
        case numericGreaterThan = "NumericGreaterThan", numericGreaterThanEquals = "NumericGreaterThanEquals"
        case dateEquals = "DateEquals", dateNotEquals = "DateNotEquals"
        case dateLessThan = "DateLessThan", dateLessThanEquals = "DateLessThanEquals"
        case dateGreaterThan = "DateGreaterThan", dateGreaterThanEquals = "DateGreaterThanEquals"
        case bool = "Bool"
        case binaryEquals = "BinaryEquals"
        case ipAddress = "IpAddress", notIpAddress = "NotIpAddress"
        case arnEquals = "ArnEquals", arnLike = "ArnLike", arnNotEquals = "ArnNotEquals", arnNotLike = "ArnNotLike"
        case null = "Null"

        /// Negated operators match when the positive counterpart matches none of the values,
        /// and match when the key is absent.
        package var isNegated: Bool {
            switch self {
            case .stringNotEquals, .stringNotEqualsIgnoreCase, .stringNotLike, .numericNotEquals, .dateNotEquals,
                .notIpAddress, .arnNotEquals, .arnNotLike:
                return true
            default: return false
            }
        }

        /// Whether policy variables are substituted in this operator's values.
        var takesVariables: Bool {
            switch self {
            case .stringEquals, .stringNotEquals, .stringEqualsIgnoreCase, .stringNotEqualsIgnoreCase, .stringLike,
                .stringNotLike, .arnEquals, .arnLike, .arnNotEquals, .arnNotLike:
                return true
            default: return false
            }
        }

        static let byLowercasedName: [String: Base] = Dictionary(
            uniqueKeysWithValues: allCases.map { ($0.rawValue.lowercased(), $0) })
    }

    package enum SetQualifier: Sendable, Equatable { case none, forAllValues, forAnyValue }

    package var base: Base
    package var ifExists: Bool
    package var qualifier: SetQualifier

    package init(base: Base, ifExists: Bool = false, qualifier: SetQualifier = .none) {
        self.base = base
        self.ifExists = ifExists
        self.qualifier = qualifier
    }

    /// Parses `ForAnyValue:StringLikeIfExists` and friends; nil for an unknown operator.
    /// AWS matches operator names case-insensitively. `Null` takes neither suffix nor qualifier.
    package init?(parsing text: String) {
        var name = Substring(text.lowercased())
        qualifier = .none
        if name.hasPrefix("forallvalues:") {
            qualifier = .forAllValues
            name = name.dropFirst("forallvalues:".count)
        } else if name.hasPrefix("foranyvalue:") {
            qualifier = .forAnyValue
            name = name.dropFirst("foranyvalue:".count)
        }
        ifExists = false
        if let b = Base.byLowercasedName[String(name)] {
            base = b
        } else if name.hasSuffix("ifexists"), let b = Base.byLowercasedName[String(name.dropLast("ifexists".count))],
            b != .null
        {
            base = b
            ifExists = true
        } else {
            return nil
        }
        if base == .null, qualifier != .none { return nil }
    }
}
