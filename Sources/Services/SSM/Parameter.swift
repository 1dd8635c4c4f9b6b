import SimfraCore

/// One version of a parameter, as PutParameter made it. Every version keeps its own value,
/// type, key, tier and policies: GetParameterHistory shows each as it was.
struct ParameterVersion: Codable, Sendable, Equatable {
    var version: Int64
    var type: String
    /// The value. For a SecureString: the ciphertext, base64, exactly what GetParameter
    /// answers without decryption (`envelope` says which shape it is).
    var value: String
    var description: String?
    var allowedPattern: String?
    /// SecureString only: the key as the request named it (`alias/aws/ssm` by default).
    var keyId: String?
    var tier: String
    /// The `Policies` JSON array as given; `policies` is its parsed form.
    var policiesText: String?
    var policies: [ParameterPolicy]
    var dataType: String
    var labels: [String]
    var lastModified: Double
    var lastModifiedUser: String
    /// A SecureString encrypted under a data key (advanced tier), not by kms:Encrypt.
    var envelope: Bool
    /// The `Expiration` policy's time (seconds since the epoch), when the version has one.
    var expiresAt: Double?

    var isSecure: Bool { type == "SecureString" }
}

/// One stored parameter policy (`{"Type":"Expiration","Version":"1.0","Attributes":{…}}`).
struct ParameterPolicy: Codable, Sendable, Equatable {
    var type: String
    var text: String
}

/// A parameter: its versions, oldest first (at most 100), and its tags.
struct SSMParameter: Sendable {
    /// The name as first created (`/app/db/password` or `MyParam`).
    var name: String
    var versions: [ParameterVersion]
    /// Tags in the order they were first set.
    var tags: [(key: String, value: String)]

    var latest: ParameterVersion { versions[versions.count - 1] }

    /// The latest version's `Expiration` policy has passed: Parameter Store has deleted it.
    func isExpired(at now: Double) -> Bool { latest.expiresAt.map { $0 <= now } ?? false }

    func version(_ v: Int64) -> ParameterVersion? { versions.first { $0.version == v } }

    func version(labelled label: String) -> ParameterVersion? { versions.first { $0.labels.contains(label) } }

    var tagMap: [String: String] {
        var m: [String: String] = [:]
        for t in tags { m[t.key] = t.value }
        return m
    }

    mutating func setTag(_ key: String, _ value: String) {
        if let i = tags.firstIndex(where: { $0.key == key }) {
            tags[i].value = value
        } else {
            tags.append((key, value))
        }
    }
}

/// Where a parameter lives: parameters are regional, per account.
struct ScopeKey: Hashable, Sendable {
    var account: String
    var region: String
}
