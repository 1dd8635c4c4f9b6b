import SimfraCore
import SimfraProtocols

/// An SNS subscription filter policy, compiled when the subscription's FilterPolicy is set and
/// matched against each published message.
public struct FilterPolicy: Sendable {
    public enum Scope: Sendable { case messageAttributes, messageBody }

    /// A message attribute as published: `dataType` is "String", "String.Array", "Number" or
    /// "Binary" (optionally with a custom suffix, "Number.float").
    public struct Attribute: Sendable {
        public var dataType: String
        public var stringValue: String?
        public init(dataType: String, stringValue: String?) {
            self.dataType = dataType
            self.stringValue = stringValue
        }
    }

    public let scope: Scope
    let root: ObjectMatcher

    public init(json: String, scope: Scope) throws(PatternError) {
        self.scope = scope
        root = try PatternCompiler.compile(json, dialect: .sns)
        try FilterPolicyLimits.check(root, scope: scope)
    }

    /// Attribute scope: each policy key names a message attribute.
    public func matches(attributes: [String: Attribute]) -> Bool {
        Self.matches(root, attributes)
    }

    private static func matches(_ m: ObjectMatcher, _ attributes: [String: Attribute]) -> Bool {
        for f in m.fields {
            guard let tests = f.tests else { return false }
            if !FieldMatcher.leafMatches(tests, attributeValue(attributes[f.key]), absentMatches: f.matchesAbsent) {
                return false
            }
        }
        for group in m.alternatives where !group.contains(where: { matches($0, attributes) }) { return false }
        return true
    }

    /// An attribute as the leaf value(s) the policy tests: a String is a string, a Number a
    /// number, a String.Array its elements; Binary attributes are not considered by policies.
    static func attributeValue(_ a: Attribute?) -> Value? {
        guard let a, let text = a.stringValue else { return nil }
        // Custom types extend a base type after a dot ("Number.float", "String.uuid").
        let base = a.dataType.split(separator: ".", maxSplits: 1).first.map(String.init) ?? a.dataType
        switch base {
        case "String":
            if a.dataType == "String.Array" {
                guard case .list(let items)? = try? JSONReader.parse(Array(text.utf8)) else { return nil }
                return .list(items)
            }
            return .string(text)
        case "Number":
            if let i = Int64(text) { return .integer(i) }
            if let d = Double(text), d.isFinite { return .double(d) }
            return .string(text)
        default:
            return nil
        }
    }

    /// Body scope: the message must be a JSON object; policy keys follow its nesting.
    public func matches(body: String) -> Bool {
        guard let v = try? JSONReader.parse(Array(body.utf8)) else { return false }
        return matches(bodyValue: v)
    }

    /// Body scope with the message already parsed (a caller fanning out to many subscriptions
    /// parses once).
    public func matches(bodyValue: Value) -> Bool {
        guard case .object = bodyValue else { return false }
        return root.matches(bodyValue)
    }
}
