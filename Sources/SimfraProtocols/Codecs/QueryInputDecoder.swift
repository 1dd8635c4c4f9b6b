import SimfraCore
import SimfraModels

/// Turns flat awsQuery / ec2Query parameters (`Attribute.1.Name=…`) into a typed `Value`.
///
/// awsQuery names members by `locationName` (else the member name) and nests lists as
/// `Name.member.N` unless flattened; ec2Query uses `queryName`, else the capitalised
/// `locationName`, and every list is flattened (`Name.N`).
package struct QueryInputDecoder {
    let model: ServiceModel
    let ec2: Bool
    let params: [String: String]
    /// Every key and every dotted prefix of a key, to probe list indices in O(1).
    let prefixes: Set<String>

    package init(model: ServiceModel, ec2: Bool, params pairs: [(String, String)]) {
        self.model = model
        self.ec2 = ec2
        var p: [String: String] = [:]
        var pre = Set<String>()
        for (k, v) in pairs {
            p[k] = v
            var idx = k.startIndex
            while let dot = k[idx...].firstIndex(of: ".") {
                pre.insert(String(k[..<dot]))
                idx = k.index(after: dot)
            }
            pre.insert(k)
        }
        params = p
        prefixes = pre
    }

    package func decode(_ shape: Shape) throws(InputFailure) -> Value {
        try structure(shape, prefix: "", depth: 0)
    }

    private func name(of m: Member) -> String {
        if ec2 {
            if let q = m.queryName { return q }
            let n = m.locationName ?? m.name
            return n.prefix(1).uppercased() + n.dropFirst()
        }
        return m.locationName ?? m.name
    }

    private func join(_ prefix: String, _ name: String) -> String {
        prefix.isEmpty ? name : "\(prefix).\(name)"
    }

    private func structure(_ shape: Shape, prefix: String, depth: Int) throws(InputFailure) -> Value {
        var out: [String: Value] = [:]
        for m in shape.members {
            let key = join(prefix, name(of: m))
            guard prefixes.contains(key), let ms = model.shape(m.target) else { continue }
            if let v = try value(ms, member: m, key: key, depth: depth + 1) { out[m.name] = v }
        }
        return .object(out)
    }

    private func value(_ shape: Shape, member: Member?, key: String, depth: Int) throws(InputFailure) -> Value? {
        guard depth < 64 else { throw InputFailure(.type("Input nested too deeply")) }
        switch shape.kind {
        case .structure, .union:
            return try structure(shape, prefix: key, depth: depth)
        case .list:
            // `Name=` (empty) is how query clients send an empty list.
            if let v = params[key], v.isEmpty { return .list([]) }
            guard let m = shape.member, let ms = model.shape(m.target) else { return nil }
            let flattened = ec2 || shape.flattened || (member?.flattened ?? false)
            let base = flattened ? key : join(key, m.locationName ?? "member")
            var out: [Value] = []
            var i = 1
            while prefixes.contains("\(base).\(i)") {
                if let v = try value(ms, member: m, key: "\(base).\(i)", depth: depth + 1) { out.append(v) }
                i += 1
            }
            return .list(out)
        case .map:
            guard let km = shape.key, let vm = shape.value, let vs = model.shape(vm.target) else { return nil }
            let flattened = shape.flattened || (member?.flattened ?? false)
            let base = flattened ? key : join(key, "entry")
            var out: [String: Value] = [:]
            var i = 1
            while prefixes.contains("\(base).\(i)") {
                let entry = "\(base).\(i)"
                if let k = params[join(entry, km.locationName ?? "key")],
                    let v = try value(vs, member: vm, key: join(entry, vm.locationName ?? "value"), depth: depth + 1)
                {
                    out[k] = v
                }
                i += 1
            }
            return .object(out)
        default:
            guard let raw = params[key] else { return nil }
            return try scalar(raw, shape, format: member?.timestampFormat, key: key)
        }
    }

    private func scalar(_ raw: String, _ shape: Shape, format: String?, key: String) throws(InputFailure) -> Value {
        switch shape.kind {
        case .string, .bigdecimal, .biginteger: return .string(raw)
        case .boolean:
            if raw == "true" { return .bool(true) }
            if raw == "false" { return .bool(false) }
        case .integer, .long, .short, .byte:
            if let i = Int64(raw) { return .integer(i) }
        case .float, .double:
            if let d = Double(raw) { return .double(d) }
        case .timestamp:
            if let t = Timestamp.parse(raw) { return .timestamp(t) }
        case .blob:
            if let b = Base64.decode(raw) { return .blob(b) }
        default:
            return .string(raw)
        }
        throw InputFailure(.constraint("Value '\(raw)' for parameter \(key) is invalid"))
    }
}
