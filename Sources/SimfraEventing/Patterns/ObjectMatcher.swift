import SimfraCore

/// A compiled pattern object: every field must match, and for every `$or` one alternative must.
///
/// Patterns are matched by walking the event alongside the pattern, never by flattening it:
/// where the event has an array of objects, one element has to satisfy the whole sub-pattern
/// (AWS does not combine fields taken from different elements of the same array).
struct ObjectMatcher: Sendable {
    var fields: [FieldMatcher] = []
    var alternatives: [[ObjectMatcher]] = []

    /// Matches the event value found where this object sits in the pattern (nil when absent).
    func matches(_ v: Value?) -> Bool {
        guard case .list(let items)? = v else { return matches(object: v?.objectValue) }
        var sawObject = false
        var found = false
        Self.forEachObject(in: items) { o in
            sawObject = true
            if matches(object: o) { found = true; return false }
            return true
        }
        if found { return true }
        // An array without objects has nothing at this path: the fields are absent.
        return !sawObject && matches(object: nil)
    }

    /// Visits objects in a (possibly nested) array until `body` returns false.
    @discardableResult
    private static func forEachObject(in items: [Value], _ body: ([String: Value]) -> Bool) -> Bool {
        for item in items {
            switch item {
            case .object(let o): if !body(o) { return false }
            case .list(let inner): if !forEachObject(in: inner, body) { return false }
            default: continue
            }
        }
        return true
    }

    func matches(object o: [String: Value]?) -> Bool {
        for f in fields where !f.matches(Self.lookup(o, f.key)) { return false }
        for group in alternatives where !group.contains(where: { $0.matches(object: o) }) { return false }
        return true
    }
}

extension ObjectMatcher {
    /// The event's value under `key`. AWS joins nested keys with "." before matching, so an
    /// event key "state.status" is the field `status` inside `state`: when `key` itself is
    /// absent, event keys that start with "key." are gathered into the object they denote.
    static func lookup(_ o: [String: Value]?, _ key: String) -> Value? {
        guard let o else { return nil }
        if let v = o[key] { return v }
        let k = key.utf8
        var nested: [String: Value]?
        for (name, v) in o {
            let n = name.utf8
            guard n.count > k.count, n.starts(with: k) else { continue }
            let dot = n.index(n.startIndex, offsetBy: k.count)
            guard n[dot] == UInt8(ascii: ".") else { continue }
            let rest = String(name[n.index(after: dot)...])
            if nested == nil { nested = [:] }
            nested![rest] = v
        }
        return nested.map { .object($0) }
    }
}

/// One key of a pattern object: tests on its leaf values, a nested pattern, or (when the pattern
/// repeats the key) both.
struct FieldMatcher: Sendable {
    var key: String
    var tests: [ValueTest]?
    var child: ObjectMatcher?
    /// Precomputed: whether a missing field satisfies the tests (`{"exists": false}`).
    var matchesAbsent: Bool

    init(key: String, tests: [ValueTest]?, child: ObjectMatcher?) {
        self.key = key
        self.tests = tests
        self.child = child
        self.matchesAbsent = tests?.contains { if case .exists(false) = $0 { true } else { false } } ?? true
    }

    func matches(_ v: Value?) -> Bool {
        if let tests, !Self.leafMatches(tests, v, absentMatches: matchesAbsent) { return false }
        if let child, !child.matches(v) { return false }
        return true
    }

    /// Leaf values are the field's scalar values; arrays contribute each scalar element (at any
    /// depth), objects none. A field with no leaf value is absent for the tests.
    static func leafMatches(_ tests: [ValueTest], _ v: Value?, absentMatches: Bool) -> Bool {
        guard let v else { return absentMatches }
        switch v {
        case .object: return absentMatches
        case .list(let items):
            var present = false
            if anyLeaf(items, tests, &present) { return true }
            return !present && absentMatches
        default:
            return tests.contains { $0.matches(v) }
        }
    }

    private static func anyLeaf(_ items: [Value], _ tests: [ValueTest], _ present: inout Bool) -> Bool {
        for item in items {
            switch item {
            case .object: continue
            case .list(let inner): if anyLeaf(inner, tests, &present) { return true }
            default:
                present = true
                if tests.contains(where: { $0.matches(item) }) { return true }
            }
        }
        return false
    }
}
