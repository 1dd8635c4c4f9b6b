/// The dynamic shape tree every protocol codec produces and consumes.
///
/// Codecs parse a request into a `Value` shaped by the service model and serialise a
/// handler's `Value` back out; handlers read and build it. Structures and maps share
/// `.object` (the model says which one a node is), so a handler never cares about wire names.
public enum Value: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case blob([UInt8])
    /// Seconds since the Unix epoch, with fractions.
    case timestamp(Double)
    case list([Value])
    case object([String: Value])

    public static let empty = Value.object([:])

    public subscript(key: String) -> Value? {
        get {
            if case .object(let o) = self { return o[key] }
            return nil
        }
        set {
            guard case .object(var o) = self else { return }
            o[key] = newValue
            self = .object(o)
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        switch self {
        case .integer(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var listValue: [Value]? {
        if case .list(let l) = self { return l }
        return nil
    }

    public var objectValue: [String: Value]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        var o: [String: Value] = [:]
        o.reserveCapacity(elements.count)
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}
