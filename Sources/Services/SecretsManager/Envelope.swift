import Crypto
import Foundation
import SimfraCore

/// Envelope encryption through KMS, as Secrets Manager does it: per version, KMS generates a
/// 256-bit data key bound to the encryption context {SecretARN, SecretVersionId}; the value
/// is sealed with it (AES-256-GCM) and only KMS's encrypted copy of the key is kept. Reading
/// asks KMS to decrypt that copy with the same context, as the caller, so the caller's
/// kms:Decrypt permission and the key's state decide, exactly as in AWS.
extension SecretsManagerService {
    static let defaultKeyAlias = "alias/aws/secretsmanager"
    static let servicePrincipal = "secretsmanager.amazonaws.com"

    static func encryptionContext(arn: String, versionId: String) -> Value {
        ["SecretARN": .string(arn), "SecretVersionId": .string(versionId)]
    }

    /// The value's AES-GCM additional data: the ciphertext belongs to this version only.
    static func valueAAD(arn: String, versionId: String) -> [UInt8] { Array("\(arn)#\(versionId)".utf8) }

    /// Encrypts a new version's value. `context` is the request's (its region is the
    /// secret's region: a replica's value is encrypted by KMS in the replica's region).
    func encrypt(_ value: [UInt8], arn: String, versionId: String, keyId: String?, isBinary: Bool,
                 stages: [String], now: Double, context: RequestContext) async throws -> SecretVersion
    {
        let out: Value
        do {
            out = try await invoker.invoke(InternalCall(
                service: "kms", operation: "GenerateDataKey",
                input: [
                    "KeyId": .string(keyId ?? Self.defaultKeyAlias), "KeySpec": "AES_256",
                    "EncryptionContext": Self.encryptionContext(arn: arn, versionId: versionId),
                ],
                onBehalfOf: context, via: Self.servicePrincipal))
        } catch {
            throw SMError.kms(error, decrypting: false)
        }
        guard case .blob(let plainKey)? = out["Plaintext"], case .blob(let edk)? = out["CiphertextBlob"],
            plainKey.count == 32
        else {
            throw AWSError.internalFailure("KMS GenerateDataKey returned no 256-bit data key")
        }
        let key = SymmetricKey(data: plainKey)
        let sealed: [UInt8]
        do {
            let box = try AES.GCM.seal(value, using: key, authenticating: Self.valueAAD(arn: arn, versionId: versionId))
            guard let combined = box.combined else { throw AWSError.internalFailure("AES-GCM produced no ciphertext") }
            sealed = Array(combined)
        } catch let e as AWSError {
            throw e
        } catch {
            throw AWSError.internalFailure("AES-GCM failed: \(error)")
        }
        return SecretVersion(id: versionId, stages: stages.sorted(), created: now, lastAccessed: nil, kmsKeyId: keyId,
                             encryptedDataKey: edk, ciphertext: sealed, isBinary: isBinary)
    }

    /// Decrypts a version's value as the caller.
    func decrypt(_ v: SecretVersion, arn: String, context: RequestContext) async throws -> [UInt8] {
        let out: Value
        do {
            out = try await invoker.invoke(InternalCall(
                service: "kms", operation: "Decrypt",
                input: [
                    "CiphertextBlob": .blob(v.encryptedDataKey),
                    "EncryptionContext": Self.encryptionContext(arn: arn, versionId: v.id),
                ],
                onBehalfOf: context, via: Self.servicePrincipal))
        } catch {
            throw SMError.kms(error, decrypting: true)
        }
        guard case .blob(let plainKey)? = out["Plaintext"] else {
            throw AWSError.internalFailure("KMS Decrypt returned no plaintext")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: v.ciphertext)
            return Array(try AES.GCM.open(box, using: SymmetricKey(data: plainKey),
                                          authenticating: Self.valueAAD(arn: arn, versionId: v.id)))
        } catch {
            throw AWSError(code: "DecryptionFailure",
                           message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.")
        }
    }
}
