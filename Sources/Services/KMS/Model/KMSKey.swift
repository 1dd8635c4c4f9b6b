import SimfraCore

/// Where a key lives: KMS keys are regional and per account. Multi-Region replicas share the
/// key id (and material) with their primary, in other regions.
struct KeyRef: Hashable, Sendable {
    var account: String
    var region: String
    var keyId: String

    var arn: String { "arn:aws:kms:\(region):\(account):key/\(keyId)" }
}

enum KeyState: String, Sendable, Codable {
    case enabled = "Enabled"
    case disabled = "Disabled"
    case pendingDeletion = "PendingDeletion"
    case pendingImport = "PendingImport"
}

/// One version of a key's material. Rotation appends a version; ciphertexts name the version
/// they were made with, so old ciphertexts keep decrypting.
struct KeyMaterial: Sendable {
    /// AWS's KeyMaterialId: 64 hex characters.
    var id: String
    /// Symmetric: the 32-byte AES key. HMAC: the HMAC key. Asymmetric: the private key (DER).
    /// Empty for an EXTERNAL key whose imported material was deleted.
    var bytes: [UInt8]
    var created: Double
    /// `AWS_KMS` rotations are automatic or on demand; the first material has none.
    var rotationType: String?
    /// EXTERNAL keys: `KEY_MATERIAL_EXPIRES` with a `validTo`, or `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    var expirationModel: String?
    var validTo: Double?
    var description: String?
}

/// A grant: a principal allowed some operations on the key, with optional encryption
/// context constraints. The authoriser sees it as an extra Allow statement.
struct Grant: Sendable {
    var grantId: String
    var token: String
    var name: String?
    var granteePrincipal: String
    var retiringPrincipal: String?
    var issuingAccount: String
    var operations: [String]
    var contextEquals: [String: String]?
    var contextSubset: [String: String]?
    var created: Double
}

/// A KMS key and everything KMS keeps about it.
struct KMSKey: Sendable {
    var ref: KeyRef
    var created: Double
    var description: String
    var keyUsage: String
    var keySpec: String
    var origin: String
    /// `CUSTOMER` or `AWS` (the keys behind `alias/aws/<service>`).
    var manager: String
    var state: KeyState
    var deletionDate: Double?
    var pendingWindowInDays: Int?
    /// The key policy as the client wrote it (GetKeyPolicy returns it unchanged).
    var policy: String
    var tags: [String: String] = [:]
    /// Every material version, oldest first; the last is current.
    var materials: [KeyMaterial]
    var rotationEnabled = false
    var rotationPeriodInDays: Int?
    var nextRotation: Double?
    var onDemandRotationStart: Double?
    var multiRegion = false
    /// For multi-Region keys: the primary's region and every replica region.
    var primaryRegion: String?
    var replicaRegions: [String] = []
    var grants: [Grant] = []

    var arn: String { ref.arn }
    var keyId: String { ref.keyId }
    var current: KeyMaterial? { materials.last }
    var currentIndex: Int { materials.count - 1 }
    var isSymmetric: Bool { keySpec == "SYMMETRIC_DEFAULT" }
    var isPrimary: Bool { multiRegion && primaryRegion == ref.region }

    var encryptionAlgorithms: [String]? {
        guard keyUsage == "ENCRYPT_DECRYPT" else { return nil }
        return isSymmetric ? ["SYMMETRIC_DEFAULT"] : ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    }

    var signingAlgorithms: [String]? {
        guard keyUsage == "SIGN_VERIFY" else { return nil }
        switch keySpec {
        case "ECC_NIST_P256": return ["ECDSA_SHA_256"]
        case "ECC_NIST_P384": return ["ECDSA_SHA_384"]
        case "ECC_NIST_P521": return ["ECDSA_SHA_512"]
        case "ECC_NIST_EDWARDS25519": return ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
        default:
            return ["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
                    "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"]
        }
    }

    var macAlgorithms: [String]? {
        guard keyUsage == "GENERATE_VERIFY_MAC" else { return nil }
        return ["HMAC_SHA_" + keySpec.dropFirst("HMAC_".count)]
    }

    /// DescribeKey's `KeyMetadata`, member for member as AWS answers it.
    func metadata() -> Value {
        var m: [String: Value] = [
            "AWSAccountId": .string(ref.account),
            "Arn": .string(arn),
            "CreationDate": .timestamp(created),
            "CustomerMasterKeySpec": .string(keySpec),
            "Description": .string(description),
            "Enabled": .bool(state == .enabled),
            "KeyId": .string(keyId),
            "KeyManager": .string(manager),
            "KeySpec": .string(keySpec),
            "KeyState": .string(state.rawValue),
            "KeyUsage": .string(keyUsage),
            "MultiRegion": .bool(multiRegion),
            "Origin": .string(origin),
        ]
        if let current, !current.bytes.isEmpty { m["CurrentKeyMaterialId"] = .string(current.id) }
        if let a = encryptionAlgorithms { m["EncryptionAlgorithms"] = .list(a.map(Value.string)) }
        if let a = signingAlgorithms { m["SigningAlgorithms"] = .list(a.map(Value.string)) }
        if let a = macAlgorithms { m["MacAlgorithms"] = .list(a.map(Value.string)) }
        if keyUsage == "KEY_AGREEMENT" { m["KeyAgreementAlgorithms"] = ["ECDH"] }
        if let d = deletionDate { m["DeletionDate"] = .timestamp(d) }
        if let w = pendingWindowInDays, state == .pendingDeletion { m["PendingDeletionWindowInDays"] = .integer(Int64(w)) }
        if origin == "EXTERNAL" {
            let expires = current?.expirationModel ?? "KEY_MATERIAL_DOES_NOT_EXPIRE"
            if state != .pendingImport { m["ExpirationModel"] = .string(expires) }
            if let v = current?.validTo, state != .pendingImport { m["ValidTo"] = .timestamp(v) }
        }
        if multiRegion, let primary = primaryRegion {
            let primaryArn = "arn:aws:kms:\(primary):\(ref.account):key/\(keyId)"
            m["MultiRegionConfiguration"] = [
                "MultiRegionKeyType": .string(isPrimary ? "PRIMARY" : "REPLICA"),
                "PrimaryKey": ["Arn": .string(primaryArn), "Region": .string(primary)],
                "ReplicaKeys": .list(replicaRegions.map {
                    ["Arn": .string("arn:aws:kms:\($0):\(ref.account):key/\(keyId)"), "Region": .string($0)]
                }),
            ]
        }
        return .object(m)
    }
}
