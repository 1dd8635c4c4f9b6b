import SimfraCore

/// Key rotation: Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
/// ListKeyRotations. Rotation appends a material version; ciphertexts name the version they
/// were made with, so old ones keep decrypting. Automatic rotation happens when the clock
/// passes the key's next rotation date (checked with the deletion sweep).
extension KMSService {
    static let onDemandRotationLimit = 25

    /// Only symmetric keys with AWS_KMS material rotate automatically; a multi-Region key
    /// rotates through its primary (its replicas receive the new material).
    private func rotatable(_ key: KMSKey) throws {
        guard key.isSymmetric, key.origin == "AWS_KMS" else {
            throw KMSError.unsupported("\(key.arn) key usage is \(key.keyUsage) and key spec is \(key.keySpec) and origin is \(key.origin), which do not support automatic key rotation.")
        }
        if key.multiRegion, !key.isPrimary { throw KMSError.unsupported("\(key.arn) is not a multi-region primary key.") }
    }

    /// Copies a multi-Region primary's material versions (and rotation settings) to its
    /// replicas, which share its material; returns their writes.
    func syncReplicas(_ st: inout KMSState, _ primary: KMSKey) -> [DurableWrite] {
        guard primary.isPrimary else { return [] }
        var writes: [DurableWrite] = []
        for region in primary.replicaRegions {
            let ref = KeyRef(account: primary.ref.account, region: region, keyId: primary.keyId)
            guard var replica = st.keys[ref] else { continue }
            replica.materials = primary.materials
            replica.rotationEnabled = primary.rotationEnabled
            replica.rotationPeriodInDays = primary.rotationPeriodInDays
            replica.nextRotation = primary.nextRotation
            st.keys[ref] = replica
            writes.append(keyWrite(replica))
        }
        return writes
    }

    private func stateForRotation(_ key: KMSKey) throws {
        switch key.state {
        case .enabled: return
        case .disabled: throw KMSError.disabled(key.arn)
        case .pendingDeletion: throw KMSError.pendingDeletion(key.arn)
        case .pendingImport: throw KMSError.pendingImport(key.arn)
        }
    }

    func enableKeyRotation(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let days = input.int("RotationPeriodInDays") ?? 365
        guard (90...2560).contains(days) else {
            throw KMSError.constraint(String(days), at: "rotationPeriodInDays",
                                      days < 90 ? "Member must have value greater than or equal to 90" : "Member must have value less than or equal to 2560")
        }
        return try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            try Self.refuseManaged(key, ctx)
            try stateForRotation(key)
            try rotatable(key)
            key.rotationEnabled = true
            key.rotationPeriodInDays = days
            let next = (key.materials.last?.created ?? clock.now()) + Double(days) * 86400
            key.nextRotation = max(next, clock.now())
            st.keys[ref] = key
            st.noteRotation(key.nextRotation!)
            writes.append(keyWrite(key))
            writes += syncReplicas(&st, key)
            return .empty
        }
    }

    func disableKeyRotation(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            try Self.refuseManaged(key, ctx)
            try stateForRotation(key)
            try rotatable(key)
            key.rotationEnabled = false
            key.rotationPeriodInDays = nil
            key.nextRotation = nil
            st.keys[ref] = key
            writes.append(keyWrite(key))
            writes += syncReplicas(&st, key)
            return .empty
        }
    }

    func getKeyRotationStatus(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            let key = st.keys[ref]!
            if key.state == .pendingDeletion { throw KMSError.pendingDeletion(key.arn) }
            var out: [String: Value] = ["KeyId": .string(key.arn), "KeyRotationEnabled": .bool(key.rotationEnabled)]
            if key.rotationEnabled {
                if let d = key.rotationPeriodInDays { out["RotationPeriodInDays"] = .integer(Int64(d)) }
                if let n = key.nextRotation { out["NextRotationDate"] = .timestamp(n) }
            }
            if let s = key.onDemandRotationStart { out["OnDemandRotationStartDate"] = .timestamp(s) }
            return .object(out)
        }
    }

    func rotateKeyOnDemand(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            try Self.refuseManaged(key, ctx)
            try stateForRotation(key)
            // AWS leaves this message empty.
            guard key.isSymmetric else { throw KMSError.unsupported("") }
            if key.origin == "EXTERNAL" {
                throw KMSError.unsupported("\(key.arn) origin is EXTERNAL which is not valid for this operation.")
            }
            if key.multiRegion, !key.isPrimary { throw KMSError.unsupported("\(key.arn) is not a multi-region primary key.") }
            if key.materials.filter({ $0.rotationType == "ON_DEMAND" }).count >= Self.onDemandRotationLimit {
                throw KMSError.limitExceeded(
                    "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: \(key.arn)")
            }
            let now = clock.now()
            try Self.rotate(&key, type: "ON_DEMAND", now: now)
            st.keys[ref] = key
            writes.append(keyWrite(key))
            writes += syncReplicas(&st, key)
            return ["KeyId": .string(key.arn)]
        }
    }

    static func rotate(_ key: inout KMSKey, type: String, now: Double) throws {
        key.materials.append(KeyMaterial(id: KMSIdentifiers.hex(64), bytes: try KeyMaterialFactory.generate(spec: key.keySpec),
                                         created: now, rotationType: type))
        if key.rotationEnabled, let d = key.rotationPeriodInDays { key.nextRotation = now + Double(d) * 86400 }
    }

    func listKeyRotations(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            let key = st.keys[ref]!
            guard key.isSymmetric else { throw KMSError.unsupported("") }
            let rotated = key.materials.filter { $0.rotationType != nil }
            let byId = Dictionary(rotated.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let page = try Pagination.page(rotated.map(\.id), input)
            return Pagination.output("Rotations", page.items.map { id in
                let m = byId[id]!
                return [
                    "KeyId": .string(key.arn), "RotationDate": .timestamp(m.created), "RotationType": .string(m.rotationType!),
                    "KeyMaterialId": .string(m.id),
                ]
            }, next: page.next)
        }
    }
}
