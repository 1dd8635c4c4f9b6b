import SimfraCore

/// A function's identity: its account, region and name (names are unique per account and region).
struct FunctionKey: Hashable, Sendable, Comparable {
    var accountId: String
    var region: String
    var name: String

    static func < (a: FunctionKey, b: FunctionKey) -> Bool {
        (a.accountId, a.region, a.name) < (b.accountId, b.region, b.name)
    }

    func arn(partition: String) -> String { "arn:\(partition):lambda:\(region):\(accountId):function:\(name)" }

    func arn(partition: String, qualifier: String?) -> String {
        qualifier.map { arn(partition: partition) + ":" + $0 } ?? arn(partition: partition)
    }

    /// Function names as AWS allows them: letters, digits, `-` and `_`, 1–64 characters. Only
    /// such names reach records and file names.
    static func isValidName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
    }

    /// Versions are decimal numbers; aliases are names that are not all digits.
    static func isVersionNumber(_ s: String) -> Bool { !s.isEmpty && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
}

/// A function named the ways Lambda accepts (`my-fn`, `my-fn:alias`, `123456789012:function:my-fn`,
/// `arn:aws:lambda:us-east-1:123456789012:function:my-fn:1`), resolved against the caller's
/// account and region.
struct FunctionReference: Sendable, Equatable {
    var key: FunctionKey
    var qualifier: String?

    /// `qualifier` is the separate `Qualifier` member, which must agree with one in the name.
    static func parse(_ raw: String, qualifier: String?, context: RequestContext) throws(AWSError) -> FunctionReference {
        var account = context.accountId, region = context.region
        var parts = raw.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "arn" {
            guard parts.count == 7 || parts.count == 8, parts[2] == "lambda", parts[5] == "function" else {
                throw invalidName(raw)
            }
            region = parts[3]
            account = parts[4]
            parts = Array(parts[6...])
        } else if parts.count >= 3, parts[1] == "function" {
            account = parts[0]
            parts = Array(parts[2...])
        }
        guard parts.count == 1 || parts.count == 2, FunctionKey.isValidName(parts[0]) else { throw invalidName(raw) }
        var derived = parts.count == 2 ? parts[1] : nil
        if let q = qualifier {
            if let d = derived, d != q {
                throw LambdaError.invalid("The derived qualifier from the function name does not match the specified qualifier.")
            }
            derived = q
        }
        if region != context.region {
            throw LambdaError.invalid("Functions from '\(region)' are not reachable in this region ('\(context.region)')")
        }
        return FunctionReference(key: FunctionKey(accountId: account, region: region, name: parts[0]), qualifier: derived)
    }

    static func invalidName(_ raw: String) -> AWSError {
        LambdaError.validation(
            "1 validation error detected: Value '\(raw)' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
    }
}
