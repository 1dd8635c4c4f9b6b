import SimfraCore
@testable import SimfraPolicy

/// A minimal JSON reader for writing policies in tests as text; the server uses the project's
/// depth-limited reader. Traps on malformed input because test documents are fixed.
enum TestJSON {
    static func parse(_ text: String) -> Value {
        var p = Parser(bytes: Array(text.utf8))
        let v = p.value()
        p.skipSpace()
        precondition(p.i == p.bytes.count, "trailing JSON")
        return v
    }

    struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, [32, 9, 10, 13].contains(bytes[i]) { i += 1 }
        }

        mutating func value() -> Value {
            skipSpace()
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var o: [String: Value] = [:]
                skipSpace()
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                while true {
                    skipSpace()
                    guard case .string(let k) = value() else { fatalError("key") }
                    skipSpace()
                    precondition(bytes[i] == UInt8(ascii: ":"))
                    i += 1
                    o[k] = value()
                    skipSpace()
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    precondition(bytes[i] == UInt8(ascii: "}"))
                    i += 1
                    return .object(o)
                }
            case UInt8(ascii: "["):
                i += 1
                var l: [Value] = []
                skipSpace()
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .list(l) }
                while true {
                    l.append(value())
                    skipSpace()
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    precondition(bytes[i] == UInt8(ascii: "]"))
                    i += 1
                    return .list(l)
                }
            case UInt8(ascii: "\""):
                i += 1
                var out: [UInt8] = []
                while bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") {
                        i += 1
                        switch bytes[i] {
                        case UInt8(ascii: "n"): out.append(10)
                        case UInt8(ascii: "t"): out.append(9)
                        default: out.append(bytes[i])
                        }
                    } else {
                        out.append(bytes[i])
                    }
                    i += 1
                }
                i += 1
                return .string(String(decoding: out, as: UTF8.self))
            case UInt8(ascii: "t"): i += 4; return .bool(true)
            case UInt8(ascii: "f"): i += 5; return .bool(false)
            case UInt8(ascii: "n"): i += 4; return .null
            default:
                let start = i
                while i < bytes.count, "-+.eE0123456789".utf8.contains(bytes[i]) { i += 1 }
                let s = String(decoding: bytes[start..<i], as: UTF8.self)
                if let n = Int64(s) { return .integer(n) }
                return .double(Double(s)!)
            }
        }
    }
}

/// Parses a policy written as JSON, failing the test on a validation error.
func policy(_ json: String, kind: Policy.Kind = .identity) -> Policy {
    do {
        return try Policy(parsing: TestJSON.parse(json), kind: kind)
    } catch {
        fatalError("policy refused: \(error.message)\n\(json)")
    }
}

/// A one-statement identity policy.
func allow(_ action: String, _ resource: String = "*", condition: String? = nil, effect: String = "Allow")
    -> Policy
{
    let c = condition.map { ", \"Condition\": \($0)" } ?? ""
    return policy(
        """
        {"Version": "2012-10-17", "Statement": {"Effect": "\(effect)", "Action": "\(action)", "Resource": "\(resource)"\(c)}}
        """)
}

