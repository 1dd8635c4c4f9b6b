import Crypto
import SimfraCore
import SimfraPolicy

/// Key lifecycle: CreateKey, DescribeKey, ListKeys, Enable/Disable, deletion scheduling,
/// descriptions.
extension KMSService {
    static let keySpecs: Set<String> = [
        "SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
        "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
    ]

    /// Key usages each key spec allows; the first is the default when KeyUsage is omitted
    /// (only symmetric keys have one).
    static func usages(for spec: String) -> [String] {
        switch spec {
        case "SYMMETRIC_DEFAULT": return ["ENCRYPT_DECRYPT"]
        case "RSA_2048", "RSA_3072", "RSA_4096": return ["ENCRYPT_DECRYPT", "SIGN_VERIFY"]
        case "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521": return ["SIGN_VERIFY", "KEY_AGREEMENT"]
        case "ECC_SECG_P256K1": return ["SIGN_VERIFY"]
        case "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512": return ["GENERATE_VERIFY_MAC"]
        case "SM2": return ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"]
        default: return ["SIGN_VERIFY"]
        }
    }

    func createKey(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let spec = input.string("KeySpec") ?? input.string("CustomerMasterKeySpec") ?? "SYMMETRIC_DEFAULT"
        if let a = input.string("KeySpec"), let b = input.string("CustomerMasterKeySpec"), a != b {
            throw KMSError.validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec parameter is deprecated. Use KeySpec instead.")
        }
        let usage: String
        if let u = input.string("KeyUsage") {
            usage = u
        } else if spec == "SYMMETRIC_DEFAULT" {
            usage = "ENCRYPT_DECRYPT"
        } else {
            throw KMSError.validation("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")
        }
        guard Self.usages(for: spec).contains(usage) else {
            throw KMSError.validation("KeyUsage \(usage) is not compatible with KeySpec \(spec)")
        }
        let origin = input.string("Origin") ?? "AWS_KMS"
        switch origin {
        case "AWS_KMS", "EXTERNAL": break
        default:
            throw KMSError.unsupported("Simfra has no custom key stores; Origin \(origin) is not supported.")
        }
        if input.string("CustomKeyStoreId") != nil {
            throw KMSError.make("CustomKeyStoreNotFoundException", "Custom key store not found.")
        }
        let multiRegion = input.bool("MultiRegion") ?? false
        let tags = input.kmsTags("Tags")
        try Self.validateTags(tags, existing: [:])
        let parsedPolicy = try input.string("Policy").map { try Self.validatePolicy($0) }
        // EXTERNAL keys wait for ImportKeyMaterial (PendingImport, no material).
        var material: [UInt8]?
        if origin != "EXTERNAL" { material = try KeyMaterialFactory.generate(spec: spec) }
        if origin == "EXTERNAL", ["ECC_SECG_P256K1", "SM2"].contains(spec) || spec.hasPrefix("ML_DSA") {
            throw KMSError.unsupported("KeySpec \(spec) is not supported by Simfra.")
        }
        if input.bool("DryRun") == true { throw KMSError.dryRun() }

        let now = clock.now()
        let id = multiRegion ? KMSIdentifiers.multiRegionKeyId() : KMSIdentifiers.keyId()
        let ref = KeyRef(account: ctx.accountId, region: ctx.region, keyId: id)
        if let parsedPolicy, input.bool("BypassPolicyLockoutSafetyCheck") != true {
            try Self.checkLockout(parsedPolicy, keyArn: ref.arn, keyAccount: ref.account, ctx)
        }
        var key = KMSKey(
            ref: ref, created: now, description: input.string("Description") ?? "", keyUsage: usage, keySpec: spec,
            origin: origin, manager: "CUSTOMER", state: material == nil ? .pendingImport : .enabled,
            policy: input.string("Policy") ?? KeyPolicies.defaultPolicy(account: ctx.accountId),
            materials: material.map { [KeyMaterial(id: KMSIdentifiers.hex(64), bytes: $0, created: now)] } ?? [])
        for t in tags { key.tags[t.key] = t.value }
        if multiRegion {
            key.multiRegion = true
            key.primaryRegion = ctx.region
        }
        let created = key
        return try await mutate { st, writes in
            st.keys[ref] = created
            writes.append(keyWrite(created))
            return ["KeyMetadata": created.metadata()]
        }
    }

