import Foundation
import SimfraCore
import Synchronization

/// AWS Secrets Manager. Every secret value is encrypted through KMS (envelope encryption,
/// the KMS calls made as the caller via `secretsmanager.amazonaws.com`), so a caller who may
/// not use a secret's key cannot read it, and a disabled key makes its secrets unreadable,
/// as in AWS. Secrets and every version are written through to `records`, the encrypted
/// value additionally sealed under the data dir's key.
///
/// Rotation is recorded (rules, schedule, NextRotationDate); invoking the rotation Lambda
/// is not done (Simfra has no Lambda yet).
public final class SecretsManagerService: StatefulService, InvokingService, Sendable {
    public let serviceName = "secretsmanager"
    public let implementedOperations: Set<String> = [
        "BatchGetSecretValue", "CancelRotateSecret", "CreateSecret", "DeleteResourcePolicy", "DeleteSecret",
        "DescribeSecret", "GetRandomPassword", "GetResourcePolicy", "GetSecretValue", "ListSecretVersionIds",
        "ListSecrets", "PutResourcePolicy", "PutSecretValue", "RemoveRegionsFromReplication",
        "ReplicateSecretToRegions", "RestoreSecret", "RotateSecret", "StopReplicationToReplica", "TagResource",
        "UntagResource", "UpdateSecret", "UpdateSecretVersionStage", "ValidateResourcePolicy",
    ]

    public let invoker: InvokerLink
    let records: any DurableRecords
    let clock: any SimfraClock
    let state = Mutex(SecretsManagerState())

    public init(records: any DurableRecords, clock: any SimfraClock = SystemClock(), invoker: InvokerLink = InvokerLink()) {
        self.records = records
        self.clock = clock
        self.invoker = invoker
    }

    // MARK: Startup

    public func restore() throws {
        let loaded = try records.loadAll().filter { $0.kind == SecretRecord.kind }
        let secrets = try loaded.map { try SecretRecord.decode($0, records: records) }
        state.withLock { st in
            for s in secrets { st.set(s) }
        }
    }

    // MARK: Dispatch

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        try await sweepDeleted()
        switch operation {
        case "CreateSecret": return try await createSecret(input, context)
        case "DescribeSecret": return try describeSecret(input, context)
        case "UpdateSecret": return try await updateSecret(input, context)
        case "DeleteSecret": return try await deleteSecret(input, context)
        case "RestoreSecret": return try await restoreSecret(input, context)
        case "ListSecrets": return try listSecrets(input, context)
        case "GetSecretValue": return try await getSecretValue(input, context)
        case "BatchGetSecretValue": return try await batchGetSecretValue(input, context)
        case "PutSecretValue": return try await putSecretValue(input, context)
        case "ListSecretVersionIds": return try listSecretVersionIds(input, context)
        case "UpdateSecretVersionStage": return try await updateSecretVersionStage(input, context)
        case "TagResource": return try await tagResource(input, context)
        case "UntagResource": return try await untagResource(input, context)
        case "GetResourcePolicy": return try getResourcePolicy(input, context)
        case "PutResourcePolicy": return try await putResourcePolicy(input, context)
        case "DeleteResourcePolicy": return try await deleteResourcePolicy(input, context)
        case "ValidateResourcePolicy": return try validateResourcePolicy(input, context)
        case "GetRandomPassword": return try getRandomPassword(input)
        case "RotateSecret": return try await rotateSecret(input, context)
        case "CancelRotateSecret": return try await cancelRotateSecret(input, context)
        case "ReplicateSecretToRegions": return try await replicateSecretToRegions(input, context)
        case "RemoveRegionsFromReplication": return try await removeRegionsFromReplication(input, context)
        case "StopReplicationToReplica": return try await stopReplicationToReplica(input, context)
        default: throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    // MARK: Names and lookup

    static let nameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+=.@-!")

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 512 && name.allSatisfy { nameCharacters.contains($0) }
    }

    static func arn(region: String, account: String, name: String, suffix: String) -> String {
        "arn:aws:secretsmanager:\(region):\(account):secret:\(name)-\(suffix)"
    }

    /// What a `SecretId` names: a full ARN, a partial ARN (without the 6-character suffix) or
    /// a name in the caller's account and region.
    struct SecretIdentifier {
        var account: String
        var region: String
        /// The text after `secret:` of an ARN, or the name.
        var tail: String
        var isARN: Bool
        var fullARN: String?
    }

