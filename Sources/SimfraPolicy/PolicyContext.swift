/// The condition keys of one request (`aws:SourceIp`, `s3:prefix`, `aws:PrincipalTag/team`, …),
/// each with one or more values. Key names are case-insensitive in AWS, so they are folded once
/// here; values keep their case (`StringEquals` is case-sensitive on values).
package struct PolicyContext: Sendable {
    package private(set) var values: [String: [String]]
    /// The caller's global keys (`aws:PrincipalArn`, `aws:CurrentTime`, …), worked out only
    /// when a condition or policy variable asks for one: most statements never do, and
    /// building them all on every request cost more than evaluating ten policies.
    var facts: GlobalFacts?

    package init(_ keys: [String: [String]] = [:]) {
        var v: [String: [String]] = [:]
        v.reserveCapacity(keys.count)
        for (k, vals) in keys { v[k.lowercased(), default: []] += vals }
        values = v
    }

    /// `key` must already be lower-cased (compiled policies fold their keys at parse time).
    package subscript(lowercasedKey key: String) -> [String]? {
        if let v = values[key] { return v }
        return facts?.value(key)
    }

    package mutating func set(_ key: String, _ vals: [String]) { values[key.lowercased()] = vals }

    /// A policy variable's value: only single-valued keys can be substituted.
    package func singleValue(_ lowercasedKey: String) -> String? {
        guard let v = self[lowercasedKey: lowercasedKey], v.count == 1 else { return nil }
        return v[0]
    }
}
