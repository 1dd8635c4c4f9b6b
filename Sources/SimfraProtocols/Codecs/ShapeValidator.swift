import SimfraCore
import SimfraModels

/// Checks a decoded input against the model's constraints: required members, enums,
/// lengths and ranges. Messages follow AWS's validation wording.
package struct ShapeValidator {
    let model: ServiceModel
    var problems: [InputProblem] = []

    package static func validate(_ value: Value, shape: Shape, model: ServiceModel) -> [InputProblem] {
        var v = ShapeValidator(model: model)
        v.walk(value, shape, path: "", depth: 0)
        return v.problems
    }

    private static func lowerFirst(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.lowercased() + s.dropFirst()
    }

    private func memberPath(_ path: String, _ name: String) -> String {
        path.isEmpty ? Self.lowerFirst(name) : "\(path).\(Self.lowerFirst(name))"
    }

    /// False for shapes no value can violate (unconstrained strings, blobs, numbers, and
    /// booleans, timestamps), which are then not walked at all.
    private static func mayConstrain(_ shape: Shape) -> Bool {
        switch shape.kind {
        case .structure, .union, .list, .map: return true
        case .string: return shape.enumValues != nil || shape.min != nil || shape.max != nil
        case .blob, .integer, .long, .float, .double, .short, .byte: return shape.min != nil || shape.max != nil
        default: return false
        }
    }

    private mutating func walk(_ value: Value, _ shape: Shape, path: String, depth: Int) {
        guard depth < 64 else { return }
        switch shape.kind {
        case .structure, .union:
            guard case .object(let o) = value else { return }
            // An S3 request names a handful of its shape's ~40 members: check those and the
            // required ones. Only when that finds a problem is the walk redone in member order,
            // so that messages list problems as AWS does.
            if o.count * 2 < shape.members.count {
                let before = problems.count
                var clean = true
                for r in shape.required where o[r]?.isNull ?? true {
                    clean = false
                    break
                }
                if clean {
                    for (name, mv) in o where !mv.isNull {
                        guard let m = shape.member(named: name), let ms = model.shape(m), Self.mayConstrain(ms)
                        else { continue }
                        walk(mv, ms, path: memberPath(path, m.name), depth: depth + 1)
                    }
                    if problems.count == before { return }
                    problems.removeSubrange(before...)
                }
            }
            // Paths are built only for members present or missing-and-required.
            for m in shape.members {
                guard let mv = o[m.name], !mv.isNull else {
                    if shape.required.contains(m.name) && m.location != .statusCode {
                        problems.append(.missing(path: memberPath(path, m.name), member: m.name))
                    }
                    continue
                }
                if let ms = model.shape(m), Self.mayConstrain(ms) {
                    walk(mv, ms, path: memberPath(path, m.name), depth: depth + 1)
                }
            }
        case .list:
            guard case .list(let l) = value else { return }
            checkLength(l.count, shape, value: value, path: path)
            if let m = shape.member, let ms = model.shape(m) {
                for (i, e) in l.enumerated() { walk(e, ms, path: "\(path).\(i + 1).member", depth: depth + 1) }
            }
        case .map:
            guard case .object(let o) = value else { return }
            checkLength(o.count, shape, value: value, path: path)
            if let vm = shape.value, let vs = model.shape(vm) {
                for (k, e) in o { walk(e, vs, path: "\(path).\(k)", depth: depth + 1) }
            }
            if let km = shape.key, let ks = model.shape(km) {
                for k in o.keys { walk(.string(k), ks, path: path, depth: depth + 1) }
            }
        case .string:
            guard case .string(let s) = value else { return }
            if let e = shape.enumValues, !e.contains(s) {
                problems.append(.constraint(
                    "Value '\(s)' at '\(path)' failed to satisfy constraint: Member must satisfy enum value set: [\(e.sorted().joined(separator: ", "))]"))
            }
            checkLength(s.count, shape, value: value, path: path)
        case .blob:
            if case .blob(let b) = value { checkLength(b.count, shape, value: value, path: path) }
        case .integer, .long, .float, .double, .short, .byte:
            guard let d = value.doubleValue else { return }
            let shown = value.intValue.map(String.init) ?? String(d)
            if let mn = shape.min, d < mn {
                problems.append(.constraint(
                    "Value '\(shown)' at '\(path)' failed to satisfy constraint: Member must have value greater than or equal to \(Self.num(mn))"))
            }
            if let mx = shape.max, d > mx {
                problems.append(.constraint(
                    "Value '\(shown)' at '\(path)' failed to satisfy constraint: Member must have value less than or equal to \(Self.num(mx))"))
            }
        default:
            break
        }
    }

    private mutating func checkLength(_ n: Int, _ shape: Shape, value: Value, path: String) {
        if let mn = shape.min, Double(n) < mn {
            problems.append(.constraint(
                "Value '\(Self.show(value))' at '\(path)' failed to satisfy constraint: Member must have length greater than or equal to \(Self.num(mn))"))
        }
        if let mx = shape.max, Double(n) > mx {
            problems.append(.constraint(
                "Value '\(Self.show(value))' at '\(path)' failed to satisfy constraint: Member must have length less than or equal to \(Self.num(mx))"))
        }
    }

    private static func num(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e18 ? String(Int64(d)) : String(d)
    }

    private static func show(_ v: Value) -> String {
        switch v {
        case .string(let s): return s.count > 64 ? String(s.prefix(64)) + "…" : s
        case .list(let l): return "[\(l.count) items]"
        case .object(let o): return "{\(o.count) entries}"
        case .blob(let b): return "<\(b.count) bytes>"
        default: return "\(v)"
        }
    }
}
