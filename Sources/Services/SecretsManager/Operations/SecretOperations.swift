import SimfraCore

/// CreateSecret, DescribeSecret, UpdateSecret, DeleteSecret, RestoreSecret, ListSecrets.
extension SecretsManagerService {
    static func tags(_ input: Value, _ key: String = "Tags") throws -> [SecretTag]? {
        guard let list = input[key]?.listValue else { return nil }
        var out: [SecretTag] = []
        for t in list {
            let k = t.string("Key") ?? ""
            let v = t.string("Value") ?? ""
            if let i = out.firstIndex(where: { $0.key == k }) { out[i].value = v } else { out.append(SecretTag(key: k, value: v)) }
        }
        if out.count > 50 { throw SMError.invalidParameter("You can't add more than 50 tags to a secret.") }
        return out
    }

    func createSecret(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        guard Self.isValidName(name) else { throw SMError.invalidName() }
        let value = try Self.newValue(input)
        let token = input.string("ClientRequestToken")
        if value != nil, token == nil { throw SMError.tokenRequired() }
        let tags = try Self.tags(input)
        let keyId = input.string("KmsKeyId")
        let replicaRegions = try Self.replicaRequests(input)
        let ref = SecretRef(account: ctx.accountId, region: ctx.region, name: name)

        if let existing = state.withLock({ $0.secret(ref) }) {
            if existing.isScheduledForDeletion {
                throw SMError.invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
            }
            // A retried CreateSecret (same token, same value) answers as the first did.
            if let token, let value, try await retriedVersion(token: token, of: existing, value: value, ctx) != nil {
                var out = Self.nameAndArn(existing)
                out["VersionId"] = .string(token)
                return .object(out)
            }
            throw SMError.exists(name)
        }

        let now = clock.now()
        let arn = Self.arn(region: ctx.region, account: ctx.accountId, name: name, suffix: Self.randomSuffix())
        var secret = Secret(name: name, arn: arn, account: ctx.accountId, region: ctx.region,
                            description: input.string("Description"), kmsKeyId: keyId, tags: tags, created: now,
                            lastChanged: now)
        if let value, let token {
            let v = try await encrypt(value.bytes, arn: arn, versionId: token, keyId: keyId, isBinary: value.isBinary,
                                      stages: [Secret.current], now: now, context: ctx)
            secret.add(v, now: now)
        }
        let commit = try state.withLock { st -> Commit in
            if let other = st.secret(ref) {
                if other.isScheduledForDeletion {
                    throw SMError.invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
                }
                throw SMError.exists(name)
            }
            st.set(secret)
            return persist(secret)
        }
        try await commit.wait()
        var out = Self.nameAndArn(secret)
        if let token, value != nil { out["VersionId"] = .string(token) }
        if !replicaRegions.isEmpty {
            let status = try await addReplicas(ref, replicaRegions, force: input.bool("ForceOverwriteReplicaSecret") ?? false,
                                               ctx, plaintexts: value.flatMap { v in token.map { [$0: v] } } ?? [:])
            out["ReplicationStatus"] = Self.replicationValue(status)
        }
        return .object(out)
    }

    func describeSecret(_ input: Value, _ ctx: RequestContext) throws -> Value {
        Self.describeValue(try lookup(input, ctx, allowDeleted: true), listing: false)
    }

    func updateSecret(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        let value = try Self.newValue(input)
        let token = input.string("ClientRequestToken")
        if value != nil, token == nil { throw SMError.tokenRequired() }
        let description = input.string("Description")
        let keyId = input.string("KmsKeyId")
        func applyMetadata(_ sec: inout Secret) {
            if let description { sec.description = description }
            if let keyId { sec.kmsKeyId = keyId }
        }
        var out = Self.nameAndArn(s)
        if let keyId, keyId != s.kmsKeyId {
            // As AWS does, the versions in use (AWSCURRENT, AWSPENDING, AWSPREVIOUS) are
            // re-encrypted under the new key; older versions keep theirs.
            try await reencrypt(s, keyId: keyId, ctx)
        }
        if let value, let token {
            if try await retriedVersion(token: token, of: s, value: value, ctx) == nil {
                // A new KmsKeyId applies to the new version already.
                var target = s
                if let keyId { target.kmsKeyId = keyId }
                _ = try await addVersion(to: target, token: token, value: value, stages: [Secret.current], ctx,
                                         also: applyMetadata)
            }
            out["VersionId"] = .string(token)
        } else {
            let now = clock.now()
            try await mutate(s.ref) { sec, _ in
                applyMetadata(&sec)
                sec.lastChanged = now
            }
            await syncReplicas(s.ref, ctx, plaintexts: [:])
        }
        return .object(out)
    }

    /// Re-encrypts the versions carrying AWSCURRENT, AWSPENDING or AWSPREVIOUS under `keyId`,
    /// decrypting each as the caller.
    func reencrypt(_ s: Secret, keyId: String, _ ctx: RequestContext) async throws {
        let inUse = s.versions.filter { v in [Secret.current, Secret.pending, Secret.previous].contains { v.stages.contains($0) } }
        var fresh: [String: SecretVersion] = [:]
        for v in inUse {
            let plain = try await decrypt(v, arn: s.arn, context: ctx)
            fresh[v.id] = try await encrypt(plain, arn: s.arn, versionId: v.id, keyId: keyId, isBinary: v.isBinary,
                                            stages: v.stages, now: v.created, context: ctx)
        }
        guard !fresh.isEmpty else { return }
        try await mutate(s.ref) { sec, _ in
            guard sec.arn == s.arn else { throw SMError.notFound() }
            for i in sec.versions.indices {
                guard let f = fresh[sec.versions[i].id] else { continue }
                sec.versions[i].encryptedDataKey = f.encryptedDataKey
                sec.versions[i].ciphertext = f.ciphertext
                sec.versions[i].kmsKeyId = f.kmsKeyId
            }
        }
    }

