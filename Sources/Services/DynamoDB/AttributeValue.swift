import SimfraCore

enum DDBError {
    static func validation(_ m: String) -> AWSError { AWSError(code: "ValidationException", message: m) }
    static func notFound(_ m: String = "Requested resource not found") -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: m)
    }
    static func inUse(_ m: String) -> AWSError { AWSError(code: "ResourceInUseException", message: m) }
    static func invalid(_ m: String) -> AWSError {
        validation("One or more parameter values were invalid: " + m)
    }
}

/// One DynamoDB attribute value.
indirect enum AV: Sendable, Hashable {
    case s(String)
    case n(DDBNumber)
    case b([UInt8])
    case ss([String])
    case ns([DDBNumber])
    case bs([[UInt8]])
    case m([String: AV])
    case l([AV])
    case null
    case bool(Bool)

    var typeName: String {
        switch self {
        case .s: "S"
        case .n: "N"
        case .b: "B"
        case .ss: "SS"
        case .ns: "NS"
        case .bs: "BS"
        case .m: "M"
        case .l: "L"
        case .null: "NULL"
        case .bool: "BOOL"
        }
    }

    static func == (a: AV, b: AV) -> Bool {
        switch (a, b) {
        case (.s(let x), .s(let y)): return x == y
        case (.n(let x), .n(let y)): return x == y
        case (.b(let x), .b(let y)): return x == y
        case (.ss(let x), .ss(let y)): return Set(x) == Set(y)
        case (.ns(let x), .ns(let y)): return Set(x) == Set(y)
        case (.bs(let x), .bs(let y)): return Set(x) == Set(y)
        case (.m(let x), .m(let y)): return x == y
        case (.l(let x), .l(let y)): return x == y
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        default: return false
        }
    }

    func hash(into h: inout Hasher) {
        h.combine(typeName)
        switch self {
        case .s(let x): h.combine(x)
        case .n(let x): h.combine(x)
        case .b(let x): h.combine(x)
        case .ss(let x): h.combine(x.count)
        case .ns(let x): h.combine(x.count)
        case .bs(let x): h.combine(x.count)
        case .m(let x): h.combine(x)
        case .l(let x): h.combine(x)
        case .null: break
        case .bool(let x): h.combine(x)
        }
    }

    // MARK: wire conversion

    /// DynamoDB's nesting limit: a value may sit inside at most 31 maps or lists (AWS
    /// accepts 31 wraps and refuses 32, for items and expression values alike). It also
    /// bounds every recursive walk over an `AV` (equality, hashing, size, encoding).
    static let maxNesting = 31

    static func nestingTooDeep() -> AWSError {
        DDBError.validation("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit")
    }

    static func from(_ v: Value) throws -> AV { try from(v, wraps: 0) }

    private static func from(_ v: Value, wraps: Int) throws -> AV {
        guard case .object(let o) = v else {
            throw DDBError.validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        }
        let set = o.filter { !$0.value.isNull }
        if set.isEmpty {
            throw DDBError.validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        }
        if set.count > 1 {
            throw DDBError.validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
        }
        let (k, x) = set.first!
        switch k {
        case "S": return .s(x.stringValue ?? "")
        case "N": return .n(try DDBNumber.validated(x.stringValue ?? ""))
        case "B": return .b(blob(x))
        case "BOOL": return .bool(x.boolValue ?? false)
        case "NULL":
            guard x.boolValue == true else {
                throw DDBError.invalid("Null attribute value types must have the value of true")
            }
            return .null
        case "SS", "NS", "BS":
            let items = x.listValue ?? []
            if items.isEmpty {
                let n = k == "SS" ? "string" : k == "NS" ? "number" : "binary"
                throw DDBError.invalid("An \(n) set  may not be empty")
            }
            func dup(_ shown: [String]) -> AWSError {
                DDBError.invalid("Input collection [\(shown.joined(separator: ", "))] contains duplicates.")
            }
            if k == "SS" {
                let s = items.map { $0.stringValue ?? "" }
                if Set(s).count != s.count { throw dup(s) }
                return .ss(s)
            } else if k == "NS" {
                let n = try items.map { try DDBNumber.validated($0.stringValue ?? "") }
                if Set(n).count != n.count { throw dup(items.map { $0.stringValue ?? "" }) }
                return .ns(n)
            } else {
                let b = items.map(blob)
                if Set(b).count != b.count { throw dup(b.map { Base64.encode($0) }) }
                return .bs(b)
            }
        case "M":
            guard wraps < maxNesting else { throw nestingTooDeep() }
            var m: [String: AV] = [:]
            for (name, e) in x.objectValue ?? [:] { m[name] = try from(e, wraps: wraps + 1) }
            return .m(m)
        case "L":
            guard wraps < maxNesting else { throw nestingTooDeep() }
            return .l(try (x.listValue ?? []).map { try from($0, wraps: wraps + 1) })
        default:
            throw DDBError.validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        }
    }

    private static func blob(_ v: Value) -> [UInt8] {
        switch v {
        case .blob(let b): return b
        case .string(let s): return Base64.decode(s) ?? Array(s.utf8)
        default: return []
        }
    }

    var value: Value {
        switch self {
        case .s(let x): return ["S": .string(x)]
        case .n(let x): return ["N": .string(x.description)]
        case .b(let x): return ["B": .blob(x)]
        case .ss(let x): return ["SS": .list(x.map { .string($0) })]
        case .ns(let x): return ["NS": .list(x.map { .string($0.description) })]
        case .bs(let x): return ["BS": .list(x.map { .blob($0) })]
        case .m(let x): return ["M": .object(x.mapValues { $0.value })]
        case .l(let x): return ["L": .list(x.map { $0.value })]
        case .null: return ["NULL": .bool(true)]
        case .bool(let x): return ["BOOL": .bool(x)]
        }
    }

    /// Size in bytes as DynamoDB accounts it (value only; names are added by the container).
    var size: Int {
        switch self {
        case .s(let x): return x.utf8.count
        case .n(let x): return x.storageSize
        case .b(let x): return x.count
        case .ss(let x): return x.reduce(0) { $0 + $1.utf8.count }
        case .ns(let x): return x.reduce(0) { $0 + $1.storageSize }
        case .bs(let x): return x.reduce(0) { $0 + $1.count }
        case .m(let x): return 3 + x.reduce(0) { $0 + $1.key.utf8.count + $1.value.size + 1 }
        case .l(let x): return 3 + x.reduce(0) { $0 + $1.size + 1 }
        case .null, .bool: return 1
        }
    }
}

