import SimfraCore

/// Replication to other regions. A replica is a secret of the same name and ARN suffix in
/// the other region, encrypted by KMS there under the replica's key, readable there and
/// read-only. Every change to the primary converges its replicas (`syncReplicas`).
extension SecretsManagerService {
    struct ReplicaRequest: Sendable {
        var region: String
        var kmsKeyId: String?
    }

    static func isRegionName(_ r: String) -> Bool {
        let parts = r.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let last = parts.last, Int(last) != nil else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLetter && $0.isLowercase } }
    }

    static func replicaRequests(_ input: Value) throws -> [ReplicaRequest] {
        var out: [ReplicaRequest] = []
        for r in input["AddReplicaRegions"]?.listValue ?? [] {
            let region = r.string("Region") ?? ""
            guard isRegionName(region) else { throw SMError.invalidParameter("Invalid replica region: \(region)") }
            guard !out.contains(where: { $0.region == region }) else {
                throw SMError.invalidParameter("Duplicate replica region: \(region)")
            }
            out.append(ReplicaRequest(region: region, kmsKeyId: r.string("KmsKeyId")))
        }
        return out
    }

    /// Adds replica regions to a primary and replicates to them; the primary's statuses after.
    func addReplicas(_ ref: SecretRef, _ requests: [ReplicaRequest], force: Bool, _ ctx: RequestContext,
                     plaintexts: [String: NewValue]) async throws -> [ReplicaState]
    {
        if requests.contains(where: { $0.region == ref.region }) {
            throw SMError.invalidParameter("Invalid replica region: the secret's primary region can't be a replica region.")
        }
        let removals = try state.withLock { st -> [DurableWrite] in
            guard let primary = st.secret(ref) else { throw SMError.notFound() }
            var writes: [DurableWrite] = []
            for r in requests where !primary.replicas.contains(where: { $0.region == r.region }) {
                let target = SecretRef(account: ref.account, region: r.region, name: ref.name)
                if st.secret(target) != nil, force {
                    st.remove(target)
                    writes.append(unpersist(target))
                }
            }
            return writes
        }
        if !removals.isEmpty { try await records.apply(removals).wait() }
        try await mutate(ref) { sec, st in
            for r in requests where !sec.replicas.contains(where: { $0.region == r.region }) {
                let target = SecretRef(account: ref.account, region: r.region, name: ref.name)
                if st.secret(target) != nil {
                    sec.replicas.append(ReplicaState(region: r.region, kmsKeyId: r.kmsKeyId, status: "Failed",
                                                     message: "Replication failed: Secret name already exists in the region."))
                } else {
                    sec.replicas.append(ReplicaState(region: r.region, kmsKeyId: r.kmsKeyId, status: "InProgress",
                                                     message: "Replication in progress."))
                }
            }
        }
        await syncReplicas(ref, ctx, plaintexts: plaintexts)
        return state.withLock { $0.secret(ref)?.replicas ?? [] }
    }

    /// Brings every replica of a primary up to date: metadata copied, versions it lacks
    /// encrypted in the replica's region (values taken from `plaintexts` or decrypted from the
    /// primary as the caller). A failure marks that replica `Failed`.
    func syncReplicas(_ ref: SecretRef, _ ctx: RequestContext, plaintexts: [String: NewValue]) async {
        guard let primary = state.withLock({ $0.secret(ref) }), !primary.isReplica, !primary.replicas.isEmpty else { return }
        var plain = plaintexts
        var built: [(ReplicaState, Secret?)] = []
        for r in primary.replicas {
            if r.status == "Failed", r.message.contains("already exists") {
                built.append((r, nil))
                continue
            }
            let target = SecretRef(account: ref.account, region: r.region, name: ref.name)
            let existing = state.withLock { $0.secret(target) }.flatMap { $0.primaryRegion == primary.region ? $0 : nil }
            var rctx = ctx
            rctx.region = r.region
            let rarn = Self.arn(region: r.region, account: ref.account, name: ref.name, suffix: primary.arnSuffix)
            var replica = primary
            replica.arn = rarn
            replica.region = r.region
            replica.kmsKeyId = r.kmsKeyId
            replica.primaryRegion = primary.region
            replica.replicas = []
            replica.deletedDate = nil
            replica.lastAccessed = existing?.lastAccessed
            replica.created = existing?.created ?? clock.now()
            replica.versions = []
            var rs = r
            do {
                for v in primary.versions {
                    if var ev = existing?.version(id: v.id) {
                        ev.stages = v.stages
                        replica.versions.append(ev)
                        continue
                    }
                    let value: NewValue
                    if let p = plain[v.id] {
                        value = p
                    } else {
                        value = NewValue(bytes: try await decrypt(v, arn: primary.arn, context: ctx), isBinary: v.isBinary)
                        plain[v.id] = value
                    }
                    replica.versions.append(try await encrypt(
                        value.bytes, arn: rarn, versionId: v.id, keyId: r.kmsKeyId, isBinary: v.isBinary, stages: v.stages,
                        now: v.created, context: rctx))
                }
                rs.status = "InSync"
                rs.message = "Replication succeeded"
                built.append((rs, replica))
            } catch {
                rs.status = "Failed"
                rs.message = "Replication failed: \((error as? AWSError)?.message ?? "\(error)")"
                built.append((rs, nil))
            }
        }
        let commit = state.withLock { st -> Commit? in
            guard var p = st.secret(ref), p.arn == primary.arn else { return nil }
            var writes: [DurableWrite] = []
            for (status, replica) in built {
                guard let i = p.replicas.firstIndex(where: { $0.region == status.region }) else { continue }
                var s = status
                if let replica {
                    // Another secret took the name meanwhile: the replica does not overwrite it.
                    if let other = st.secret(replica.ref), other.primaryRegion != primary.region {
                        s.status = "Failed"
                        s.message = "Replication failed: Secret name already exists in the region."
                    } else {
                        s.lastAccessed = replica.lastAccessed
                        st.set(replica)
                        writes.append(.put(kind: SecretRecord.kind, account: replica.account, region: replica.region,
                                           id: replica.name, data: SecretRecord.encode(replica, records: records)))
                    }
                }
                p.replicas[i] = s
            }
            st.set(p)
            writes.append(.put(kind: SecretRecord.kind, account: p.account, region: p.region, id: p.name,
                               data: SecretRecord.encode(p, records: records)))
            return records.apply(writes)
        }
        try? await commit?.wait()
    }

    func replicateSecretToRegions(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        let requests = try Self.replicaRequests(input)
        let status = try await addReplicas(s.ref, requests, force: input.bool("ForceOverwriteReplicaSecret") ?? false, ctx,
                                           plaintexts: [:])
        return ["ARN": .string(s.arn), "ReplicationStatus": Self.replicationValue(status)]
    }

    func removeRegionsFromReplication(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        let regions = input.stringList("RemoveReplicaRegions") ?? []
        let (remaining, commit) = try state.withLock { st -> ([ReplicaState], Commit) in
            guard var p = st.secret(s.ref) else { throw SMError.notFound() }
            var writes: [DurableWrite] = []
            for region in regions {
                guard p.replicas.contains(where: { $0.region == region }) else { continue }
                p.replicas.removeAll { $0.region == region }
                let target = SecretRef(account: s.account, region: region, name: s.name)
                if st.secret(target)?.primaryRegion == p.region {
                    st.remove(target)
                    writes.append(unpersist(target))
                }
            }
            st.set(p)
            writes.append(.put(kind: SecretRecord.kind, account: p.account, region: p.region, id: p.name,
                               data: SecretRecord.encode(p, records: records)))
            return (p.replicas, records.apply(writes))
        }
        try await commit.wait()
        return ["ARN": .string(s.arn), "ReplicationStatus": Self.replicationValue(remaining)]
    }

    /// Promotes a replica to a standalone secret in its region (called there).
    func stopReplicationToReplica(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard let primaryRegion = s.primaryRegion else {
            throw SMError.invalidRequest("Operation is permitted only on a replica secret.")
        }
        let commit = state.withLock { st -> Commit in
            var writes: [DurableWrite] = []
            if var r = st.secret(s.ref) {
                r.primaryRegion = nil
                st.set(r)
                writes.append(.put(kind: SecretRecord.kind, account: r.account, region: r.region, id: r.name,
                                   data: SecretRecord.encode(r, records: records)))
            }
            let pref = SecretRef(account: s.account, region: primaryRegion, name: s.name)
            if var p = st.secret(pref) {
                p.replicas.removeAll { $0.region == s.region }
                st.set(p)
                writes.append(.put(kind: SecretRecord.kind, account: p.account, region: p.region, id: p.name,
                                   data: SecretRecord.encode(p, records: records)))
            }
            return records.apply(writes)
        }
        try await commit.wait()
        return ["ARN": .string(s.arn)]
    }
}
