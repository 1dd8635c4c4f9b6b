import SimfraProtocols

/// The AWS-managed policies every account can read and attach (`arn:aws:iam::aws:policy/…`).
enum AWSManagedPolicies {
    static func arn(_ d: AWSManagedPolicyDocument) -> String { "arn:aws:iam::aws:policy\(d.path)\(d.name)" }

    static let byArn: [String: AWSManagedPolicyDocument] = {
        var m: [String: AWSManagedPolicyDocument] = [:]
        for d in awsManagedPolicyDocuments { m[arn(d)] = d }
        return m
    }()

    static func date(_ s: String) -> Double { Timestamp.parseISO8601(s) ?? 0 }

    static func isAWSManaged(_ arn: String) -> Bool { arn.hasPrefix("arn:aws:iam::aws:policy/") }
}