typealias Item = [String: AV]

enum ItemCodec {
    static func item(_ v: Value?) throws -> Item {
        var r: Item = [:]
        for (k, x) in v?.objectValue ?? [:] { r[k] = try AV.from(x) }
        return r
    }

    static func value(_ item: Item) -> Value { .object(item.mapValues { $0.value }) }

    static func size(_ item: Item) -> Int { item.reduce(0) { $0 + $1.key.utf8.count + $1.value.size } }

    /// An update can nest a value (itself within the limit) under an existing map or list,
    /// so the result is checked again before it is stored. The walk is bounded: its input
    /// was built from values within the limit, at most one limit deeper.
    static func checkNesting(_ item: Item) throws {
        func fits(_ v: AV, _ wraps: Int) -> Bool {
            switch v {
            case .m(let m): return wraps < AV.maxNesting && m.values.allSatisfy { fits($0, wraps + 1) }
            case .l(let l): return wraps < AV.maxNesting && l.allSatisfy { fits($0, wraps + 1) }
            default: return true
            }
        }
        for v in item.values where !fits(v, 0) { throw AV.nestingTooDeep() }
    }
}

/// A key attribute's value with DynamoDB's ordering: S by UTF-8 bytes, N numerically,
/// B by unsigned bytes.
enum KeyPart: Sendable, Hashable, Comparable {
    case s(String)
    case n(DDBNumber)
    case b([UInt8])

    init?(_ av: AV) {
        switch av {
        case .s(let x): self = .s(x)
        case .n(let x): self = .n(x)
        case .b(let x): self = .b(x)
        default: return nil
        }
    }

    var av: AV {
        switch self {
        case .s(let x): .s(x)
        case .n(let x): .n(x)
        case .b(let x): .b(x)
        }
    }

    static func < (a: KeyPart, b: KeyPart) -> Bool {
        switch (a, b) {
        case (.s(let x), .s(let y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
        case (.n(let x), .n(let y)): return x < y
        case (.b(let x), .b(let y)): return x.lexicographicallyPrecedes(y)
        case (.s, _): return true
        case (.n, .b): return true
        default: return false
        }
    }

    /// Stable bytes for hashing and record ids.
    var bytes: [UInt8] {
        switch self {
        case .s(let x): return [0x53] + Array(x.utf8)
        case .n(let x): return [0x4E] + Array(x.description.utf8)
        case .b(let x): return [0x42] + x
        }
    }

    /// FNV-1a 64: the partition's position in scan order.
    var hash64: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in bytes { h = (h ^ UInt64(c)) &* 0x100_0000_01b3 }
        return h
    }
}
