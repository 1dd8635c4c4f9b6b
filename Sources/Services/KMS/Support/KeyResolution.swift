import SimfraCore

/// What a `KeyId` member names: a key (by id or ARN) or an alias (by name or ARN).
enum KeyIdentifier: Equatable {
    case key(KeyRef)
    case alias(AliasRef)

    /// Parses without looking anything up. Key ARNs of another region are refused as KMS
    /// refuses them (`Invalid arn <region>`); ids must be UUIDs or `mrk-` ids.
    static func parse(_ s: String, _ ctx: RequestContext) throws -> KeyIdentifier {
        if s.hasPrefix("arn:") {
            let parts = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 6, parts[2] == "kms", !parts[3].isEmpty, !parts[4].isEmpty else {
                throw KMSError.invalidKeyId(s)
            }
            let region = parts[3], account = parts[4], resource = parts[5]
            if resource.hasPrefix("alias/") {
                guard region == ctx.region else { throw KMSError.invalidArnRegion(region) }
                return .alias(AliasRef(account: account, region: region, name: resource))
            }
            guard resource.hasPrefix("key/") else { throw KMSError.invalidKeyId(s) }
            let id = String(resource.dropFirst(4))
            guard KMSIdentifiers.isKeyId(id) else { throw KMSError.invalidKeyId(s) }
            guard region == ctx.region else { throw KMSError.invalidArnRegion(region) }
            return .key(KeyRef(account: account, region: region, keyId: id))
        }
        if s.hasPrefix("alias/") {
            return .alias(AliasRef(account: ctx.accountId, region: ctx.region, name: s))
        }
        guard KMSIdentifiers.isKeyId(s) else { throw KMSError.invalidKeyId(s) }
        return .key(KeyRef(account: ctx.accountId, region: ctx.region, keyId: s.lowercased()))
    }
}

extension KMSService {
    /// The key a `KeyId` names. An `alias/aws/<service>` alias that does not exist yet
    /// creates its AWS-managed key, as AWS does on first use (DescribeKey included).
    func resolve(_ st: inout KMSState, _ id: String, _ ctx: RequestContext, _ writes: inout [DurableWrite]) throws -> KeyRef {
        switch try KeyIdentifier.parse(id, ctx) {
        case .key(let ref):
            guard st.keys[ref] != nil else { throw KMSError.keyNotFound(ref.arn) }
            return ref
        case .alias(let aref):
            if let alias = st.aliases[aref] {
                let ref = KeyRef(account: aref.account, region: aref.region, keyId: alias.targetKeyId)
                guard st.keys[ref] != nil else { throw KMSError.aliasNotFound(aref.arn) }
                return ref
            }
            if let ref = ensureManagedKey(&st, aref, &writes) { return ref }
            throw KMSError.aliasNotFound(aref.arn)
        }
    }

    /// The key for a cryptographic operation: it must exist, be usable, and have the usage.
    func usableKey(_ st: inout KMSState, _ id: String, _ ctx: RequestContext, _ writes: inout [DurableWrite],
                   usage: String, operation: String) throws -> KMSKey
    {
        let ref = try resolve(&st, id, ctx, &writes)
        let key = st.keys[ref]!
        try checkUsable(key)
        guard key.keyUsage == usage else {
            throw KMSError.invalidKeyUsage(key.arn, usage: key.keyUsage, operation: operation)
        }
        return key
    }

    func checkUsable(_ key: KMSKey) throws {
        switch key.state {
        case .enabled: return
        case .disabled: throw KMSError.disabled(key.arn)
        case .pendingDeletion: throw KMSError.pendingDeletion(key.arn)
        case .pendingImport: throw KMSError.pendingImport(key.arn)
        }
    }

    /// The key ARN a `KeyId` names, for the authoriser: nil when it names nothing (the
    /// handler then answers its own error). Creates an AWS-managed key on first use.
    func authorizationArn(_ id: String?, _ ctx: RequestContext) -> String? {
        guard let id, let parsed = try? KeyIdentifier.parse(id, ctx) else { return nil }
        switch parsed {
        case .key(let ref): return ref.arn
        case .alias(let aref):
            let (ref, commit) = state.withLock { st -> (KeyRef?, Commit) in
                if let a = st.aliases[aref] {
                    return (KeyRef(account: aref.account, region: aref.region, keyId: a.targetKeyId), .done)
                }
                var writes: [DurableWrite] = []
                let ref = ensureManagedKey(&st, aref, &writes)
                return (ref, writes.isEmpty ? .done : records.apply(writes))
            }
            // The handler awaits it (`mutate`) before answering the client.
            if ref != nil { pendingCommits.withLock { $0.append(commit) } }
            return ref?.arn
        }
    }
}