    static func identifier(_ id: String, _ ctx: RequestContext) throws -> SecretIdentifier {
        if id.hasPrefix("arn:") {
            let parts = id.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
            guard parts.count == 7, parts[2] == "secretsmanager", parts[5] == "secret", !parts[6].isEmpty else {
                throw SMError.notFound()
            }
            return SecretIdentifier(account: String(parts[4]), region: String(parts[3]), tail: String(parts[6]),
                                    isARN: true, fullARN: id)
        }
        guard isValidName(id) else { throw SMError.invalidName() }
        return SecretIdentifier(account: ctx.accountId, region: ctx.region, tail: id, isARN: false, fullARN: nil)
    }

    /// The secret an identifier names, under the lock.
    static func find(_ ident: SecretIdentifier, in st: SecretsManagerState) -> Secret? {
        guard let map = st.secrets[RegionKey(account: ident.account, region: ident.region)] else { return nil }
        if ident.isARN {
            // A full ARN ends with the suffix; a partial ARN is the name itself.
            if ident.tail.count > 7 {
                let name = String(ident.tail.dropLast(7))
                if let s = map[name], s.arn == ident.fullARN { return s }
            }
            return map[ident.tail]
        }
        return map[ident.tail]
    }

    /// The secret a request's `SecretId` names. `allowDeleted`: operations AWS allows on a
    /// secret scheduled for deletion (DescribeSecret, RestoreSecret, forced DeleteSecret).
    func lookup(_ id: String?, _ ctx: RequestContext, allowDeleted: Bool = false) throws -> Secret {
        let ident = try Self.identifier(id ?? "", ctx)
        guard let s = state.withLock({ Self.find(ident, in: $0) }) else { throw SMError.notFound() }
        if s.isScheduledForDeletion, !allowDeleted { throw SMError.markedForDeletion() }
        return s
    }

    func lookup(_ input: Value, _ ctx: RequestContext, allowDeleted: Bool = false) throws -> Secret {
        try lookup(input.string("SecretId"), ctx, allowDeleted: allowDeleted)
    }

    /// Applies `change` to the current state of the secret at `ref` under the lock, writes it
    /// through and awaits the commit. The closure sees the secret as it is now (requests may
    /// have changed it while this one awaited KMS).
    @discardableResult
    func mutate<T>(_ ref: SecretRef, allowDeleted: Bool = false,
                   _ change: (inout Secret, inout SecretsManagerState) throws -> T) async throws -> T
    {
        let (result, commit) = try state.withLock { st -> (T, Commit) in
            guard var s = st.secret(ref) else { throw SMError.notFound() }
            if s.isScheduledForDeletion, !allowDeleted { throw SMError.markedForDeletion() }
            let r = try change(&s, &st)
            st.set(s)
            return (r, persist(s))
        }
        try await commit.wait()
        return result
    }

    /// Writes a secret's durable record. Call under the lock; await the commit after.
    func persist(_ s: Secret) -> Commit {
        records.put(kind: SecretRecord.kind, account: s.account, region: s.region, id: s.name,
                    data: SecretRecord.encode(s, records: records))
    }

    func unpersist(_ ref: SecretRef) -> DurableWrite {
        .delete(kind: SecretRecord.kind, account: ref.account, region: ref.region, id: ref.name)
    }

    // MARK: Scheduled deletion

    /// Deletes secrets whose recovery window has passed. Checked lazily at every request, so a
    /// secret is gone as soon as the clock passes its DeletedDate.
    func sweepDeleted() async throws {
        let now = clock.now()
        let commit = state.withLock { st -> Commit? in
            guard st.scheduled.values.contains(where: { $0 <= now }) else { return nil }
            var writes: [DurableWrite] = []
            for (ref, at) in st.scheduled where at <= now {
                st.remove(ref)
                writes.append(unpersist(ref))
            }
            return records.apply(writes)
        }
        try await commit?.wait()
    }

    // MARK: Helpers

    static func newVersionId() -> String { UUID().uuidString.lowercased() }

    static func randomSuffix() -> String {
        let chars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<6).map { _ in chars[Int(rng.next(upperBound: UInt64(chars.count)))] })
    }

    /// AWS reports access dates truncated to the day.
    static func day(_ t: Double) -> Double { (t / 86400).rounded(.down) * 86400 }
}
