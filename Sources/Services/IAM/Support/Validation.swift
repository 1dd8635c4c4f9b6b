import SimfraCore

/// Checks the model cannot express (regular expressions), worded as AWS's validation layer.
enum Validation {
    static let namePattern = #"[\w+=,.@-]+"#
    static let pathPattern = #"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"#

    static func failure(_ value: String, _ member: String, _ pattern: String) -> AWSError {
        IAMError.validation(
            "1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: Member must satisfy regular expression pattern: \(pattern)"
        )
    }

    static func name(_ s: String, member: String) throws(AWSError) {
        for u in s.unicodeScalars {
            let ok = (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9")
                || "_+=,.@-".unicodeScalars.contains(u)
            if !ok { throw failure(s, member, namePattern) }
        }
    }

    static func path(_ s: String?, member: String = "path") throws(AWSError) -> String {
        guard let s else { return "/" }
        if s == "/" { return s }
        guard s.count >= 2, s.hasPrefix("/"), s.hasSuffix("/"),
            s.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7E })
        else { throw failure(s, member, pathPattern) }
        return s
    }

    /// Tags of a create or Tag* call: unique keys ignoring case.
    static func tags(_ input: Value, _ key: String = "Tags") throws(AWSError) -> [IAMTag] {
        var out: [IAMTag] = []
        var seen: Set<String> = []
        for t in input[key]?.listValue ?? [] {
            let k = t.required("Key")
            guard seen.insert(k.lowercased()).inserted else {
                throw IAMError.invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
            }
            out.append(IAMTag(key: k, value: t.string("Value") ?? ""))
        }
        return out
    }

    /// Merges new tags into existing ones (a key present ignoring case is replaced), at most 50.
    static func merge(_ new: [IAMTag], into tags: inout [IAMTag]) throws(AWSError) {
        var result = tags
        for t in new {
            if let i = result.firstIndex(where: { $0.key.lowercased() == t.key.lowercased() }) {
                result[i] = t
            } else {
                result.append(t)
            }
        }
        if result.count > 50 { throw IAMError.limitExceeded("The number of tags has reached the maximum limit.") }
        tags = result
    }

    static func untag(_ keys: [String], from tags: inout [IAMTag]) {
        let drop = Set(keys.map { $0.lowercased() })
        tags.removeAll { drop.contains($0.key.lowercased()) }
    }
}
