import Foundation
import SimfraCore

/// Server-side encryption: where each object's data key comes from and how it is wrapped.
///
/// - SSE-S3 (`AES256`): a random data key per body, wrapped under the bucket owner's S3 key
///   (one per account, made on first use, stored sealed by the data dir's master key).
/// - SSE-C: a random data key wrapped under the customer's key; the object keeps only a
///   salted HMAC of that key to recognise it again.
/// - SSE-KMS / DSSE-KMS: KMS's `GenerateDataKey`, called as the caller via
///   `s3.amazonaws.com`; the object keeps the ciphertext blob, and a GET asks KMS to
///   `Decrypt` it, again as the caller (so kms:Decrypt, a disabled key or one pending
///   deletion decide the GET as in AWS).
extension S3Service {
    static let sseKeyKind = "sse-key"
    static let sseKeyID = "sse-s3"
    static let defaultKMSKey = "alias/aws/s3"

    static func sseKeyAAD(_ account: String) -> String { "s3/\(sseKeyKind)/\(account)/\(sseKeyID)/material" }

    /// The account's SSE-S3 key, made (and durable) on first use.
    func sseS3Key(_ account: String) async throws -> [UInt8] {
        let (key, commit) = state.withLock { s -> ([UInt8], Commit?) in
            if let k = s.sseKeys[account] { return (k, nil) }
            let k = BodyCipher.newDataKey()
            s.sseKeys[account] = k
            let sealed = records.seal(k, aad: Self.sseKeyAAD(account))
            return (k, records.put(kind: Self.sseKeyKind, account: account, region: "", id: Self.sseKeyID, data: sealed))
        }
        try await commit?.wait()
        return key
    }

    // MARK: - Writing

    /// Gives a new version its data key: fills `dataKey`, `customerKey` and, for SSE-KMS, the
    /// KMS key's ARN; returns the plaintext data key to seal the body with.
    func prepareDataKey(_ v: inout ObjectVersion, customer: CustomerKey?, bucket: String, bucketOwner: String,
                        bucketRegion: String, context: RequestContext) async throws -> [UInt8]
    {
        if let customer {
            let dek = BodyCipher.newDataKey()
            v.customerKey = customer.check()
            v.dataKey = BodyCipher.wrap(dek, under: customer.key, aad: "s3:sse-c")
            v.encryption = nil
            return dek
        }
        v.customerKey = nil
        guard var e = v.encryption, e.algorithm != "AES256" else {
            let dek = BodyCipher.newDataKey()
            v.encryption = Encryption(algorithm: "AES256", kmsKeyId: nil, bucketKeyEnabled: v.encryption?.bucketKeyEnabled, context: nil)
            v.dataKey = BodyCipher.wrap(dek, under: try await sseS3Key(bucketOwner), aad: "s3:sse-s3")
            return dek
        }
        let keyId = e.kmsKeyId ?? Self.defaultKMSKey
        try Self.checkKMSKeyRegion(keyId, bucketRegion: bucketRegion)
        let ctx = try Self.kmsContext(e, bucket: bucket, key: v.key)
        let out: Value
        do {
            out = try await invoker.invoke(InternalCall(
                service: "kms", operation: "GenerateDataKey",
                input: ["KeyId": .string(keyId), "KeySpec": "AES_256", "EncryptionContext": .object(ctx.mapValues(Value.string))],
                onBehalfOf: context, via: "s3.amazonaws.com"))
        } catch {
            throw Self.kmsError(error)
        }
        guard case .blob(let plain)? = out["Plaintext"], plain.count == 32, case .blob(let blob)? = out["CiphertextBlob"] else {
            throw S3Errors.internalError("KMS returned no data key")
        }
        if let arn = out.str("KeyId") { e.kmsKeyId = arn }
        v.encryption = e
        v.dataKey = blob
        return plain
    }

    // MARK: - Reading

