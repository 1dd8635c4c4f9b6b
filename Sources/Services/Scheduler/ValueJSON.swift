import Foundation
import SimfraCore

/// `Value` as JSON text, for durable records and for the JSON a target receives. Object keys
/// are sorted so that a record's bytes depend only on its content.
enum ValueJSON {
    static func encode(_ v: Value) -> String {
        var out = ""
        write(v, to: &out)
        return out
    }

    private static func write(_ v: Value, to out: inout String) {
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .integer(let i): out += String(i)
        case .double(let d), .timestamp(let d):
            out += d.isFinite ? (d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)) : "null"
        case .string(let s): JSONText.append(s, to: &out)
        case .blob(let b): JSONText.append(Base64.encode(b), to: &out)
        case .list(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONText.append(k, to: &out)
                out += ":"
                write(o[k]!, to: &out)
            }
            out += "}"
        }
    }
}
