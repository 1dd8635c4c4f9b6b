import Crypto
import Foundation
import SimfraCore
import Synchronization

/// AWS KMS: keys (symmetric, HMAC, RSA, ECC), aliases, key policies, grants, tags, rotation,
/// and real cryptography. A ciphertext made here decrypts only here, with the right key and
/// encryption context.
///
/// State lives in memory under one `Mutex`; keys (material sealed under the data dir's master
/// key), aliases and grants are written through to `records`. Keys pending deletion are
/// removed once the clock passes their deletion date: lazily before every operation, and by
/// a periodic sweep.
public final class KMSService: StatefulService, AccountScopedService, Sendable {
    public let serviceName = "kms"
    public let implementedOperations: Set<String> = [
        "CancelKeyDeletion", "CreateAlias", "CreateGrant", "CreateKey", "Decrypt", "DeleteAlias", "DescribeKey",
        "DisableKey", "EnableKey", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "GenerateRandom", "GetKeyPolicy",
        "GetPublicKey", "Sign", "Verify", "VerifyMac", "EnableKeyRotation", "DisableKeyRotation",
        "GetKeyRotationStatus", "RotateKeyOnDemand", "ListKeyRotations", "GetParametersForImport", "ImportKeyMaterial",
        "DeleteImportedKeyMaterial", "ReplicateKey", "ListAliases", "ListGrants", "ListKeyPolicies", "ListKeys",
        "ListResourceTags", "ListRetirableGrants", "PutKeyPolicy", "ReEncrypt", "RetireGrant", "RevokeGrant",
        "ScheduleKeyDeletion", "TagResource", "UntagResource", "UpdateAlias", "UpdateKeyDescription",
    ]

    let records: any DurableRecords
    let clock: any SimfraClock
    let state = Mutex(KMSState())
    /// Writes made outside a handler (an AWS-managed key created while authorising its first
    /// use), awaited by the next handler before it answers.
    let pendingCommits = Mutex<[Commit]>([])
    /// GetParametersForImport's tokens → wrapping keys. Transient: a restart invalidates them.
    let importTokens = Mutex<[[UInt8]: ImportParameters]>([:])

    public init(records: any DurableRecords, clock: any SimfraClock = SystemClock(), sweepInterval: Double? = 60) {
        self.records = records
        self.clock = clock
        if let sweepInterval { startSweeper(every: sweepInterval) }
    }

