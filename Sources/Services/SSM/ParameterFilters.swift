import SimfraCore

/// `ParameterFilters` of DescribeParameters and GetParametersByPath (and DescribeParameters'
/// older `Filters`), validated with Parameter Store's errors and matched against a
/// parameter's latest version, its labels and its tags.
struct ParameterFilters {
    struct Filter: Equatable {
        var key: String
        var option: String
        var values: [String]
    }

    static let types = ["String", "StringList", "SecureString"]
    static let tiers = ["Standard", "Advanced", "Intelligent-Tiering"]

    static func parse(_ list: [Value], byPath: Bool) throws(AWSError) -> [Filter] {
        var out: [Filter] = []
        var keys: Set<String> = []
        for item in list {
            let key = item["Key"]?.stringValue ?? ""
            let values = item["Values"]?.listValue?.compactMap(\.stringValue) ?? []
            let option = item["Option"]?.stringValue ?? (key == "Path" ? "OneLevel" : "Equals")
            let isTag = key.hasPrefix("tag:") && key.count > 4
            if !isTag && !["Name", "Type", "KeyId", "Path", "Label", "Tier", "DataType"].contains(key) {
                throw SSMError.validation(
                    "1 validation error detected: Value '\(key)' at 'parameterFilters.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType")
            }
            if byPath && ["Name", "Path", "Tier"].contains(key) {
                throw SSMError.invalidFilterKey(
                    "The following filter key is not valid: \(key). Valid filter keys include: [Type, KeyId, Label, DataType, tag]")
            }
            if !byPath && key == "Label" {
                throw SSMError.invalidFilterKey(
                    "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier, DataType, tag].")
            }
            if !isTag && values.isEmpty {
                throw SSMError.invalidFilterValue("The following filter values are missing : null for filter key \(key).")
            }
            guard keys.insert(key).inserted else {
                throw SSMError.invalidFilterKey(
                    "The following filter is duplicated in the request: \(key). A request can contain only one occurrence of a specific filter.")
            }
            switch key {
            case "Path":
                guard option == "Recursive" || option == "OneLevel" else {
                    throw SSMError.invalidFilterOption(
                        "The following filter option is not valid: \(option). Valid options include: [Recursive, OneLevel].")
                }
                for v in values {
                    let l = v.lowercased()
                    if l.hasPrefix("/aws") || l.hasPrefix("/ssm") {
                        throw SSMError.validation(
                            "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). When using global parameters, please specify within a global namespace.")
                    }
                    if v.contains("//") || !v.hasPrefix("/")
                        || !v.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/_.-".contains($0)) })
                    {
                        throw SSMError.validation(SSMService.pathMessage)
                    }
                }
            case "Label":
                guard option == "Equals" else {
                    throw SSMError.invalidFilterOption("The following filter option is not valid: \(option). Valid options include: [Equals].")
                }
            default:
                let allowed = key == "Name" ? ["Equals", "BeginsWith", "Contains"] : ["Equals", "BeginsWith"]
                guard allowed.contains(option) else {
                    throw SSMError.invalidFilterOption(
                        "The following filter option is not valid: \(option). Valid options include: [\(allowed.sorted().joined(separator: ", "))].")
                }
            }
            if key == "Type", let bad = values.first(where: { !types.contains($0) }) {
                throw SSMError.invalidFilterValue(
                    "The following filter value is not valid: \(bad). Valid values include: [String, StringList, SecureString].")
            }
            if key == "Tier", let bad = values.first(where: { !tiers.contains($0) }) {
                throw SSMError.invalidFilterValue(
                    "The following filter value is not valid: \(bad). Valid values include: [Standard, Advanced, Intelligent-Tiering].")
            }
            out.append(Filter(key: key, option: option, values: values))
        }
        return out
    }

    /// DescribeParameters' `Filters` (Name, Type, KeyId): Name matches as a prefix, as AWS does.
    static func legacy(_ list: [Value]) -> [Filter] {
        list.compactMap { item in
            guard let key = item["Key"]?.stringValue else { return nil }
            let values = item["Values"]?.listValue?.compactMap(\.stringValue) ?? []
            return Filter(key: key, option: key == "Name" ? "BeginsWith" : "Equals", values: values)
        }
    }

    static func matches(_ p: SSMParameter, _ filters: [Filter]) -> Bool {
        filters.allSatisfy { matches(p, $0) }
    }

    private static func rooted(_ s: String) -> String { s.hasPrefix("/") ? s : "/" + s }

    static func matches(_ p: SSMParameter, _ f: Filter) -> Bool {
        let v = p.latest
        switch f.key {
        case "Name":
            if f.option == "Contains" { return f.values.contains { p.name.contains($0) } }
            return compare(rooted(p.name), f.values.map(rooted), f.option)
        case "Path":
            let name = rooted(p.name)
            return f.values.contains { raw in
                var path = rooted(raw)
                while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
                let prefix = path == "/" ? "/" : path + "/"
                guard name.hasPrefix(prefix) else { return false }
                return f.option == "Recursive" || !name.dropFirst(prefix.count).contains("/")
            }
        case "Type": return compare(v.type, f.values, f.option)
        case "KeyId": return v.keyId.map { compare($0, f.values, f.option) } ?? false
        case "Tier": return compare(v.tier, f.values, f.option)
        case "DataType": return compare(v.dataType, f.values, f.option)
        case "Label": return p.versions.contains { ver in ver.labels.contains { f.values.contains($0) } }
        default:
            let tagKey = String(f.key.dropFirst(4))
            guard let value = p.tagMap[tagKey] else { return false }
            return f.values.isEmpty || compare(value, f.values, f.option)
        }
    }

    private static func compare(_ s: String, _ values: [String], _ option: String) -> Bool {
        option == "BeginsWith" ? values.contains { s.hasPrefix($0) } : values.contains(s)
    }
}
