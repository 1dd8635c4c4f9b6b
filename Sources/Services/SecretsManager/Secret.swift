import SimfraCore

/// One version of a secret's value. The value itself is never held in plain text: it is
/// AES-256-GCM ciphertext under a data key that KMS generated for this version, and only
/// KMS's encrypted copy of that data key is kept (envelope encryption, as AWS does).
struct SecretVersion: Codable, Sendable, Equatable {
    var id: String
    /// Staging labels, sorted (AWS lists them in that order).
    var stages: [String]
    var created: Double
    var lastAccessed: Double?
    /// The key the data key was generated under as the request named it; nil for the
    /// AWS managed `alias/aws/secretsmanager` (listed as `DefaultEncryptionKey`).
    var kmsKeyId: String?
    /// KMS's CiphertextBlob of the data key (self-describing: it names its key).
    var encryptedDataKey: [UInt8]
    /// Nonce, ciphertext and tag of the value (AES-GCM combined form).
    var ciphertext: [UInt8]
    /// SecretBinary rather than SecretString.
    var isBinary: Bool

    var isDeprecated: Bool { stages.isEmpty }
}

struct SecretTag: Codable, Sendable, Equatable {
    var key: String
    var value: String
}

struct RotationRules: Codable, Sendable, Equatable {
    var automaticallyAfterDays: Int?
    var duration: String?
    var scheduleExpression: String?
}

/// How one replica of a primary secret is doing, as DescribeSecret's `ReplicationStatus`.
struct ReplicaState: Codable, Sendable, Equatable {
    var region: String
    var kmsKeyId: String?
    var status: String
    var message: String
    var lastAccessed: Double?
}

/// A secret: metadata plus every version. A primary lists its replicas; a replica (another
/// region, same name and suffix) names its primary's region and is read-only.
struct Secret: Codable, Sendable, Equatable {
    var name: String
    var arn: String
    var account: String
    var region: String
    var description: String?
    var kmsKeyId: String?
    /// nil until tags were ever set (DescribeSecret then omits `Tags`; after removing the
    /// last tag AWS answers `Tags: []`).
    var tags: [SecretTag]?
    var created: Double
    var lastChanged: Double
    var lastAccessed: Double?
    var deletedDate: Double?
    var policy: String?
    var rotationEnabled: Bool?
    var rotationLambdaARN: String?
    var rotationRules: RotationRules?
    var lastRotated: Double?
    var nextRotation: Double?
    var owningService: String?
    /// Set on replicas: the primary's region.
    var primaryRegion: String?
    /// Set on primaries that replicate.
    var replicas: [ReplicaState] = []
    /// Oldest first.
    var versions: [SecretVersion] = []

    var isReplica: Bool { primaryRegion != nil }
    var isScheduledForDeletion: Bool { deletedDate != nil }

    func version(id: String) -> SecretVersion? { versions.first { $0.id == id } }
    func version(stage: String) -> SecretVersion? { versions.first { $0.stages.contains(stage) } }
    func versionIndex(id: String) -> Int? { versions.firstIndex { $0.id == id } }

    /// The six random characters AWS appends to the name in the ARN.
    var arnSuffix: String { String(arn.suffix(6)) }
}

/// Where secrets live: per account and region.
struct RegionKey: Hashable, Sendable {
    var account: String
    var region: String
}

struct SecretRef: Hashable, Sendable {
    var account: String
    var region: String
    var name: String
    var regionKey: RegionKey { RegionKey(account: account, region: region) }
}

extension Secret {
    var ref: SecretRef { SecretRef(account: account, region: region, name: name) }
}

/// Everything the service holds, under one lock.
struct SecretsManagerState {
    var secrets: [RegionKey: [String: Secret]] = [:]
    /// Secrets scheduled for deletion and when they go, so the sweep need not scan every secret.
    var scheduled: [SecretRef: Double] = [:]

    func secret(_ ref: SecretRef) -> Secret? { secrets[ref.regionKey]?[ref.name] }

    mutating func set(_ s: Secret) {
        secrets[s.ref.regionKey, default: [:]][s.name] = s
        if let d = s.deletedDate { scheduled[s.ref] = d } else { scheduled[s.ref] = nil }
    }

    mutating func remove(_ ref: SecretRef) {
        secrets[ref.regionKey]?[ref.name] = nil
        scheduled[ref] = nil
    }
}
