import SimfraCore
import SimfraModels

/// Shape-directed conversion of a parsed XML body into a typed `Value` (restXml input).
package struct XMLShapeReader {
    let model: ServiceModel

    package init(model: ServiceModel) { self.model = model }

    package func structure(_ e: XMLElement, _ shape: Shape, depth: Int = 0) throws(InputFailure) -> Value {
        guard depth < 64 else { throw InputFailure(.type("XML nested too deeply")) }
        var out: [String: Value] = [:]
        for m in shape.members where m.location == .body {
            guard let ms = model.shape(m) else { continue }
            let name = m.locationName ?? m.name
            if m.xmlAttribute {
                if let a = e.attributes[name] { out[m.name] = try scalar(a, ms, m) }
                continue
            }
            if ms.kind == .list && (m.flattened || ms.flattened) {
                let items = e.children(name)
                if items.isEmpty { continue }
                var l: [Value] = []
                for c in items { l.append(try value(c, ms.member.flatMap { model.shape($0) }, ms.member, depth: depth + 1)) }
                out[m.name] = .list(l)
                continue
            }
            guard let c = e.child(name) else { continue }
            out[m.name] = try value(c, ms, m, depth: depth + 1)
        }
        return .object(out)
    }

    private func value(_ e: XMLElement, _ shape: Shape?, _ ref: Member?, depth: Int) throws(InputFailure) -> Value {
        guard let shape else { return .string(e.text) }
        switch shape.kind {
        case .structure, .union:
            return try structure(e, shape, depth: depth + 1)
        case .list:
            let em = shape.member
            let es = em.flatMap { model.shape($0) }
            let name = em?.locationName ?? "member"
            var l: [Value] = []
            for c in e.children(name) { l.append(try value(c, es, em, depth: depth + 1)) }
            return .list(l)
        case .map:
            let kn = shape.key?.locationName ?? "key"
            let vn = shape.value?.locationName ?? "value"
            let vs = shape.value.flatMap { model.shape($0) }
            var o: [String: Value] = [:]
            for entry in e.children("entry") {
                guard let k = entry.child(kn)?.text, let v = entry.child(vn) else { continue }
                o[k] = try value(v, vs, shape.value, depth: depth + 1)
            }
            return .object(o)
        default:
            return try scalar(e.text, shape, ref)
        }
    }

    package func scalar(_ text: String, _ shape: Shape, _ ref: Member?) throws(InputFailure) -> Value {
        switch shape.kind {
        case .string, .bigdecimal, .biginteger: return .string(text)
        case .boolean:
            let t = text.trimmingCharacters(in: " ")
            if t == "true" { return .bool(true) }
            if t == "false" { return .bool(false) }
        case .integer, .long, .short, .byte:
            if let i = Int64(text.trimmingCharacters(in: " ")) { return .integer(i) }
        case .float, .double:
            if let d = Double(text.trimmingCharacters(in: " ")) { return .double(d) }
        case .timestamp:
            if let t = Timestamp.parse(String(text.trimmingCharacters(in: " "))) { return .timestamp(t) }
        case .blob:
            if let b = Base64.decode(text) { return .blob(b) }
        default:
            return .string(text)
        }
        throw InputFailure(.type("Value '\(text)' is not a valid \(shape.kind.rawValue)"))
    }
}
