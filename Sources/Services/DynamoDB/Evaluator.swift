import SimfraCore

/// Evaluates parsed expressions against items.
enum Evaluator {
    static func resolve(_ item: Item, _ path: DocPath) -> AV? {
        guard case .name(let first) = path.first, var cur = item[first] else { return nil }
        for e in path.dropFirst() {
            switch (e, cur) {
            case (.name(let n), .m(let m)):
                guard let v = m[n] else { return nil }
                cur = v
            case (.index(let i), .l(let l)):
                guard i < l.count else { return nil }
                cur = l[i]
            default:
                return nil
            }
        }
        return cur
    }

    static func operand(_ o: Operand, _ item: Item) throws -> AV? {
        switch o {
        case .path(let p): return resolve(item, p)
        case .value(let v, _): return v
        case .size(let p):
            guard let v = resolve(item, p) else { return nil }
            let n: Int
            switch v {
            case .s(let s): n = s.utf8.count
            case .b(let b): n = b.count
            case .ss(let x): n = x.count
            case .ns(let x): n = x.count
            case .bs(let x): n = x.count
            case .m(let x): n = x.count
            case .l(let x): n = x.count
            default:
                throw DDBError.validation("Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: \(v.typeName)")
            }
            return .n(DDBNumber.parse(String(n))!)
        case .ifNotExists(let p, let d):
            if let v = resolve(item, p) { return v }
            return try operand(d, item)
        case .listAppend(let a, let b):
            guard let x = try operand(a, item), let y = try operand(b, item) else { throw missingOperand() }
            guard case .l(let l1) = x, case .l(let l2) = y else {
                throw DDBError.validation("An operand in the update expression has an incorrect data type")
            }
            return .l(l1 + l2)
        case .plus(let a, let b), .minus(let a, let b):
            guard let x = try operand(a, item), let y = try operand(b, item) else { throw missingOperand() }
            guard case .n(let n1) = x, case .n(let n2) = y else {
                throw DDBError.validation("An operand in the update expression has an incorrect data type")
            }
            let r: DDBNumber
            if case .plus = o { r = n1 + n2 } else { r = n1 - n2 }
            try r.checkLimits()
            return .n(r)
        }
    }

    static func missingOperand() -> AWSError {
        DDBError.validation("The provided expression refers to an attribute that does not exist in the item")
    }

    static func evaluate(_ c: Condition, _ item: Item) throws -> Bool {
        switch c {
        case .and(let a, let b): return try evaluate(a, item) && evaluate(b, item)
        case .or(let a, let b): return try evaluate(a, item) || evaluate(b, item)
        case .not(let a): return try !evaluate(a, item)
        case .exists(let p): return resolve(item, p) != nil
        case .notExists(let p): return resolve(item, p) == nil
        case .attributeType(let p, let t):
            guard let v = resolve(item, p), case .s(let name)? = try operand(t, item) else { return false }
            return v.typeName == name
        case .beginsWith(let a, let b):
            guard let x = try operand(a, item), let y = try operand(b, item) else { return false }
            switch (x, y) {
            case (.s(let s), .s(let prefix)): return s.utf8.starts(with: prefix.utf8)
            case (.b(let s), .b(let prefix)): return s.starts(with: prefix)
            default: return false
            }
        case .contains(let a, let b):
            guard let x = try operand(a, item), let y = try operand(b, item) else { return false }
            switch (x, y) {
            case (.s(let s), .s(let sub)):
                return sub.isEmpty || s.utf8.count >= sub.utf8.count && containsBytes(Array(s.utf8), Array(sub.utf8))
            case (.b(let s), .b(let sub)): return containsBytes(s, sub)
            case (.ss(let set), .s(let e)): return set.contains(e)
            case (.ns(let set), .n(let e)): return set.contains(e)
            case (.bs(let set), .b(let e)): return set.contains(e)
            case (.l(let l), _): return l.contains(y)
            default: return false
            }
        case .compare(let a, let op, let b):
            let x = try operand(a, item), y = try operand(b, item)
            guard let x, let y else { return op == "<>" && (x != nil || y != nil) }
            switch op {
            case "=": return x == y
            case "<>": return x != y
            default:
                guard let c = compareAV(x, y) else { return false }
                switch op {
                case "<": return c < 0
                case "<=": return c <= 0
                case ">": return c > 0
                default: return c >= 0
                }
            }
        case .between(let a, let lo, let hi):
            guard let x = try operand(a, item), let l = try operand(lo, item), let h = try operand(hi, item),
                let c1 = compareAV(x, l), let c2 = compareAV(x, h)
            else { return false }
            return c1 >= 0 && c2 <= 0
        case .inList(let a, let list):
            guard let x = try operand(a, item) else { return false }
            for o in list where try operand(o, item) == x { return true }
            return false
        }
    }

    static func containsBytes(_ s: [UInt8], _ sub: [UInt8]) -> Bool {
        if sub.isEmpty { return true }
        if sub.count > s.count { return false }
        for i in 0...(s.count - sub.count) where s[i] == sub[0] {
            if Array(s[i..<(i + sub.count)]) == sub { return true }
        }
        return false
    }

    // MARK: update

    static func invalidPath() -> AWSError {
        DDBError.validation("The document path provided in the update expression is invalid for update")
    }

