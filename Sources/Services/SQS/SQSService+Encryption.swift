import SimfraCore
import Synchronization

/// SSE-KMS queues (`KmsMasterKeyId`): SQS asks KMS for a data key when a message is sent and
/// to decrypt it when messages are received, both as the caller (via `sqs.amazonaws.com`,
/// encryption context `{"aws:sqs:arn": <queue ARN>}`), and reuses what KMS answered for
/// `KmsDataKeyReusePeriodSeconds`. So a sender without kms:GenerateDataKey, a receiver
/// without kms:Decrypt, a disabled, missing or deleted key fail as in AWS.
///
/// The cache is per caller, so one principal's permission never serves another's request,
/// and lives in memory only (data keys are never persisted). Messages themselves are never
/// written to the data dir (see `QueueRecord`), so no plaintext body reaches the disk.
final class KMSDataKeyCache: Sendable {
    struct Entry: Sendable {
        var expires: Double
        var blob: [UInt8]
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// The last data key made for each queue (ARN + KMS key id): what a receive decrypts.
    private let lastKey = Mutex<[String: [UInt8]]>([:])

    func get(_ key: String, now: Double) -> Entry? {
        entries.withLock { e in
            guard let hit = e[key] else { return nil }
            if hit.expires <= now {
                e[key] = nil
                return nil
            }
            return hit
        }
    }

    func put(_ key: String, _ entry: Entry) {
        entries.withLock { e in
            // Expired entries go whenever the cache grows large (callers × queues is bounded
            // in practice, but nothing should grow without limit).
            if e.count > 10_000 { e = e.filter { $0.value.expires > entry.expires - 86_400 } }
            e[key] = entry
        }
    }

    func setLast(_ queue: String, _ blob: [UInt8]) { lastKey.withLock { $0[queue] = blob } }
    func last(_ queue: String) -> [UInt8]? { lastKey.withLock { $0[queue] } }
}

/// What a send or receive needs to know of a queue's encryption.
struct QueueKMS: Sendable {
    var keyId: String
    var reusePeriod: Int
    var queueArn: String

    var context: Value { ["aws:sqs:arn": .string(queueArn)] }
    var lastKeyName: String { queueArn + "|" + keyId }
}

extension SQSService {
    func queueKMS(_ key: QueueKey) throws -> QueueKMS? {
        try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            guard let k = q.config.kmsMasterKeyId else { return nil }
            return QueueKMS(keyId: k, reusePeriod: q.config.kmsDataKeyReusePeriodSeconds,
                            queueArn: QueueARN(region: key.region, accountId: key.accountId, name: key.name).text)
        }
    }

    /// Before a send to a KMS queue: a data key from KMS (or the caller's cached one).
    func prepareSendKey(_ key: QueueKey, _ ctx: RequestContext) async throws {
        guard let kms = try queueKMS(key) else { return }
        let now = clock.now()
        let cacheKey = "gen|\(ctx.principalArn)|\(kms.lastKeyName)"
        if kms.reusePeriod > 0, dataKeys.get(cacheKey, now: now) != nil { return }
        let out: Value
        do {
            out = try await invoker.invoke(InternalCall(
                service: "kms", operation: "GenerateDataKey",
                input: ["KeyId": .string(kms.keyId), "KeySpec": "AES_256", "EncryptionContext": kms.context],
                onBehalfOf: ctx, via: "sqs.amazonaws.com"))
        } catch {
            throw Self.kmsError(error, ctx)
        }
        guard case .blob(let blob)? = out["CiphertextBlob"] else { throw AWSError.internalFailure("KMS returned no data key") }
        dataKeys.put(cacheKey, .init(expires: now + Double(kms.reusePeriod), blob: blob))
        dataKeys.setLast(kms.lastKeyName, blob)
    }

    /// Before a receive from a KMS queue: KMS must decrypt the queue's data key for the
    /// caller (or have done so within the reuse period). Nothing to decrypt before the
    /// first message under this key.
    func prepareReceiveKey(_ key: QueueKey, _ ctx: RequestContext) async throws {
        guard let kms = try queueKMS(key), let blob = dataKeys.last(kms.lastKeyName) else { return }
        let now = clock.now()
        let cacheKey = "dec|\(ctx.principalArn)|\(kms.lastKeyName)"
        if let hit = dataKeys.get(cacheKey, now: now), hit.blob == blob { return }
        do {
            _ = try await invoker.invoke(InternalCall(
                service: "kms", operation: "Decrypt", input: ["CiphertextBlob": .blob(blob), "EncryptionContext": kms.context],
                onBehalfOf: ctx, via: "sqs.amazonaws.com"))
        } catch {
            throw Self.kmsError(error, ctx)
        }
        dataKeys.put(cacheKey, .init(expires: now + Double(kms.reusePeriod), blob: blob))
    }

    /// KMS's error as SQS reports it: its own error shape (`KmsAccessDenied`…) with the
    /// awsQuery code `KMS.<KMS's code>` and KMS's message in the Java SDK's wording SQS uses.
    static func kmsError(_ error: any Error, _ ctx: RequestContext) -> any Error {
        guard let e = error as? AWSError else { return error }
        if e.status >= 500 { return e }
        let shape: String
        switch e.code {
        case "AccessDeniedException": shape = "KmsAccessDenied"
        case "NotFoundException": shape = "KmsNotFound"
        case "DisabledException": shape = "KmsDisabled"
        case "KMSInvalidStateException": shape = "KmsInvalidState"
        case "InvalidKeyUsageException": shape = "KmsInvalidKeyUsage"
        case "ThrottlingException": shape = "KmsThrottled"
        default: shape = "KmsInvalidState"
        }
        let message = "\(e.message) (Service: AWSKMS; Status Code: 400; Error Code: \(e.code); Request ID: \(ctx.requestId); Proxy: null)"
        return AWSError(code: shape, message: message, status: 400, senderFault: true, queryCode: "KMS." + e.code)
    }
}
