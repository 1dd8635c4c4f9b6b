import SimfraCore
import SimfraModels

/// Shape-directed conversion between the generic tree a JSON or CBOR parser yields and the
/// typed `Value` handlers see, and shape-directed JSON output.
///
/// Wire keys are `locationName` when the model gives one, else the member name; handlers
/// always see member names. Timestamps default to epoch seconds, blobs to base64 (CBOR
/// carries both natively).
package struct JSONShapeCodec {
    let model: ServiceModel

    package init(model: ServiceModel) { self.model = model }

    // MARK: - Input

    package func decode(_ v: Value, _ shape: Shape, path: String = "", depth: Int = 0) throws(InputFailure) -> Value {
        guard depth < 100 else { throw InputFailure(.type("Input nested too deeply")) }
        if shape.document { return v }
        switch shape.kind {
        case .structure, .union:
            guard case .object(let o) = v else { throw typeError(v, shape, path) }
            var out: [String: Value] = [:]
            out.reserveCapacity(o.count)
            for m in shape.members where m.location == .body {
                guard let raw = o[m.wireName] ?? (m.locationName != nil ? o[m.name] : nil), !raw.isNull else { continue }
                guard let ms = model.shape(m) else { continue }
                out[m.name] = try decodeMember(raw, m, ms, path: path.isEmpty ? m.name : "\(path).\(m.name)", depth: depth)
            }
            return .object(out)
        case .list:
            guard case .list(let l) = v else { throw typeError(v, shape, path) }
            guard let m = shape.member, let ms = model.shape(m) else { return v }
            var out: [Value] = []
            out.reserveCapacity(l.count)
            for e in l {
                if e.isNull { if shape.sparse { out.append(.null) }; continue }
                out.append(try decodeMember(e, m, ms, path: path, depth: depth))
            }
            return .list(out)
        case .map:
            guard case .object(let o) = v else { throw typeError(v, shape, path) }
            guard let m = shape.value, let ms = model.shape(m) else { return v }
            var out: [String: Value] = [:]
            out.reserveCapacity(o.count)
            for (k, e) in o {
                if e.isNull { if shape.sparse { out[k] = .null }; continue }
                out[k] = try decodeMember(e, m, ms, path: "\(path).\(k)", depth: depth)
            }
            return .object(out)
        default:
            return try scalar(v, shape, format: nil, path: path)
        }
    }

    private func decodeMember(_ v: Value, _ m: Member, _ ms: Shape, path: String, depth: Int) throws(InputFailure) -> Value {
        if case .structure = ms.kind { return try decode(v, ms, path: path, depth: depth + 1) }
        if ms.kind == .list || ms.kind == .map || ms.kind == .union { return try decode(v, ms, path: path, depth: depth + 1) }
        return try scalar(v, ms, format: m.timestampFormat, path: path)
    }

    func scalar(_ v: Value, _ shape: Shape, format: String?, path: String) throws(InputFailure) -> Value {
        switch shape.kind {
        case .string:
            if case .string = v { return v }
        case .boolean:
            if case .bool = v { return v }
        case .integer, .long, .short, .byte:
            if case .integer = v { return v }
            if case .double(let d) = v, d == d.rounded(), abs(d) < 9.2e18 { return .integer(Int64(d)) }
        case .float, .double:
            switch v {
            case .double: return v
            case .integer(let i): return .double(Double(i))
            case .string(let s) where s == "NaN": return .double(.nan)
            case .string(let s) where s == "Infinity": return .double(.infinity)
            case .string(let s) where s == "-Infinity": return .double(-.infinity)
            default: break
            }
        case .bigdecimal, .biginteger:
            switch v {
            case .integer, .double: return v
            case .string(let s): if Double(s) != nil { return v }
            default: break
            }
        case .timestamp:
            switch v {
            case .timestamp: return v
            case .integer(let i): return .timestamp(Double(i))
            case .double(let d): return .timestamp(d)
            case .string(let s): if let t = Timestamp.parse(s) { return .timestamp(t) }
            default: break
            }
        case .blob:
            switch v {
            case .blob: return v
            case .string(let s): if let b = Base64.decode(s) { return .blob(b) }
            default: break
            }
        default:
            return v
        }
        throw typeError(v, shape, path)
    }

    private func typeError(_ v: Value, _ shape: Shape, _ path: String) -> InputFailure {
        let got: String
        switch v {
        case .string: got = "STRING_VALUE"
        case .integer, .double: got = "NUMBER_VALUE"
        case .bool: got = "BOOLEAN_VALUE"
        case .list: got = "START_ARRAY"
        case .object: got = "START_OBJECT"
        default: got = "VALUE"
        }
        let want: String
        switch shape.kind {
        case .structure, .union, .map: want = "a structure"
        case .list: want = "a list"
        case .integer, .long, .short, .byte: want = "an Integer"
        case .float, .double: want = "a Double"
        case .boolean: want = "a Boolean"
        case .timestamp: want = "a Timestamp"
        case .blob: want = "a Blob"
        default: want = "a String"
        }
        let at = path.isEmpty ? "" : " (at '\(path)')"
        return InputFailure(.type("\(got) can not be converted to \(want)\(at)"))
    }

    // MARK: - Output

    /// Writes `v` as JSON shaped by `shape`. Members absent from `v` are omitted.
    package func write(_ v: Value, _ shape: Shape?, into w: inout ByteWriter, format: String? = nil, depth: Int = 0) {
        guard let shape, !shape.document, depth < 100 else { Self.writeGeneric(v, into: &w); return }
        switch shape.kind {
        case .structure, .union:
            guard case .object(let o) = v else { Self.writeGeneric(v, into: &w); return }
            w.append(byte: UInt8(ascii: "{"))
            var first = true
            for m in shape.members where m.location == .body {
                guard let mv = o[m.name], !mv.isNull else { continue }
                if !first { w.append(byte: UInt8(ascii: ",")) }
                first = false
                w.appendJSONString(m.wireName)
                w.append(byte: UInt8(ascii: ":"))
                write(mv, model.shape(m), into: &w, format: m.timestampFormat, depth: depth + 1)
            }
            w.append(byte: UInt8(ascii: "}"))
        case .list:
            guard case .list(let l) = v else { Self.writeGeneric(v, into: &w); return }
            let ms = shape.member.flatMap { model.shape($0) }
            w.append(byte: UInt8(ascii: "["))
            for (i, e) in l.enumerated() {
                if i > 0 { w.append(byte: UInt8(ascii: ",")) }
                write(e, ms, into: &w, format: shape.member?.timestampFormat, depth: depth + 1)
            }
            w.append(byte: UInt8(ascii: "]"))
        case .map:
            guard case .object(let o) = v else { Self.writeGeneric(v, into: &w); return }
            let vs = shape.value.flatMap { model.shape($0) }
            w.append(byte: UInt8(ascii: "{"))
            var first = true
            for (k, e) in o {
                if !first { w.append(byte: UInt8(ascii: ",")) }
                first = false
                w.appendJSONString(k)
                w.append(byte: UInt8(ascii: ":"))
                write(e, vs, into: &w, format: shape.value?.timestampFormat, depth: depth + 1)
            }
            w.append(byte: UInt8(ascii: "}"))
        case .timestamp:
            guard let t = Self.seconds(v) else { Self.writeGeneric(v, into: &w); return }
            let f = Timestamp.Format(rawValue: format ?? shape.timestampFormat ?? "unixTimestamp") ?? .unixTimestamp
            if f == .unixTimestamp { w.append(double: t) } else { w.appendJSONString(Timestamp.format(t, f)) }
        case .integer, .long, .short, .byte:
            if let i = v.intValue { w.append(int: i) } else { Self.writeGeneric(v, into: &w) }
        case .float, .double:
            if let d = v.doubleValue { w.append(double: d) } else { Self.writeGeneric(v, into: &w) }
        default:
            Self.writeGeneric(v, into: &w)
        }
    }

    static func seconds(_ v: Value) -> Double? {
        switch v {
        case .timestamp(let t), .double(let t): return t
        case .integer(let i): return Double(i)
        case .string(let s): return Timestamp.parse(s)
        default: return nil
        }
    }

    /// JSON for values with no shape to follow (documents, error extras).
    package static func writeGeneric(_ v: Value, into w: inout ByteWriter) {
        switch v {
        case .null: w.append("null")
        case .bool(let b): w.append(b ? "true" : "false")
        case .integer(let i): w.append(int: i)
        case .double(let d): w.append(double: d)
        case .string(let s): w.appendJSONString(s)
        case .blob(let b): w.appendJSONString(Base64.encode(b))
        case .timestamp(let t): w.append(double: t)
        case .list(let l):
            w.append(byte: UInt8(ascii: "["))
            for (i, e) in l.enumerated() {
                if i > 0 { w.append(byte: UInt8(ascii: ",")) }
                writeGeneric(e, into: &w)
            }
            w.append(byte: UInt8(ascii: "]"))
        case .object(let o):
            w.append(byte: UInt8(ascii: "{"))
            var first = true
            for (k, e) in o.sorted(by: { $0.key < $1.key }) {
                if !first { w.append(byte: UInt8(ascii: ",")) }
                first = false
                w.appendJSONString(k)
                w.append(byte: UInt8(ascii: ":"))
                writeGeneric(e, into: &w)
            }
            w.append(byte: UInt8(ascii: "}"))
        }
    }
}

package struct InputFailure: Error, Sendable {
    package var problem: InputProblem
    package init(_ p: InputProblem) { problem = p }
}
