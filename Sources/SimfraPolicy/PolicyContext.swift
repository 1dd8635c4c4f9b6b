/// The condition keys of one request (`aws:SourceIp`, `s3:prefix`, `aws:PrincipalTag/team`, …),
/// each with one or more values. Key names are case-insensitive in AWS, so they are folded once
/// here; values keep their case (`StringEquals` is case-sensitive on values).
package struct PolicyContext: Sendable {
    package private(set) var values: [String: [String]]

    package init(_ keys: [String: [String]] = [:]) {
        var v: [String: [String]] = [:]
        v.reserveCapacity(keys.count)
        for (k, vals) in keys { v[k.lowercased(), default: []] += vals }
        values = v
    }

    /// `key` must already be lower-cased (compiled policies fold their keys at parse time).
    package subscript(lowercasedKey key: String) -> [String]? { values[key] }

    package mutating func set(_ key: String, _ vals: [String]) { values[key.lowercased()] = vals }

    /// A policy variable's value: only single-valued keys can be substituted.
    package func singleValue(_ lowercasedKey: String) -> String? {
        guard let v = values[lowercasedKey], v.count == 1 else { return nil }
        return v[0]
    }
}