    /// Deletes keys whose deletion date has passed even when nobody calls KMS.
    private func startSweeper(every seconds: Double) {
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: .seconds(seconds))
                guard let self else { return }
                try? await self.mutate { _, _ in }
            }
        }
    }

    // MARK: Dispatch

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        switch operation {
        case "CreateKey": return try await createKey(input, context)
        case "DescribeKey": return try await describeKey(input, context)
        case "ListKeys": return try await listKeys(input, context)
        case "EnableKey": return try await setEnabled(true, input, context)
        case "DisableKey": return try await setEnabled(false, input, context)
        case "ScheduleKeyDeletion": return try await scheduleKeyDeletion(input, context)
        case "CancelKeyDeletion": return try await cancelKeyDeletion(input, context)
        case "UpdateKeyDescription": return try await updateKeyDescription(input, context)
        case "TagResource": return try await tagResource(input, context)
        case "UntagResource": return try await untagResource(input, context)
        case "ListResourceTags": return try await listResourceTags(input, context)
        case "GetKeyPolicy": return try await getKeyPolicy(input, context)
        case "PutKeyPolicy": return try await putKeyPolicy(input, context)
        case "ListKeyPolicies": return try await listKeyPolicies(input, context)
        case "CreateAlias": return try await createAlias(input, context)
        case "UpdateAlias": return try await updateAlias(input, context)
        case "DeleteAlias": return try await deleteAlias(input, context)
        case "ListAliases": return try await listAliases(input, context)
        case "Encrypt": return try await encrypt(input, context)
        case "Decrypt": return try await decrypt(input, context)
        case "ReEncrypt": return try await reEncrypt(input, context)
        case "GenerateDataKey": return try await generateDataKey(input, context, withPlaintext: true)
        case "GenerateDataKeyWithoutPlaintext": return try await generateDataKey(input, context, withPlaintext: false)
        case "GenerateRandom": return try generateRandom(input, context)
        case "Sign": return try await sign(input, context)
        case "Verify": return try await verify(input, context)
        case "GenerateMac": return try await generateMac(input, context)
        case "VerifyMac": return try await verifyMac(input, context)
        case "GetPublicKey": return try await getPublicKey(input, context)
        case "GenerateDataKeyPair": return try await generateDataKeyPair(input, context, withPlaintext: true)
        case "GenerateDataKeyPairWithoutPlaintext": return try await generateDataKeyPair(input, context, withPlaintext: false)
        case "EnableKeyRotation": return try await enableKeyRotation(input, context)
        case "DisableKeyRotation": return try await disableKeyRotation(input, context)
        case "GetKeyRotationStatus": return try await getKeyRotationStatus(input, context)
        case "RotateKeyOnDemand": return try await rotateKeyOnDemand(input, context)
        case "ListKeyRotations": return try await listKeyRotations(input, context)
        case "GetParametersForImport": return try await getParametersForImport(input, context)
        case "ImportKeyMaterial": return try await importKeyMaterial(input, context)
        case "DeleteImportedKeyMaterial": return try await deleteImportedKeyMaterial(input, context)
        case "ReplicateKey": return try await replicateKey(input, context)
        case "CreateGrant": return try await createGrant(input, context)
        case "ListGrants": return try await listGrants(input, context)
        case "ListRetirableGrants": return try await listRetirableGrants(input, context)
        case "RetireGrant": return try await retireGrant(input, context)
        case "RevokeGrant": return try await revokeGrant(input, context)
        default: throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    // MARK: State access

    /// Runs `body` under the lock after removing keys whose deletion date has passed; writes
    /// `body` adds (and the sweep's) are committed while the lock is held and awaited after.
    /// When `body` throws, only the sweep's writes are made.
    func mutate<T: Sendable>(_ body: (inout KMSState, inout [DurableWrite]) throws -> T) async throws -> T {
        let now = clock.now()
        let (result, commit) = state.withLock { st -> (Result<T, any Error>, Commit) in
            var swept: [DurableWrite] = []
            for ref in st.dueForDeletion(now: now) { swept += removeKeyWrites(&st, ref) }
            for ref in st.dueForRotation(now: now) {
                // Replicas rotate with their primary (syncReplicas), never on their own.
                guard var key = st.keys[ref], key.state == .enabled || key.state == .disabled, !key.multiRegion || key.isPrimary,
                    (try? Self.rotate(&key, type: "AUTOMATIC", now: now)) != nil
                else { continue }
                st.keys[ref] = key
                swept.append(keyWrite(key))
                swept += syncReplicas(&st, key)
            }
            var writes: [DurableWrite] = []
            let r: Result<T, any Error>
            do {
                r = .success(try body(&st, &writes))
            } catch {
                r = .failure(error)
                writes = []
            }
            let all = swept + writes
            return (r, all.isEmpty ? .done : records.apply(all))
        }
        try await commit.wait()
        for c in pendingCommits.withLock({ p -> [Commit] in defer { p = [] }; return p }) { try await c.wait() }
        return try result.get()
    }

    /// Removes a key (and its aliases) and returns the writes that make it durable.
    func removeKeyWrites(_ st: inout KMSState, _ ref: KeyRef) -> [DurableWrite] {
        let (aliases, touched) = st.removeKey(ref)
        var writes: [DurableWrite] = [.delete(kind: KeyRecord.kind, account: ref.account, region: ref.region, id: ref.keyId)]
        for a in aliases { writes.append(.delete(kind: AliasRecord.kind, account: a.account, region: a.region, id: a.name)) }
        for t in touched { if let k = st.keys[t] { writes.append(keyWrite(k)) } }
        return writes
    }

    func keyWrite(_ key: KMSKey) -> DurableWrite {
        .put(kind: KeyRecord.kind, account: key.ref.account, region: key.ref.region, id: key.keyId,
             data: KeyRecord.encode(key, records: records))
    }

    func aliasWrite(_ alias: KMSAlias) -> DurableWrite {
        .put(kind: AliasRecord.kind, account: alias.ref.account, region: alias.ref.region, id: alias.ref.name,
             data: AliasRecord.encode(alias))
    }

    // MARK: Startup

    public func restore() throws {
        let loaded = try records.loadAll()
        try state.withLock { st in
            for r in loaded {
                switch r.kind {
                case KeyRecord.kind:
                    let k = try KeyRecord.decode(r, records: records)
                    st.keys[k.ref] = k
                    if k.state == .pendingDeletion, let d = k.deletionDate { st.noteDeletion(d) }
                    if k.rotationEnabled, let n = k.nextRotation { st.noteRotation(n) }
                case AliasRecord.kind:
                    let a = try AliasRecord.decode(r)
                    st.aliases[a.ref] = a
                default:
                    continue
                }
            }
        }
    }

    // MARK: Accounts

    /// Deletes every key, alias and grant of the account in every region, in one commit.
    public func removeAccount(_ accountId: String) async throws {
        let commit = state.withLock { st -> Commit in
            var writes: [DurableWrite] = []
            for ref in st.keys.keys where ref.account == accountId {
                st.keys[ref] = nil
                writes.append(.delete(kind: KeyRecord.kind, account: ref.account, region: ref.region, id: ref.keyId))
            }
            for ref in st.aliases.keys where ref.account == accountId {
                st.aliases[ref] = nil
                writes.append(.delete(kind: AliasRecord.kind, account: ref.account, region: ref.region, id: ref.name))
            }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        try await commit.wait()
    }
}
