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
    /// Every key, sorted by bytes: "is `p` a key or a dotted prefix of one" is a binary search
    /// for `p.`, so nothing is built per dotted prefix. (A set of every prefix cost time and
    /// memory quadratic in a key's length: one 40 KB key of 20,000 parts took seconds.)
    let sortedKeys: [[UInt8]]

    package init(model: ServiceModel, ec2: Bool, params pairs: [(String, String)]) {
        self.model = model
        self.ec2 = ec2
        var p: [String: String] = [:]
        p.reserveCapacity(pairs.count)
        for (k, v) in pairs { p[k] = v }
        params = p
        sortedKeys = p.keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Whether `key` was sent, or some sent key starts with `key.`.
    func present(_ key: String) -> Bool {
        if params[key] != nil { return true }
        var probe = Array(key.utf8)
        probe.append(0x2E)
        var lo = 0, hi = sortedKeys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sortedKeys[mid].lexicographicallyPrecedes(probe) { lo = mid + 1 } else { hi = mid }
        }
        return lo < sortedKeys.count && sortedKeys[lo].starts(with: probe)
    }

    package func decode(_ shape: Shape) throws(InputFailure) -> Value {
        try structure(shape, prefix: "", depth: 0)
    }

    /// Wire names a member may arrive under: awsQuery-era names first (SQS's
    /// `Attribute.1.Name`), then the current model's.
    private func names(of m: Member) -> [String] {
        if ec2 {
            if let q = m.queryName { return [q] }
            let n = m.locationName ?? m.name
            return [n.prefix(1).uppercased() + n.dropFirst()]
        }
        let current = m.locationName ?? m.name
        if let legacy = m.query?.locationName, legacy != current { return [legacy, current] }
        return [current]
    }

    private func join(_ prefix: String, _ name: String) -> String {
        prefix.isEmpty ? name : "\(prefix).\(name)"
    }

    private func isFlattened(_ shape: Shape, _ member: Member?) -> Bool {
        ec2 || shape.flattened || (member?.flattened ?? false) || (shape.query?.flattened ?? false)
            || (member?.query?.flattened ?? false)
    }

    /// Where a member's entries start. A flattened list whose element is named takes that
    /// name in place of the member's (`Entries` -> `SendMessageBatchRequestEntry.1.Id`), as
    /// botocore's query serializer does.
    private func bases(_ m: Member, _ ms: Shape, prefix: String) -> [String] {
        var out = names(of: m).map { join(prefix, $0) }
        if !ec2, ms.kind == .list, isFlattened(ms, m) {
            for elementName in [ms.member?.query?.locationName, ms.member?.locationName].compactMap({ $0 }) {
                out.insert(join(prefix, elementName), at: 0)
            }
        }
        return out
    }

    private func structure(_ shape: Shape, prefix: String, depth: Int) throws(InputFailure) -> Value {
        var out: [String: Value] = [:]
        for m in shape.members {
            guard let ms = model.shape(m) else { continue }
            for key in bases(m, ms, prefix: prefix) where present(key) {
                if let v = try value(ms, member: m, key: key, depth: depth + 1) { out[m.name] = v }
                break
            }
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
            guard let m = shape.member, let ms = model.shape(m) else { return nil }
            var base = key
            if !isFlattened(shape, member) {
                base = [m.query?.locationName, m.locationName, "member"].compactMap { $0 }
                    .map { join(key, $0) }.first { present("\($0).1") } ?? join(key, "member")
            }
            var out: [Value] = []
            var i = 1
            while present("\(base).\(i)") {
                if let v = try value(ms, member: m, key: "\(base).\(i)", depth: depth + 1) { out.append(v) }
                i += 1
            }
            return .list(out)
        case .map:
            guard let km = shape.key, let vm = shape.value, let vs = model.shape(vm) else { return nil }
            let base = isFlattened(shape, member) ? key : join(key, "entry")
            let keyNames = [km.query?.locationName, km.locationName, "key"].compactMap { $0 }
            let valueNames = [vm.query?.locationName, vm.locationName, "value"].compactMap { $0 }
            var out: [String: Value] = [:]
            var i = 1
            while present("\(base).\(i)") {
                let entry = "\(base).\(i)"
                if let k = keyNames.lazy.compactMap({ self.params[self.join(entry, $0)] }).first,
                    let vk = valueNames.lazy.map({ self.join(entry, $0) }).first(where: { self.present($0) }),
                    let v = try value(vs, member: vm, key: vk, depth: depth + 1)
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
