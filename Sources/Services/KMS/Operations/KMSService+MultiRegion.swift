import SimfraCore
import SimfraPolicy

/// Multi-Region keys: ReplicateKey makes a replica in another region with the same key id
/// and the same material, so a ciphertext made in one region decrypts in the other.
extension KMSService {
    func replicateKey(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let replicaRegion = input.string("ReplicaRegion") ?? ""
        let tags = input.kmsTags("Tags")
        try Self.validateTags(tags, existing: [:])
        let parsedPolicy = try input.string("Policy").map { try Self.validatePolicy($0) }
        guard replicaRegion.split(separator: "-").count >= 3 else {
            throw KMSError.validation("Region \(replicaRegion) is not a valid AWS region.")
        }
        return try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var primary = st.keys[ref]!
            guard primary.isPrimary else {
                throw KMSError.unsupported("\(primary.arn) is not a multi-region primary key.")
            }
            if replicaRegion == ref.region || primary.replicaRegions.contains(replicaRegion) {
                throw KMSError.alreadyExists("Replica key in region \(replicaRegion) already exists for \(primary.arn)")
            }
            if primary.state == .pendingDeletion { throw KMSError.pendingDeletion(primary.arn) }
            let replicaRef = KeyRef(account: ref.account, region: replicaRegion, keyId: ref.keyId)
            if let parsedPolicy, input.bool("BypassPolicyLockoutSafetyCheck") != true {
                try Self.checkLockout(parsedPolicy, keyArn: replicaRef.arn, keyAccount: ref.account, ctx)
            }
            var replica = KMSKey(
                ref: replicaRef, created: clock.now(), description: input.string("Description") ?? "",
                keyUsage: primary.keyUsage, keySpec: primary.keySpec, origin: primary.origin, manager: "CUSTOMER",
                state: primary.origin == "EXTERNAL" ? .pendingImport : .enabled,
                policy: input.string("Policy") ?? KeyPolicies.defaultPolicy(account: ref.account),
                materials: primary.origin == "EXTERNAL" ? [] : primary.materials)
            for t in tags { replica.tags[t.key] = t.value }
            replica.multiRegion = true
            replica.primaryRegion = ref.region
            primary.replicaRegions.append(replicaRegion)
            replica.replicaRegions = primary.replicaRegions
            st.keys[replicaRef] = replica
            // Every copy lists every replica.
            for (other, var k) in st.keys where other.account == ref.account && other.keyId == ref.keyId && other != replicaRef {
                k.replicaRegions = primary.replicaRegions
                st.keys[other] = k
                writes.append(keyWrite(k))
            }
            writes.append(keyWrite(replica))
            return [
                "ReplicaKeyMetadata": replica.metadata(), "ReplicaPolicy": .string(replica.policy),
                "ReplicaTags": .list(tags.map { ["TagKey": .string($0.key), "TagValue": .string($0.value)] }),
            ]
        }
    }
}