    /// Applies update actions; operands are evaluated against the item as it was before.
    static func applyUpdate(_ actions: [UpdateAction], to old: Item) throws -> Item {
        var item = old
        for a in actions {
            switch a.kind {
            case .set:
                guard let v = try operand(a.operand!, old) else { throw missingOperand() }
                try set(&item, a.path, v)
            case .remove:
                remove(&item, a.path)
            case .add:
                guard case .value(let v, _) = a.operand! else { continue }
                guard let cur = resolve(item, a.path) else {
                    try set(&item, a.path, v)
                    continue
                }
                let r: AV
                switch (cur, v) {
                case (.n(let x), .n(let y)):
                    let s = x + y
                    try s.checkLimits()
                    r = .n(s)
                case (.ss(let x), .ss(let y)): r = .ss(x + y.filter { !x.contains($0) })
                case (.ns(let x), .ns(let y)): r = .ns(x + y.filter { !x.contains($0) })
                case (.bs(let x), .bs(let y)): r = .bs(x + y.filter { !x.contains($0) })
                default:
                    throw DDBError.validation("An operand in the update expression has an incorrect data type")
                }
                try set(&item, a.path, r)
            case .delete:
                guard case .value(let v, _) = a.operand!, let cur = resolve(item, a.path) else { continue }
                let r: AV?
                switch (cur, v) {
                case (.ss(let x), .ss(let y)): let n = x.filter { !y.contains($0) }; r = n.isEmpty ? nil : .ss(n)
                case (.ns(let x), .ns(let y)): let n = x.filter { !y.contains($0) }; r = n.isEmpty ? nil : .ns(n)
                case (.bs(let x), .bs(let y)): let n = x.filter { !y.contains($0) }; r = n.isEmpty ? nil : .bs(n)
                default:
                    throw DDBError.validation("An operand in the update expression has an incorrect data type")
                }
                if let r { try set(&item, a.path, r) } else { remove(&item, a.path) }
            }
        }
        try ItemCodec.checkNesting(item)
        return item
    }

    static func set(_ item: inout Item, _ path: DocPath, _ v: AV) throws {
        guard case .name(let first) = path[0] else { throw invalidPath() }
        if path.count == 1 {
            item[first] = v
            return
        }
        guard let cur = item[first] else { throw invalidPath() }
        item[first] = try setIn(cur, path.dropFirst(), v)
    }

    private static func setIn(_ cur: AV, _ path: ArraySlice<PathElem>, _ v: AV) throws -> AV {
        let e = path.first!
        let rest = path.dropFirst()
        switch (e, cur) {
        case (.name(let n), .m(var m)):
            if rest.isEmpty {
                m[n] = v
            } else {
                guard let c = m[n] else { throw invalidPath() }
                m[n] = try setIn(c, rest, v)
            }
            return .m(m)
        case (.index(let i), .l(var l)):
            if rest.isEmpty {
                if i < l.count { l[i] = v } else { l.append(v) }
            } else {
                guard i < l.count else { throw invalidPath() }
                l[i] = try setIn(l[i], rest, v)
            }
            return .l(l)
        default:
            throw invalidPath()
        }
    }

    static func remove(_ item: inout Item, _ path: DocPath) {
        guard case .name(let first) = path[0] else { return }
        if path.count == 1 {
            item[first] = nil
            return
        }
        guard let cur = item[first] else { return }
        item[first] = removeIn(cur, path.dropFirst())
    }

    private static func removeIn(_ cur: AV, _ path: ArraySlice<PathElem>) -> AV {
        let e = path.first!
        let rest = path.dropFirst()
        switch (e, cur) {
        case (.name(let n), .m(var m)):
            if rest.isEmpty { m[n] = nil } else if let c = m[n] { m[n] = removeIn(c, rest) }
            return .m(m)
        case (.index(let i), .l(var l)):
            guard i < l.count else { return cur }
            if rest.isEmpty { l.remove(at: i) } else { l[i] = removeIn(l[i], rest) }
            return .l(l)
        default:
            return cur
        }
    }

    // MARK: projection

    static func project(_ item: Item, _ paths: [DocPath]) -> Item {
        var out: Item = [:]
        for p in paths {
            guard case .name(let first) = p[0], let v = item[first] else { continue }
            if p.count == 1 {
                out[first] = v
                continue
            }
            guard let sub = projectIn(v, p.dropFirst()) else { continue }
            out[first] = merge(out[first], sub)
        }
        return out
    }

    /// The part of `v` selected by `path`; lists keep the selected elements in order.
    private static func projectIn(_ v: AV, _ path: ArraySlice<PathElem>) -> AV? {
        guard let e = path.first else { return v }
        switch (e, v) {
        case (.name(let n), .m(let m)):
            guard let c = m[n], let sub = projectIn(c, path.dropFirst()) else { return nil }
            return .m([n: sub])
        case (.index(let i), .l(let l)):
            guard i < l.count, let sub = projectIn(l[i], path.dropFirst()) else { return nil }
            return .l([sub])
        default:
            return nil
        }
    }

    private static func merge(_ a: AV?, _ b: AV) -> AV {
        guard let a else { return b }
        switch (a, b) {
        case (.m(var x), .m(let y)):
            for (k, v) in y { x[k] = merge(x[k], v) }
            return .m(x)
        case (.l(let x), .l(let y)): return .l(x + y)
        default: return b
        }
    }
}