    func describeKey(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            return ["KeyMetadata": st.keys[ref]!.metadata()]
        }
    }

    func listKeys(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, _ in
            let all = st.keys.values.filter { $0.ref.account == ctx.accountId && $0.ref.region == ctx.region }
                .sorted { ($0.created, $0.keyId) < ($1.created, $1.keyId) }
            let page = try Pagination.page(all.map { $0.keyId }, input)
            return Pagination.output(
                "Keys",
                page.items.map { id in ["KeyId": .string(id), "KeyArn": .string(KeyRef(account: ctx.accountId, region: ctx.region, keyId: id).arn)] },
                next: page.next)
        }
    }

    func setEnabled(_ enable: Bool, _ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            switch key.state {
            case .pendingDeletion: throw KMSError.pendingDeletion(key.arn)
            case .pendingImport: throw KMSError.pendingImport(key.arn)
            case .enabled, .disabled: break
            }
            try Self.refuseManaged(key, ctx)
            let target: KeyState = enable ? .enabled : .disabled
            if key.state != target {
                key.state = target
                st.keys[ref] = key
                writes.append(keyWrite(key))
            }
            return .empty
        }
    }

    func scheduleKeyDeletion(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let days = input.int("PendingWindowInDays") ?? 30
        if days < 7 {
            throw KMSError.constraint(String(days), at: "pendingWindowInDays", "Member must have value greater than or equal to 7")
        }
        if days > 30 {
            throw KMSError.constraint(String(days), at: "pendingWindowInDays", "Member must have value less than or equal to 30")
        }
        return try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            try Self.refuseManaged(key, ctx)
            if key.state == .pendingDeletion { throw KMSError.pendingDeletion(key.arn) }
            if key.isPrimary, !key.replicaRegions.isEmpty {
                throw KMSError.unsupported("\(key.arn) is a multi-region primary key with replicas; delete its replica keys first.")
            }
            let date = clock.now() + Double(days) * 86400
            key.state = .pendingDeletion
            key.deletionDate = date
            key.pendingWindowInDays = days
            st.keys[ref] = key
            st.noteDeletion(date)
            writes.append(keyWrite(key))
            return [
                "KeyId": .string(key.arn), "DeletionDate": .timestamp(date), "KeyState": "PendingDeletion",
                "PendingWindowInDays": .integer(Int64(days)),
            ]
        }
    }

    func cancelKeyDeletion(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            guard key.state == .pendingDeletion else {
                throw KMSError.invalidState("\(key.arn) is not pending deletion.")
            }
            // A key comes back Disabled, as in AWS (PendingImport if its material is gone).
            key.state = key.current?.bytes.isEmpty == false ? .disabled : .pendingImport
            key.deletionDate = nil
            key.pendingWindowInDays = nil
            st.keys[ref] = key
            writes.append(keyWrite(key))
            return ["KeyId": .string(key.arn)]
        }
    }

    func updateKeyDescription(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            try Self.refuseManaged(key, ctx)
            if key.state == .pendingDeletion { throw KMSError.pendingDeletion(key.arn) }
            key.description = input.string("Description") ?? ""
            st.keys[ref] = key
            writes.append(keyWrite(key))
            return .empty
        }
    }

    /// AWS-managed keys belong to AWS: their owners may use and read them, not manage them.
    static func refuseManaged(_ key: KMSKey, _ ctx: RequestContext) throws {
        if key.manager == "AWS" {
            throw KMSError.unsupported("\(key.arn) is an AWS managed key. This operation is not supported for AWS managed keys.")
        }
    }
}

/// KMS's Limit/Marker pagination: the marker is the last item returned, opaque to clients.
enum Pagination {
    struct Page {
        var items: [String]
        var next: String?
    }

    static func page(_ all: [String], _ input: Value, defaultLimit: Int = 100) throws -> Page {
        let limit = input.int("Limit") ?? defaultLimit
        var start = 0
        if let marker = input.string("Marker") {
            guard let i = all.firstIndex(of: marker) else { throw KMSError.invalidMarker() }
            start = i + 1
        }
        let end = min(all.count, start + limit)
        let items = Array(all[start..<end])
        return Page(items: items, next: end < all.count ? items.last : nil)
    }

    static func output(_ member: String, _ items: [Value], next: String?) -> Value {
        var o: [String: Value] = [member: .list(items), "Truncated": .bool(next != nil)]
        if let next { o["NextMarker"] = .string(next) }
        return .object(o)
    }
}
