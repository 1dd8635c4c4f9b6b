import SimfraCore

/// One compiled test of a leaf value: an element of a pattern's value array
/// (`"state": ["running", {"prefix": "stop"}]` is two tests; any of them matching is a match).
///
/// Everything a test needs at match time is computed when the pattern is compiled (lowercased
/// texts, parsed IP ranges, wildcard segments), so matching an event allocates nothing except
/// where a case-insensitive test must lowercase the event's value.
enum ValueTest: Sendable {
    case exactString(String)
    /// A JSON number in the pattern: equal numbers match whatever their spelling (5 matches 5.0).
    case exactNumber(Double, integer: Int64?)
    case exactBool(Bool)
    case exactNull
    /// A string that is an IP address matches the same address however it is written.
    case ipAddress(IPAddress, literal: String)
    case prefix(String)
    case prefixIgnoreCase(String)
    case suffix(String)
    case suffixIgnoreCase(String)
    case equalsIgnoreCase(String)
    case wildcard(Wildcard)
    case numeric(NumericRange)
    case cidr(IPRange)
    case exists(Bool)
    case anythingButStrings(Set<String>)
    case anythingButNumbers([Double])
    case anythingButIgnoreCase(Set<String>)
    case anythingButPrefix([String])
    case anythingButSuffix([String])
    case anythingButWildcard([Wildcard])

    /// Whether this test matches one present leaf value (a string, number, boolean or null).
    /// `exists` is decided by the caller, which knows whether the field is present at all.
    func matches(_ v: Value) -> Bool {
        switch self {
        case .exactString(let s):
            if case .string(let e) = v { return e.utf8.elementsEqual(s.utf8) }
            return false
        case .exactNumber(let d, let i):
            switch v {
            case .integer(let e): return i.map { $0 == e } ?? (Double(e) == d)
            case .double(let e): return e == d
            default: return false
            }
        case .exactBool(let b):
            if case .bool(let e) = v { return e == b }
            return false
        case .exactNull:
            return v.isNull
        case .ipAddress(let ip, let literal):
            guard case .string(let e) = v else { return false }
            if e == literal { return true }
            return IPAddress(parsing: e) == ip
        case .prefix(let p):
            if case .string(let e) = v { return e.utf8.starts(with: p.utf8) }
            return false
        case .prefixIgnoreCase(let p):
            if case .string(let e) = v { return CaseFolding.fold(e).utf8.starts(with: p.utf8) }
            return false
        case .suffix(let s):
            if case .string(let e) = v { return e.utf8.reversed().starts(with: s.utf8.reversed()) }
            return false
        case .suffixIgnoreCase(let s):
            if case .string(let e) = v { return CaseFolding.fold(e).utf8.reversed().starts(with: s.utf8.reversed()) }
            return false
        case .equalsIgnoreCase(let s):
            if case .string(let e) = v { return CaseFolding.fold(e) == s }
            return false
        case .wildcard(let w):
            if case .string(let e) = v { return w.matches(e) }
            return false
        case .numeric(let r):
            guard let d = Self.number(v) else { return false }
            return r.contains(d)
        case .cidr(let r):
            guard case .string(let e) = v, let ip = IPAddress(parsing: e) else { return false }
            return r.contains(ip)
        case .exists(let present):
            return present
        // anything-but matches every present leaf value the exclusions do not name, of any type
        // (AWS matches `null` and numbers against a list of excluded strings).
        case .anythingButStrings(let set):
            if case .string(let e) = v { return !set.contains(e) }
            return true
        case .anythingButNumbers(let numbers):
            guard let d = Self.number(v) else { return true }
            return !numbers.contains(d)
        case .anythingButIgnoreCase(let set):
            if case .string(let e) = v { return !set.contains(CaseFolding.fold(e)) }
            return true
        case .anythingButPrefix(let prefixes):
            guard case .string(let e) = v else { return true }
            return !prefixes.contains { e.utf8.starts(with: $0.utf8) }
        case .anythingButSuffix(let suffixes):
            guard case .string(let e) = v else { return true }
            return !suffixes.contains { e.utf8.reversed().starts(with: $0.utf8.reversed()) }
        case .anythingButWildcard(let ws):
            guard case .string(let e) = v else { return true }
            return !ws.contains { $0.matches(e) }
        }
    }

    static func number(_ v: Value) -> Double? {
        switch v {
        case .integer(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
}

/// Case-insensitive matching folds both sides the same way, once for the pattern at compile time.
enum CaseFolding {
    static func fold(_ s: String) -> String { s.lowercased() }
}
