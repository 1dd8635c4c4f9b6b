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
        try Self.checkJSON(json)
        root = try PatternCompiler.compile(json, dialect: .sns, splitDottedKeys: scope == .messageBody)
        try FilterPolicyLimits.check(root, scope: scope)
    }

    /// SNS reads the policy as JSON before compiling it, with a newer parser whose errors are
    /// "failed to parse JSON. …" and do not quote the source. Content after the first value is
    /// not read.
    static func checkJSON(_ json: String) throws(PatternError) {
        var t = PatternTokenizer(json, redacted: true)
        var depth = 0
        do throws(PatternError) {
            repeat {
                switch try t.next() {
                case .string: _ = try t.text()
                case .startObject, .startArray: depth += 1
                case .endObject, .endArray: depth -= 1
                case .end: return
                default: break
                }
            } while depth > 0
        } catch {
            throw PatternError(reason: "failed to parse JSON. " + error.reason)
        }
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
    /// number, a String.Array (and, in AWS's examples, a Number.Array) its JSON elements;
    /// AWS ignores Binary attributes, so they are absent for the policy.
    static func attributeValue(_ a: Attribute?) -> Value? {
        guard let a, let text = a.stringValue else { return nil }
        if a.dataType == "String.Array" || a.dataType == "Number.Array" {
            guard case .list(let items)? = try? JSONReader.parse(Array(text.utf8)) else { return nil }
            return .list(items)
        }
        // Custom types extend a base type after a dot ("Number.float", "String.uuid").
        let base = a.dataType.split(separator: ".", maxSplits: 1).first.map(String.init) ?? a.dataType
        switch base {
        case "String":
            return .string(text)
        case "Number":
            if let i = Int64(text) { return .integer(i) }
            if case let n? = try? JSONReader.parse(Array(text.utf8)), ValueTest.number(n) != nil { return n }
            return nil
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
