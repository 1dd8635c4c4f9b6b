import SimfraCore

/// Compact binary encoding of items and table metadata for durable records.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ v: Int) {
        var x = UInt64(bitPattern: Int64(v))
        while x >= 0x80 {
            bytes.append(UInt8(x & 0x7F) | 0x80)
            x >>= 7
        }
        bytes.append(UInt8(x))
    }

    mutating func raw(_ b: [UInt8]) { varint(b.count); bytes += b }
    mutating func string(_ s: String) { raw(Array(s.utf8)) }

    mutating func av(_ v: AV) {
        switch v {
        case .s(let x): bytes.append(1); string(x)
        case .n(let x): bytes.append(2); string(x.description)
        case .b(let x): bytes.append(3); raw(x)
        case .ss(let x): bytes.append(4); varint(x.count); x.forEach { string($0) }
        case .ns(let x): bytes.append(5); varint(x.count); x.forEach { string($0.description) }
        case .bs(let x): bytes.append(6); varint(x.count); x.forEach { raw($0) }
        case .m(let x): bytes.append(7); item(x)
        case .l(let x): bytes.append(8); varint(x.count); x.forEach { av($0) }
        case .null: bytes.append(9)
        case .bool(let x): bytes.append(x ? 11 : 10)
        }
    }

    mutating func item(_ m: Item) {
        varint(m.count)
        for k in m.keys.sorted() {
            string(k)
            av(m[k]!)
        }
    }

    mutating func value(_ v: Value) {
        switch v {
        case .null: bytes.append(0)
        case .bool(let b): bytes.append(b ? 2 : 1)
        case .integer(let i): bytes.append(3); varint(Int(i))
        case .double(let d): bytes.append(4); string(String(d))
        case .string(let s): bytes.append(5); string(s)
        case .blob(let b): bytes.append(6); raw(b)
        case .timestamp(let d): bytes.append(7); string(String(d))
        case .list(let l): bytes.append(8); varint(l.count); l.forEach { value($0) }
        case .object(let o):
            bytes.append(9)
            varint(o.count)
            for k in o.keys.sorted() {
                string(k)
                value(o[k]!)
            }
        }
    }
}

struct BinaryReader {
    struct Malformed: Error {}
    let bytes: [UInt8]
    var pos = 0

    init(_ b: [UInt8]) { bytes = b }

    mutating func byte() throws -> UInt8 {
        guard pos < bytes.count else { throw Malformed() }
        pos += 1
        return bytes[pos - 1]
    }

    mutating func varint() throws -> Int {
        var x: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = try byte()
            x |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
            if shift > 63 { throw Malformed() }
        }
        return Int(Int64(bitPattern: x))
    }

    mutating func raw() throws -> [UInt8] {
        let n = try varint()
        guard n >= 0, pos + n <= bytes.count else { throw Malformed() }
        defer { pos += n }
        return Array(bytes[pos..<(pos + n)])
    }

    mutating func string() throws -> String { String(decoding: try raw(), as: UTF8.self) }

    mutating func number() throws -> DDBNumber {
        guard let n = DDBNumber.parse(try string()) else { throw Malformed() }
        return n
    }

    mutating func av() throws -> AV {
        switch try byte() {
        case 1: return .s(try string())
        case 2: return .n(try number())
        case 3: return .b(try raw())
        case 4: return .ss(try (0..<varint()).map { _ in try string() })
        case 5: return .ns(try (0..<varint()).map { _ in try number() })
        case 6: return .bs(try (0..<varint()).map { _ in try raw() })
        case 7: return .m(try item())
        case 8: return .l(try (0..<varint()).map { _ in try av() })
        case 9: return .null
        case 10: return .bool(false)
        case 11: return .bool(true)
        default: throw Malformed()
        }
    }

    mutating func item() throws -> Item {
        var m: Item = [:]
        for _ in 0..<(try varint()) {
            let k = try string()
            m[k] = try av()
        }
        return m
    }

    mutating func value() throws -> Value {
        switch try byte() {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .integer(Int64(try varint()))
        case 4: return .double(Double(try string()) ?? 0)
        case 5: return .string(try string())
        case 6: return .blob(try raw())
        case 7: return .timestamp(Double(try string()) ?? 0)
        case 8: return .list(try (0..<varint()).map { _ in try value() })
        case 9:
            var o: [String: Value] = [:]
            for _ in 0..<(try varint()) {
                let k = try string()
                o[k] = try value()
            }
            return .object(o)
        default: throw Malformed()
        }
    }
}
