import SimfraCore

/// A strict JSON parser straight into `Value`: integers without fraction or exponent become
/// `.integer`, other numbers `.double`; nothing goes through NSNumber, so booleans and
/// numbers never blur (JSONSerialization's NSNumber does on Linux).
package struct JSONReader {
    package struct Failure: Error, Sendable {
        package var message: String
        package var offset: Int
    }

    private let b: [UInt8]
    private var i = 0
    private var depth = 0
    private static let maxDepth = 256

    private init(_ bytes: [UInt8]) { b = bytes }

    package static func parse(_ bytes: [UInt8]) throws(Failure) -> Value {
        var r = JSONReader(bytes)
        r.skipWS()
        let v = try r.value()
        r.skipWS()
        guard r.i == r.b.count else { throw r.fail("Unexpected character after the JSON value") }
        return v
    }

    private func fail(_ m: String) -> Failure { Failure(message: m, offset: i) }

    private mutating func skipWS() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws(Failure) -> Value {
        guard i < b.count else { throw fail("Unexpected end of JSON input") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("Unexpected character '\(Character(Unicode.Scalar(b[i])))'")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { throw fail("Unexpected end of JSON input") }
        let ok = word.withUTF8Buffer { w in
            for k in 0..<n where b[i + k] != w[k] { return false }
            return true
        }
        guard ok else { throw fail("Invalid literal") }
        i += n
    }

    private mutating func object() throws(Failure) -> Value {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("JSON nested too deeply") }
        defer { depth -= 1 }
        i += 1
        var o: [String: Value] = [:]
        skipWS()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
        while true {
            skipWS()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("Expected a string key") }
            let k = try string()
            skipWS()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("Expected ':'") }
            i += 1
            skipWS()
            o[k] = try value()
            skipWS()
            guard i < b.count else { throw fail("Unexpected end of JSON input") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            throw fail("Expected ',' or '}'")
        }
    }

    private mutating func array() throws(Failure) -> Value {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("JSON nested too deeply") }
        defer { depth -= 1 }
        i += 1
        var a: [Value] = []
        skipWS()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .list(a) }
        while true {
            skipWS()
            a.append(try value())
            skipWS()
            guard i < b.count else { throw fail("Unexpected end of JSON input") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .list(a) }
            throw fail("Expected ',' or ']'")
        }
    }

    private mutating func string() throws(Failure) -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                let s = b.withUnsafeBufferPointer { String(validating: UnsafeBufferPointer(rebasing: $0[start..<i]), as: UTF8.self) }
                guard let str = s else { throw fail("Invalid UTF-8 in string") }
                i += 1
                return str
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("Unescaped control character in string") }
            i += 1
        }
        var out = Array(b[start..<i])
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("Invalid UTF-8 in string") }
                return s
            }
            if c < 0x20 { throw fail("Unescaped control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { break }
            let e = b[i]
            i += 1
            if let plain = JSONText.unescape(e) {
                out.append(plain)
                continue
            }
            switch e {
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                        throw fail("Unpaired surrogate")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw fail("Unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw fail("Unpaired surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("Invalid escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw fail("Invalid escape")
            }
        }
        throw fail("Unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard i + 4 <= b.count else { throw fail("Invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("Invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func number() throws(Failure) -> Value {
        let start = i
        var isInt = true
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, b[i] >= 0x30 && b[i] <= 0x39 else { throw fail("Invalid number") }
        if b[i] == 0x30 { i += 1 } else { while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 } }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            isInt = false
            i += 1
            guard i < b.count, b[i] >= 0x30 && b[i] <= 0x39 else { throw fail("Invalid number") }
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            isInt = false
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, b[i] >= 0x30 && b[i] <= 0x39 else { throw fail("Invalid number") }
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
        }
        let text = String(decoding: b[start..<i], as: UTF8.self)
        if isInt, let v = Int64(text) { return .integer(v) }
        guard let d = Double(text) else { throw fail("Invalid number") }
        return .double(d)
    }
}
