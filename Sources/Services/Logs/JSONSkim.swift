import SimfraCore
import SimfraProtocols

/// Reads only the top-level members a JSON filter pattern looks at, so that matching a
/// pattern against a million log events does not build a million `Value` trees.
///
/// It accepts exactly the documents `JSONReader` accepts (same grammar, whitespace, nesting
/// limit, escapes; strings with escapes are checked by `JSONReader` itself) and answers a
/// top-level object holding just the wanted members, each parsed by `JSONReader`, with the
/// last of duplicate keys winning as there. Anything else (not JSON, not an object) is nil.
struct JSONSkim {
    private let b: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0
    private static let maxDepth = 256

    struct Invalid: Error {}

    private init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    /// The wanted members of the message's top-level object (`wanted` holds their UTF-8 keys).
    static func members(of message: String, wanted: [[UInt8]]) -> [String: Value]? {
        var message = message
        return message.withUTF8 { buf -> [String: Value]? in
            var s = JSONSkim(buf)
            return try? s.document(wanted)
        }
    }

    private mutating func document(_ wanted: [[UInt8]]) throws(Invalid) -> [String: Value] {
        skipWS()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { throw Invalid() }
        depth = 1
        i += 1
        var out: [String: Value] = [:]
        skipWS()
        if i < b.count, b[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipWS()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Invalid() }
                let keyStart = i
                let escaped = try skipString()
                let keyEnd = i
                skipWS()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Invalid() }
                i += 1
                skipWS()
                let valueStart = i
                try skipValue()
                if let key = try wantedKey(keyStart, keyEnd, escaped, wanted) {
                    guard let v = try? JSONReader.parse(Array(b[valueStart..<i])) else { throw Invalid() }
                    out[key] = v
                }
                skipWS()
                guard i < b.count else { throw Invalid() }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; break }
                throw Invalid()
            }
        }
        skipWS()
        guard i == b.count else { throw Invalid() }
        return out
    }

    /// The key between `start` and `end` (quotes included) when it is one of `wanted`.
    private func wantedKey(_ start: Int, _ end: Int, _ escaped: Bool, _ wanted: [[UInt8]]) throws(Invalid) -> String? {
        if escaped {
            guard case .string(let k)? = try? JSONReader.parse(Array(b[start..<end])) else { throw Invalid() }
            return wanted.contains(Array(k.utf8)) ? k : nil
        }
        let raw = UnsafeBufferPointer(rebasing: b[(start + 1)..<(end - 1)])
        for w in wanted where w.count == raw.count && w.elementsEqual(raw) {
            return String(decoding: raw, as: UTF8.self)
        }
        return nil
    }

    private mutating func skipWS() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func skipValue() throws(Invalid) {
        guard i < b.count else { throw Invalid() }
        switch b[i] {
        case UInt8(ascii: "{"): try skipContainer(close: UInt8(ascii: "}"), keyed: true)
        case UInt8(ascii: "["): try skipContainer(close: UInt8(ascii: "]"), keyed: false)
        case UInt8(ascii: "\""): _ = try skipString()
        case UInt8(ascii: "t"): try skipLiteral("true")
        case UInt8(ascii: "f"): try skipLiteral("false")
        case UInt8(ascii: "n"): try skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: throw Invalid()
        }
    }

    private mutating func skipContainer(close: UInt8, keyed: Bool) throws(Invalid) {
        depth += 1
        guard depth <= Self.maxDepth else { throw Invalid() }
        defer { depth -= 1 }
        i += 1
        skipWS()
        if i < b.count, b[i] == close { i += 1; return }
        while true {
            skipWS()
            if keyed {
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Invalid() }
                _ = try skipString()
                skipWS()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Invalid() }
                i += 1
                skipWS()
            }
            try skipValue()
            skipWS()
            guard i < b.count else { throw Invalid() }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == close { i += 1; return }
            throw Invalid()
        }
    }

    /// Skips a string; whether it held escapes. One with escapes is checked by `JSONReader`
    /// (valid escapes, paired surrogates); the bytes themselves are valid UTF-8 already, as
    /// they come from a Swift `String`.
    private mutating func skipString() throws(Invalid) -> Bool {
        let start = i
        i += 1
        var escaped = false
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                if escaped, (try? JSONReader.parse(Array(b[start..<i]))) == nil { throw Invalid() }
                return escaped
            }
            if c < 0x20 { throw Invalid() }
            if c == UInt8(ascii: "\\") { escaped = true; i += 2; continue }
            i += 1
        }
        throw Invalid()
    }

    private mutating func skipLiteral(_ word: StaticString) throws(Invalid) {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { throw Invalid() }
        let ok = word.withUTF8Buffer { w in
            for k in 0..<n where b[i + k] != w[k] { return false }
            return true
        }
        guard ok else { throw Invalid() }
        i += n
    }

    private mutating func skipNumber() throws(Invalid) {
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, isDigit(b[i]) else { throw Invalid() }
        if b[i] == 0x30 { i += 1 } else { while i < b.count, isDigit(b[i]) { i += 1 } }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard i < b.count, isDigit(b[i]) else { throw Invalid() }
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, isDigit(b[i]) else { throw Invalid() }
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
