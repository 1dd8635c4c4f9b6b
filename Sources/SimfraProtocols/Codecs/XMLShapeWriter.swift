import SimfraCore
import SimfraModels

/// Shape-directed XML output for awsQuery, ec2Query and restXml responses.
package struct XMLShapeWriter {
    let model: ServiceModel
    let ec2: Bool

    package init(model: ServiceModel, ec2: Bool = false) {
        self.model = model
        self.ec2 = ec2
    }

    /// The members of a structure as child elements (no enclosing element).
    package func writeMembers(_ v: Value, _ shape: Shape, into w: inout ByteWriter, depth: Int = 0) {
        guard case .object(let o) = v else { return }
        for m in shape.members where m.location == .body && !m.xmlAttribute {
            guard let mv = o[m.name], !mv.isNull, let ms = model.shape(m) else { continue }
            writeMember(mv, m, ms, into: &w, depth: depth)
        }
    }

    private func writeMember(_ v: Value, _ m: Member, _ ms: Shape, into w: inout ByteWriter, depth: Int) {
        // awsQuery-era names win where a service kept them (SQS's <Message>, <Attribute>).
        let name = m.query?.locationName ?? m.locationName ?? m.name
        let flattened = m.flattened || ms.flattened || (m.query?.flattened ?? false) || (ms.query?.flattened ?? false)
        if ms.kind == .list && flattened {
            guard case .list(let l) = v else { return }
            let em = ms.member
            let es = em.flatMap { model.shape($0) }
            // A flattened list repeats the member's own name (its element's locationName wins in restXml).
            let elem = m.query?.locationName ?? m.locationName ?? em?.query?.locationName ?? em?.locationName ?? m.name
            for e in l { element(elem, e, es, ref: em, into: &w, depth: depth + 1) }
            return
        }
        if ms.kind == .map && flattened {
            guard case .object(let o) = v else { return }
            for (k, e) in o.sorted(by: { $0.key < $1.key }) {
                open(name, nil, into: &w)
                mapEntry(k, e, ms, into: &w, depth: depth + 1)
                close(name, into: &w)
            }
            return
        }
        element(name, v, ms, ref: m, into: &w, depth: depth)
    }

    package func element(_ name: String, _ v: Value, _ shape: Shape?, ref: Member?, into w: inout ByteWriter, depth: Int = 0) {
        guard let shape, depth < 100 else {
            open(name, nil, into: &w)
            w.appendXMLEscaped(Self.text(v))
            close(name, into: &w)
            return
        }
        switch shape.kind {
        case .structure, .union:
            open(name, attributes(v, shape, ns: ref?.xmlNamespace ?? shape.xmlNamespace), into: &w)
            writeMembers(v, shape, into: &w, depth: depth + 1)
            close(name, into: &w)
        case .list:
            guard case .list(let l) = v else { return }
            let em = shape.member
            let es = em.flatMap { model.shape($0) }
            let elem = em?.query?.locationName ?? em?.locationName ?? (ec2 ? "item" : "member")
            open(name, nil, into: &w)
            for e in l { element(elem, e, es, ref: em, into: &w, depth: depth + 1) }
            close(name, into: &w)
        case .map:
            guard case .object(let o) = v else { return }
            open(name, nil, into: &w)
            for (k, e) in o.sorted(by: { $0.key < $1.key }) {
                open("entry", nil, into: &w)
                mapEntry(k, e, shape, into: &w, depth: depth + 1)
                close("entry", into: &w)
            }
            close(name, into: &w)
        default:
            open(name, nil, into: &w)
            w.appendXMLEscaped(scalarText(v, shape, format: ref?.timestampFormat))
            close(name, into: &w)
        }
    }

    private func mapEntry(_ k: String, _ e: Value, _ shape: Shape, into w: inout ByteWriter, depth: Int) {
        let kn = shape.key?.query?.locationName ?? shape.key?.locationName ?? "key"
        let vn = shape.value?.query?.locationName ?? shape.value?.locationName ?? "value"
        open(kn, nil, into: &w)
        w.appendXMLEscaped(k)
        close(kn, into: &w)
        element(vn, e, shape.value.flatMap { model.shape($0) }, ref: shape.value, into: &w, depth: depth + 1)
    }

    private func attributes(_ v: Value, _ shape: Shape, ns: XMLNamespace?) -> [(String, String)]? {
        var attrs: [(String, String)] = []
        if let ns {
            attrs.append((ns.prefix.map { "xmlns:\($0)" } ?? "xmlns", ns.uri))
        }
        if case .object(let o) = v {
            for m in shape.members where m.xmlAttribute {
                if let mv = o[m.name], let ms = model.shape(m) {
                    attrs.append((m.locationName ?? m.name, scalarText(mv, ms, format: m.timestampFormat)))
                }
            }
        }
        return attrs.isEmpty ? nil : attrs
    }

    package func scalarText(_ v: Value, _ shape: Shape, format: String?) -> String {
        if shape.kind == .timestamp, let t = JSONShapeCodec.seconds(v) {
            let f = Timestamp.Format(rawValue: format ?? shape.timestampFormat ?? "iso8601") ?? .iso8601
            return Timestamp.format(t, f)
        }
        if shape.kind == .integer || shape.kind == .long, let i = v.intValue { return String(i) }
        return Self.text(v)
    }

    package static func text(_ v: Value) -> String {
        switch v {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .double(let d):
            var w = ByteWriter(capacity: 24)
            w.append(double: d)
            return String(decoding: w.bytes, as: UTF8.self)
        case .string(let s): return s
        case .blob(let b): return Base64.encode(b)
        case .timestamp(let t): return Timestamp.iso8601(t)
        case .list, .object: return ""
        }
    }

    package func open(_ name: String, _ attrs: [(String, String)]?, into w: inout ByteWriter) {
        w.append(byte: UInt8(ascii: "<"))
        w.append(name)
        if let attrs {
            for (k, v) in attrs {
                w.append(byte: 0x20)
                w.append(k)
                w.append("=\"")
                w.appendXMLEscaped(v)
                w.append(byte: 0x22)
            }
        }
        w.append(byte: UInt8(ascii: ">"))
    }

    package func close(_ name: String, into w: inout ByteWriter) {
        w.append("</")
        w.append(name)
        w.append(byte: UInt8(ascii: ">"))
    }
}
