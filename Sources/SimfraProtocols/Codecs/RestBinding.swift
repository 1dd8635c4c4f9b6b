import SimfraCore
import SimfraModels

/// HTTP bindings of the REST protocols: URI labels, query string, headers, status code and
/// payload members, in both directions.
package struct RestBinding {
    let model: ServiceModel
    let xml: Bool

    package init(model: ServiceModel, xml: Bool) {
        self.model = model
        self.xml = xml
    }

    // MARK: - Input

    package func decode(_ r: AWSRequest, _ shape: Shape, labels: [String: String]) throws(InputFailure) -> Value {
        var out: [String: Value] = [:]
        var query: [String: [String]]?
        func q() -> [String: [String]] {
            if let query { return query }
            var d: [String: [String]] = [:]
            for (k, v) in r.queryItems { d[k, default: []].append(v) }
            query = d
            return d
        }
        var hasBodyMembers = false
        for m in shape.members {
            let wire = m.locationName ?? m.name
            // Look the member's shape up only once the request carries it (S3 inputs have
            // dozens of optional header members).
            switch m.location {
            case .uri:
                if let v = labels[wire], let ms = model.shape(m) { out[m.name] = try text(v, ms, m, defaultFormat: .iso8601) }
            case .querystring:
                if r.rawQuery.isEmpty { continue }
                guard let ms = model.shape(m) else { continue }
                let all = q()
                if ms.kind == .map {
                    // A map bound to the query string takes every parameter not bound elsewhere.
                    let bound = Set(shape.members.filter { $0.location == .querystring && $0.name != m.name }
                        .map { $0.locationName ?? $0.name })
                    var o: [String: Value] = [:]
                    let listValues = model.shape(ms.value?.target ?? "")?.kind == .list
                    for (k, vs) in all where !bound.contains(k) {
                        o[k] = listValues ? .list(vs.map(Value.string)) : .string(vs[0])
                    }
                    if !o.isEmpty { out[m.name] = .object(o) }
                } else if let vs = all[wire] {
                    if ms.kind == .list, let es = ms.member.flatMap({ model.shape($0) }) {
                        var l: [Value] = []
                        for v in vs { l.append(try text(v, es, ms.member, defaultFormat: .iso8601)) }
                        out[m.name] = .list(l)
                    } else {
                        out[m.name] = try text(vs[0], ms, m, defaultFormat: .iso8601)
                    }
                }
            case .header:
                guard let v = r.header(m.headerKey), let ms = model.shape(m) else { continue }
                if ms.kind == .list, let es = ms.member.flatMap({ model.shape($0) }) {
                    var l: [Value] = []
                    for part in Self.splitHeaderList(v) { l.append(try text(part, es, ms.member, defaultFormat: .rfc822)) }
                    out[m.name] = .list(l)
                } else {
                    out[m.name] = try text(v, ms, m, defaultFormat: .rfc822)
                }
            case .headers:
                let prefix = m.headerKey
                var o: [String: Value] = [:]
                for h in r.headers where h.name.hasPrefix(prefix) {
                    o[String(h.name.dropFirst(prefix.count))] = .string(h.value)
                }
                if !o.isEmpty { out[m.name] = .object(o) }
            case .statusCode:
                break
            case .body:
                hasBodyMembers = true
            }
        }
        if let payloadName = shape.payload, let pm = shape.member(named: payloadName), let ps = model.shape(pm) {
            if let v = try payload(r.body, ps, pm) { out[pm.name] = v }
        } else if hasBodyMembers && !r.body.isEmpty {
            let body = try bodyStructure(r.body, shape)
            if case .object(let o) = body { for (k, v) in o { out[k] = v } }
        }
        return .object(out)
    }

    private func payload(_ body: [UInt8], _ ps: Shape, _ pm: Member) throws(InputFailure) -> Value? {
        switch ps.kind {
        case .blob: return .blob(body)
        case .string: return body.isEmpty ? nil : .string(String(decoding: body, as: UTF8.self))
        case .structure, .union:
            if body.isEmpty { return nil }
            return try bodyStructure(body, ps)
        default:
            return nil
        }
    }

    private func bodyStructure(_ body: [UInt8], _ shape: Shape) throws(InputFailure) -> Value {
        if xml {
            let root: XMLElement
            do { root = try XMLReader.parse(body) } catch {
                throw InputFailure(.type("MalformedXML"))
            }
            return try XMLShapeReader(model: model).structure(root, shape)
        }
        let parsed: Value
        do { parsed = try JSONReader.parse(body) } catch {
            throw InputFailure(.type("MalformedJSON: \(error.message)"))
        }
        return try JSONShapeCodec(model: model).decode(parsed, shape)
    }

    private func text(_ s: String, _ shape: Shape, _ ref: Member?, defaultFormat: Timestamp.Format) throws(InputFailure) -> Value {
        switch shape.kind {
        case .timestamp:
            if let t = Timestamp.parse(s) { return .timestamp(t) }
            throw InputFailure(.type("Value '\(s)' is not a valid timestamp"))
        case .string where ref?.jsonValue == true:
            // `jsonvalue` headers carry base64 JSON; handlers get the JSON text.
            if let b = Base64.decode(s) { return .string(String(decoding: b, as: UTF8.self)) }
            return .string(s)
        default:
            return try XMLShapeReader(model: model).scalar(s, shape, ref)
        }
    }

    static func splitHeaderList(_ v: String) -> [String] {
        v.split(separator: ",").map { String($0.trimmingCharacters(in: " ")) }
    }

    // MARK: - Output

    /// Applies header and status bindings of `shape` from `v`, returning the members left
    /// for the body and the payload member if the shape has one.
    package func bindOutput(_ v: Value, _ shape: Shape, status: inout Int, headers: inout [(String, String)]) {
        guard case .object(let o) = v else { return }
        // An output names a few of its shape's members (S3's GetObjectOutput has ~50): visit
        // those, in member order so headers come out in a stable order.
        let present: [Member]
        if o.count * 2 < shape.members.count {
            present = o.keys.map(shape.memberIndexOf).filter { $0 != Int.max }.sorted().map { shape.members[$0] }
        } else {
            present = shape.members
        }
        for m in present where m.location != .body {
            guard let mv = o[m.name], !mv.isNull, let ms = model.shape(m) else { continue }
            let wire = m.locationName ?? m.name
            switch m.location {
            case .statusCode:
                if let i = mv.intValue { status = Int(i) }
            case .header:
                if case .list(let l) = mv {
                    let es = ms.member.flatMap { model.shape($0) }
                    headers.append((wire, l.map { headerText($0, es, nil) }.joined(separator: ",")))
                } else {
                    headers.append((wire, headerText(mv, ms, m)))
                }
            case .headers:
                if case .object(let mo) = mv {
                    for (k, e) in mo.sorted(by: { $0.key < $1.key }) { headers.append((wire + k, XMLShapeWriter.text(e))) }
                }
            default:
                break
            }
        }
    }

    private func headerText(_ v: Value, _ shape: Shape?, _ ref: Member?) -> String {
        if let shape, shape.kind == .timestamp, let t = JSONShapeCodec.seconds(v) {
            let f = Timestamp.Format(rawValue: ref?.timestampFormat ?? shape.timestampFormat ?? "rfc822") ?? .rfc822
            return Timestamp.format(t, f)
        }
        if ref?.jsonValue == true, case .string(let s) = v { return Base64.encode(Array(s.utf8)) }
        return XMLShapeWriter.text(v)
    }
}
