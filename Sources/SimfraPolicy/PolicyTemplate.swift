/// A policy string that may hold policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`,
/// `${s3:prefix, 'home'}`), resolved against a request's context keys.
///
/// AWS only substitutes variables in documents of version 2012-10-17; older documents keep
/// `${...}` as literal text, so the parser builds templates only for that version.
/// `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$` (so a resource can name an
/// object whose key really contains an asterisk).
package struct PolicyTemplate: Sendable, Equatable {
    package enum Part: Sendable, Equatable {
        /// Text where `*` and `?` keep their wildcard meaning in patterns.
        case text(String)
        /// A character that is always literal (`${*}`, `${?}`, `${$}`).
        case escaped(UInt8)
        /// A context key (lower-cased) with an optional default used when the key is absent.
        case variable(key: String, defaultValue: String?)
    }

    package let parts: [Part]

    package var hasVariables: Bool {
        parts.contains { if case .variable = $0 { return true } else { return false } }
    }

    package init(parts: [Part]) { self.parts = parts }

    /// Parses `text`; with `substitute == false` (version 2008-10-17 or none) the text is literal.
    package init(_ text: String, substitute: Bool) {
        guard substitute, text.firstRange(of: "${") != nil else {
            parts = [.text(text)]
            return
        }
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            let inner = rest[open.upperBound..<close]
            switch inner {
            case "*": parts.append(.escaped(UInt8(ascii: "*")))
            case "?": parts.append(.escaped(UInt8(ascii: "?")))
            case "$": parts.append(.escaped(UInt8(ascii: "$")))
            default:
                if let v = Self.variable(inner) {
                    parts.append(v)
                } else {
                    // Not a variable AWS recognises: the text stays as written.
                    parts.append(.text(String(rest[open.lowerBound...close])))
                }
            }
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    /// `key` or `key, 'default'` (spaces around the comma allowed).
    private static func variable(_ inner: Substring) -> Part? {
        var key = inner
        var defaultValue: String?
        if let comma = inner.firstIndex(of: ",") {
            key = inner[..<comma]
            let d = inner[inner.index(after: comma)...].trimmingSpaces
            guard d.count >= 2, d.first == "'", d.last == "'" else { return nil }
            defaultValue = String(d.dropFirst().dropLast())
        }
        let k = key.trimmingSpaces
        guard !k.isEmpty, !k.contains(Character(" ")), !k.contains(Character("{")), !k.contains(Character("$")) else { return nil }
        return .variable(key: k.lowercased(), defaultValue: defaultValue)
    }

    /// The literal string (wildcards left as text), or nil when a variable has no value:
    /// AWS then treats the element as not matching.
    package func resolveString(_ context: PolicyContext) -> String? {
        if parts.count == 1, case .text(let t) = parts[0] { return t }
        var out = ""
        for p in parts {
            switch p {
            case .text(let t): out += t
            case .escaped(let b): out.unicodeScalars.append(Unicode.Scalar(b))
            case .variable(let key, let d):
                guard let v = context.singleValue(key) ?? d else { return nil }
                out += v
            }
        }
        return out
    }

    /// Pattern tokens: wildcards in text stay wildcards; escapes and variable values are literal.
    package func resolveTokens(_ context: PolicyContext, lowercased: Bool = false) -> [UInt16]? {
        var out: [UInt16] = []
        out.reserveCapacity(64)
        for p in parts {
            switch p {
            case .text(let t):
                for b in t.utf8 {
                    switch b {
                    case UInt8(ascii: "*"): out.append(WildcardPattern.star)
                    case UInt8(ascii: "?"): out.append(WildcardPattern.question)
                    case 65...90 where lowercased: out.append(UInt16(b) + 32)
                    default: out.append(UInt16(b))
                    }
                }
            case .escaped(let b): out.append(UInt16(b))
            case .variable(let key, let d):
                guard let v = context.singleValue(key) ?? d else { return nil }
                for b in v.utf8 {
                    out.append(lowercased && b >= 65 && b <= 90 ? UInt16(b) + 32 : UInt16(b))
                }
            }
        }
        return out
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