    func deleteSecret(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx, allowDeleted: true)
        let force = input.bool("ForceDeleteWithoutRecovery") ?? false
        let window = input.int("RecoveryWindowInDays")
        if force, window != nil {
            throw SMError.invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
        }
        if let w = window, !(7...30).contains(w) {
            throw SMError.invalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        }
        if s.isScheduledForDeletion, !force { throw SMError.markedForDeletion() }
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        if !s.replicas.isEmpty {
            throw SMError.invalidRequest(
                "You can't delete secret \(s.name) because it is replicated to other Regions. Remove the replica Regions first with RemoveRegionsFromReplication.")
        }
        let now = clock.now()
        var out = Self.nameAndArn(s)
        if force {
            let commit = state.withLock { st -> Commit in
                guard st.secret(s.ref)?.arn == s.arn else { return .done }
                st.remove(s.ref)
                return records.apply([unpersist(s.ref)])
            }
            try await commit.wait()
            out["DeletionDate"] = .timestamp(now)
        } else {
            let at = now + Double(window ?? 30) * 86400
            try await mutate(s.ref) { sec, _ in
                sec.deletedDate = at
                sec.lastChanged = now
            }
            out["DeletionDate"] = .timestamp(at)
        }
        return .object(out)
    }

    func restoreSecret(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx, allowDeleted: true)
        let now = clock.now()
        try await mutate(s.ref, allowDeleted: true) { sec, _ in
            if sec.deletedDate != nil {
                sec.deletedDate = nil
                sec.lastChanged = now
            }
        }
        return .object(Self.nameAndArn(s))
    }

    // MARK: ListSecrets

    /// Whether one filter value matches one attribute: a case-insensitive prefix match;
    /// a leading `!` negates it.
    static func filterMatches(_ pattern: String, _ candidates: [String]) -> Bool {
        let negate = pattern.hasPrefix("!")
        let p = (negate ? String(pattern.dropFirst()) : pattern).lowercased()
        let hit = candidates.contains { $0.lowercased().hasPrefix(p) }
        return negate ? !hit : hit
    }

    static func matches(_ s: Secret, filter: Value) throws -> Bool {
        let key = filter.string("Key") ?? ""
        let values = filter.stringList("Values") ?? []
        let candidates: [String]
        switch key {
        case "name": candidates = [s.name]
        case "description": candidates = s.description.map { [$0] } ?? []
        case "tag-key": candidates = (s.tags ?? []).map(\.key)
        case "tag-value": candidates = (s.tags ?? []).map(\.value)
        case "primary-region": candidates = [s.primaryRegion ?? (s.replicas.isEmpty ? "" : s.region)].filter { !$0.isEmpty }
        case "owning-service": candidates = s.owningService.map { [$0] } ?? []
        case "all":
            candidates = [s.name] + (s.description.map { [$0] } ?? []) + (s.tags ?? []).flatMap { [$0.key, $0.value] }
                + (s.primaryRegion.map { [$0] } ?? []) + (s.owningService.map { [$0] } ?? [])
        default:
            throw SMError.invalidParameter("Invalid filter key: \(key)")
        }
        // Within one filter the values are alternatives; negated values must all hold.
        let positive = values.filter { !$0.hasPrefix("!") }
        let negative = values.filter { $0.hasPrefix("!") }
        if !negative.allSatisfy({ filterMatches($0, candidates) }) { return false }
        return positive.isEmpty || positive.contains { filterMatches($0, candidates) }
    }

    func matchingSecrets(filters: [Value], includeDeleted: Bool, ascending: Bool, sortBy: String = "created-date",
                         _ ctx: RequestContext) throws -> [Secret]
    {
        let all = state.withLock { st in Array((st.secrets[RegionKey(account: ctx.accountId, region: ctx.region)] ?? [:]).values) }
        var out: [Secret] = []
        for s in all where includeDeleted || !s.isScheduledForDeletion {
            if try filters.allSatisfy({ try Self.matches(s, filter: $0) }) { out.append(s) }
        }
        // SortBy (created-date by default), ties broken by name.
        func key(_ s: Secret) -> Double {
            switch sortBy {
            case "last-accessed-date": return s.lastAccessed ?? 0
            case "last-changed-date": return s.lastChanged
            case "name": return 0
            default: return s.created
            }
        }
        out.sort { a, b in
            let (ka, kb) = (key(a), key(b))
            if ka != kb { return ascending ? ka < kb : ka > kb }
            return ascending ? a.name < b.name : a.name > b.name
        }
        return out
    }

    func listSecrets(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let ascending = (input.string("SortOrder") ?? "asc") == "asc"
        let matched = try matchingSecrets(filters: input["Filters"]?.listValue ?? [],
                                          includeDeleted: input.bool("IncludePlannedDeletion") ?? false,
                                          ascending: ascending, sortBy: input.string("SortBy") ?? "created-date", ctx)
        let page = try Self.page(matched, maxResults: input.int("MaxResults") ?? 100, token: input.string("NextToken"))
        var out: [String: Value] = ["SecretList": .list(page.items.map { Self.describeValue($0, listing: true) })]
        if let t = page.next { out["NextToken"] = .string(t) }
        return .object(out)
    }
}