    /// The plaintext data key of a stored version, after checking the request may have it:
    /// the SSE-C key must match; an SSE-KMS key is decrypted by KMS as the caller. Nil for a
    /// version without one (a plaintext body). `needKey` false (HEAD) checks SSE-C only.
    func openDataKey(_ v: ObjectVersion, customer: CustomerKey?, bucket: String, bucketOwner: String,
                     context: RequestContext, needKey: Bool = true) async throws -> [UInt8]?
    {
        try CustomerKey.verify(customer, for: v.customerKey)
        guard needKey, let wrapped = v.dataKey else { return nil }
        if let customer {
            guard let dek = BodyCipher.unwrap(wrapped, under: customer.key, aad: "s3:sse-c") else { throw CustomerKey.wrongKey() }
            return dek
        }
        guard let e = v.encryption, e.algorithm != "AES256" else {
            guard let dek = BodyCipher.unwrap(wrapped, under: try await sseS3Key(bucketOwner), aad: "s3:sse-s3") else {
                throw S3Errors.internalError("object data key cannot be unwrapped")
            }
            return dek
        }
        let ctx = try Self.kmsContext(e, bucket: bucket, key: v.key)
        let out: Value
        do {
            out = try await invoker.invoke(InternalCall(
                service: "kms", operation: "Decrypt",
                input: ["CiphertextBlob": .blob(wrapped), "EncryptionContext": .object(ctx.mapValues(Value.string))],
                onBehalfOf: context, via: "s3.amazonaws.com"))
        } catch {
            throw Self.kmsError(error)
        }
        guard case .blob(let plain)? = out["Plaintext"], plain.count == 32 else {
            throw S3Errors.internalError("KMS returned no data key")
        }
        return plain
    }

    // MARK: - KMS details

    /// The encryption context S3 sends KMS: the user's (`x-amz-server-side-encryption-context`)
    /// plus `aws:s3:arn`, the object's ARN, or the bucket's with an S3 Bucket Key.
    static func kmsContext(_ e: Encryption, bucket: String, key: String) throws(AWSError) -> [String: String] {
        var ctx = try userContext(e.context) ?? [:]
        let bucketKey = e.bucketKeyEnabled == true && e.algorithm == "aws:kms"
        ctx["aws:s3:arn"] = bucketKey ? S3Service.bucketArn(bucket) : S3Service.objectArn(bucket, key)
        return ctx
    }

    /// The user's encryption context: base64 of a JSON string-to-string object.
    static func userContext(_ header: String?) throws(AWSError) -> [String: String]? {
        guard let header else { return nil }
        guard let raw = Base64.decode(header),
            let obj = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any]
        else { throw badContext(header) }
        var out: [String: String] = [:]
        for (k, v) in obj {
            guard let s = v as? String else { throw badContext(header) }
            out[k] = s
        }
        return out
    }

    static func badContext(_ header: String) -> AWSError {
        S3Errors.invalidArgument("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
                                 name: "x-amz-server-side-encryption-context", value: header)
    }

    /// S3 refuses a key ARN of another region before asking KMS (recorded: `Invalid arn <region>`).
    static func checkKMSKeyRegion(_ keyId: String, bucketRegion: String) throws(AWSError) {
        guard keyId.hasPrefix("arn:") else { return }
        let parts = keyId.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count > 3, parts[3] != bucketRegion {
            throw AWSError(code: "KMS.NotFoundException", message: "Invalid arn \(parts[3])", status: 400)
        }
    }

    /// KMS's error as S3 reports it: `KMS.<code>` with KMS's message (status 400), and a
    /// denial by IAM or the key policy as S3's 403 AccessDenied with KMS's sentence.
    static func kmsError(_ error: any Error) -> any Error {
        guard let e = error as? AWSError else { return error }
        if e.code == "AccessDeniedException" || e.code == "AccessDenied" {
            return AWSError(code: "AccessDenied", message: e.message, status: 403)
        }
        if e.status >= 500 { return e }
        return AWSError(code: e.code.hasPrefix("KMS.") ? e.code : "KMS." + e.code, message: e.message, status: 400)
    }

    /// Response members of an object's encryption: SSE-C's algorithm and key MD5, or the
    /// SSE algorithm, KMS key ARN and bucket-key flag.
    static func encryptionOutput(_ v: ObjectVersion, into out: inout Value) {
        if let c = v.customerKey {
            out["SSECustomerAlgorithm"] = "AES256"
            out["SSECustomerKeyMD5"] = .string(c.keyMD5)
            return
        }
        encryptionOutput(v.encryption, into: &out)
    }

    /// Checks the SSE headers of a write before anything is stored: SSE-C and
    /// `x-amz-server-side-encryption` exclude each other.
    static func checkEncryptionHeaders(_ input: Value, customer: CustomerKey?) throws(AWSError) {
        if customer != nil, let sse = input.str("ServerSideEncryption") {
            throw S3Errors.invalidArgument("Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                                           name: "x-amz-server-side-encryption", value: sse)
        }
        if let kms = input.str("SSEKMSKeyId"), input.str("ServerSideEncryption")?.hasPrefix("aws:kms") != true {
            throw S3Errors.invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                                           name: "x-amz-server-side-encryption-aws-kms-key-id", value: kms)
        }
        if let ctx = input.str("SSEKMSEncryptionContext") { _ = try userContext(ctx) }
    }
}
