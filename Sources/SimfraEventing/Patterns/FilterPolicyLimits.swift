/// SNS's limits on a filter policy, checked after it compiles (AWS words these without a parser
/// location): attribute policies are flat, at most 5 top-level keys, at most 150 combinations.
enum FilterPolicyLimits {
    static let maxKeys = 5
    static let maxCombinations = 150

    static func check(_ root: ObjectMatcher, scope: FilterPolicy.Scope) throws(PatternError) {
        if scope == .messageAttributes && isNested(root) {
            throw PatternError(
                reason: "Filter policy scope MessageAttributes does not support nested filter policy",
                outsideFilterPolicyNamespace: true)
        }
        // Only top-level keys count, and an `$or` counts as one.
        if root.fields.count + root.alternatives.count > maxKeys {
            throw PatternError(reason: "Filter policy can not have more than \(maxKeys) keys")
        }
        if combinations(root, depth: 1) > maxCombinations {
            throw PatternError(reason: "Filter policy is too complex")
        }
    }

    private static func isNested(_ m: ObjectMatcher) -> Bool {
        m.fields.contains { $0.child != nil } || m.alternatives.contains { $0.contains(where: isNested) }
    }

    /// AWS's documented measure: the product over value arrays of (number of values × the
    /// depth of the key), where `$or` adds up its alternatives. Saturates instead of overflowing.
    static func combinations(_ m: ObjectMatcher, depth: Int) -> Int {
        var total = 1
        for f in m.fields {
            if let tests = f.tests { total = mul(total, mul(tests.count, depth)) }
            if let child = f.child { total = mul(total, combinations(child, depth: depth + 1)) }
        }
        for group in m.alternatives {
            var sum = 0
            for alt in group { sum = min(Int.max / 2, sum + combinations(alt, depth: depth)) }
            total = mul(total, sum)
        }
        return total
    }

    private static func mul(_ a: Int, _ b: Int) -> Int {
        let (r, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max / 2 : r
    }
}
