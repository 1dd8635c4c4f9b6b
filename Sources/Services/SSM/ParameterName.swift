import SimfraCore

/// Parameter names: what PutParameter accepts, the key a name is stored under, ARNs, and the
/// `name:version` / `name:label` selectors and ARNs the read operations accept.
enum ParameterName {
    /// Hierarchy depth limit.
    static let maxLevels = 15
    /// AWS counts the ARN prefix (`arn:aws:ssm:<region>:<account>:parameter/`) into 1011.
    static let maxLengthWithArn = 1011

    /// The storage key: `/Name` (one level, leading slash) and `Name` are one parameter,
    /// as in Parameter Store; hierarchical names are kept as they are.
    static func key(_ name: String) -> String {
        guard name.hasPrefix("/") else { return name }
        let rest = name.dropFirst()
        return rest.contains("/") ? name : String(rest)
    }

    /// `arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`.
    static func arn(region: String, account: String, name: String) -> String {
        let bare = name.hasPrefix("/") ? String(name.dropFirst()) : name
        return "arn:aws:ssm:\(region):\(account):parameter/\(bare)"
    }

    /// Public parameters (`/aws/service/…`) belong to no account.
    static func isPublic(_ name: String) -> Bool { name.hasPrefix("/aws/service/") || name == "/aws/service" }

    private static func allowed(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "." || c == "-" || c == "/")
    }

    static let charactersMessage =
        "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_"

    /// The name PutParameter creates (surrounding spaces removed, as AWS does), or AWS's error.
    static func validateForCreate(_ raw: String, region: String, account: String) throws(AWSError) -> String {
        let name = raw.trimmingSpaces
        let lowered = name.lowercased()
        let stripped = lowered.hasPrefix("/") ? String(lowered.dropFirst()) : lowered
        let isPath = name.dropFirst().contains("/")
        if stripped.hasPrefix("aws") || stripped.hasPrefix("ssm") {
            if lowered.hasPrefix("/aws") && isPath { throw SSMError.reservedName(name) }
            if !isPath {
                throw SSMError.validation("Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).")
            }
            throw SSMError.validation(charactersMessage)
        }
        if name.isEmpty || !name.allSatisfy(allowed) { throw SSMError.validation(charactersMessage) }
        if name.contains("/") && !name.hasPrefix("/") {
            throw SSMError.validation("Parameter name must be a fully qualified name.")
        }
        if name.contains("//") || (name.hasSuffix("/") && name.count > 1) || name == "/" {
            throw SSMError.validation(charactersMessage)
        }
        if name.split(separator: "/").count > maxLevels { throw SSMError.hierarchyTooDeep }
        if arn(region: region, account: account, name: name).count > maxLengthWithArn {
            throw SSMError.validation(
                "Parameter name: can't be longer than \(maxLengthWithArn) characters, including the ARN prefix arn:aws:ssm:\(region):\(account):parameter/.")
        }
        return name
    }

    /// A reference as the read operations take it: a name or parameter ARN, optionally with
    /// `:<version>` or `:<label>`.
    struct Reference: Equatable {
        var name: String
        /// The text after the colon, as the response's `Selector` echoes it (`:3`, `:prod`).
        var selector: String?
        var version: Int64? { selector.flatMap { Int64($0) } }
    }

    /// Splits `arn:aws:ssm:<r>:<a>:parameter/x/y:label` or `/x/y:3`. Returns nil for a string
    /// that cannot name a parameter (more than one selector).
    static func reference(_ raw: String) -> Reference? {
        var s = raw.trimmingSpaces
        if s.hasPrefix("arn:") {
            // arn:partition:ssm:region:account:parameter/<name>
            let parts = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[5].hasPrefix("parameter/") else { return nil }
            let rest = parts[5].dropFirst("parameter/".count)
            // `parameter/a/b` is `/a/b`; `parameter/name` is `name`.
            s = rest.contains("/") ? "/" + String(rest) : String(rest)
        }
        let pieces = s.split(separator: ":", omittingEmptySubsequences: false)
        switch pieces.count {
        case 1: return Reference(name: s, selector: nil)
        case 2: return Reference(name: String(pieces[0]), selector: String(pieces[1]))
        default: return nil
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
