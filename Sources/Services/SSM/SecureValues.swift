import Crypto
import Foundation
import SimfraCore

/// SecureString encryption through KMS, as the caller (a forward access session: KMS sees
/// the user, with kms:ViaService `ssm.<region>.amazonaws.com`). Every value is bound to its
/// parameter by the encryption context `{"PARAMETER_ARN": <parameter ARN>}`, as Parameter
/// Store binds it, so a ciphertext copied to another parameter does not decrypt.
///
/// - Standard tier: kms:Encrypt of the value (at most 4 KiB, KMS's own plaintext limit).
/// - Advanced tier: envelope encryption, as AWS does for advanced parameters (values up to
///   8 KiB): kms:GenerateDataKey, the value sealed locally with AES-256-GCM under the data
///   key, and the encrypted data key stored beside it. The plaintext data key is dropped.
struct SecureValues {
    static let defaultKey = "alias/aws/ssm"
    static let via = "ssm.amazonaws.com"
    /// First byte of an envelope, so a stored envelope is never mistaken for a KMS blob.
    static let envelopeMagic: UInt8 = 0xE5

    let invoker: any ServiceInvoker

    static func context(_ arn: String) -> Value { .object(["PARAMETER_ARN": .string(arn)]) }

    /// The ciphertext (base64) of `plaintext` for the parameter `arn`.
    func encrypt(_ plaintext: String, keyId: String, arn: String, envelope: Bool, ctx: RequestContext) async throws -> String {
        if !envelope {
            let out = try await call("Encrypt", [
                "KeyId": .string(keyId), "Plaintext": .blob(Array(plaintext.utf8)), "EncryptionContext": Self.context(arn),
            ], ctx)
            guard case .blob(let blob)? = out["CiphertextBlob"] else {
                throw AWSError.internalFailure("kms:Encrypt answered without a ciphertext")
            }
            return Base64.encode(blob)
        }
        let out = try await call("GenerateDataKey", [
            "KeyId": .string(keyId), "KeySpec": "AES_256", "EncryptionContext": Self.context(arn),
        ], ctx)
        guard case .blob(let wrapped)? = out["CiphertextBlob"], case .blob(let dataKey)? = out["Plaintext"] else {
            throw AWSError.internalFailure("kms:GenerateDataKey answered without a data key")
        }
        let sealed = try AES.GCM.seal(Array(plaintext.utf8), using: SymmetricKey(data: dataKey),
                                      authenticating: Array(arn.utf8))
        // magic | u16 wrapped-key length | wrapped key | nonce(12) | ciphertext | tag(16)
        var blob: [UInt8] = [Self.envelopeMagic, UInt8(wrapped.count >> 8), UInt8(wrapped.count & 0xff)]
        blob += wrapped
        blob += Array(sealed.nonce)
        blob += Array(sealed.ciphertext)
        blob += Array(sealed.tag)
        return Base64.encode(blob)
    }

    /// The plaintext of a stored ciphertext, decrypted by KMS as the caller.
    func decrypt(_ ciphertext: String, arn: String, envelope: Bool, ctx: RequestContext) async throws -> String {
        guard let blob = Base64.decode(ciphertext) else {
            throw AWSError.internalFailure("a stored SecureString ciphertext is not base64")
        }
        if !envelope {
            let out = try await call("Decrypt", ["CiphertextBlob": .blob(blob), "EncryptionContext": Self.context(arn)], ctx)
            guard case .blob(let plain)? = out["Plaintext"] else {
                throw AWSError.internalFailure("kms:Decrypt answered without a plaintext")
            }
            return String(decoding: plain, as: UTF8.self)
        }
        guard blob.count > 3, blob[0] == Self.envelopeMagic else {
            throw AWSError.internalFailure("a stored SecureString envelope is malformed")
        }
        let n = Int(blob[1]) << 8 | Int(blob[2])
        guard blob.count >= 3 + n + 12 + 16 else { throw AWSError.internalFailure("a stored SecureString envelope is truncated") }
        let wrapped = Array(blob[3..<(3 + n)])
        let rest = blob[(3 + n)...]
        let out = try await call("Decrypt", ["CiphertextBlob": .blob(wrapped), "EncryptionContext": Self.context(arn)], ctx)
        guard case .blob(let dataKey)? = out["Plaintext"] else {
            throw AWSError.internalFailure("kms:Decrypt answered without a data key")
        }
        let nonceEnd = rest.startIndex + 12
        let box = try AES.GCM.SealedBox(
            nonce: AES.GCM.Nonce(data: rest[rest.startIndex..<nonceEnd]),
            ciphertext: rest[nonceEnd..<(rest.endIndex - 16)], tag: rest[(rest.endIndex - 16)...])
        let plain = try AES.GCM.open(box, using: SymmetricKey(data: dataKey), authenticating: Array(arn.utf8))
        return String(decoding: plain, as: UTF8.self)
    }

    private func call(_ operation: String, _ input: [String: Value], _ ctx: RequestContext) async throws -> Value {
        do {
            return try await invoker.invoke(InternalCall(service: "kms", operation: operation, input: .object(input),
                                                         onBehalfOf: ctx, via: Self.via))
        } catch let e as AWSError {
            throw Self.map(e, requestId: ctx.requestId)
        }
    }

    /// KMS's refusals as Parameter Store relays them: the KMS error inside the message in the
    /// Java SDK's shape, under `AccessDeniedException` for a denial and `InvalidKeyId` for a
    /// key that is missing, disabled, pending deletion or of the wrong kind. Anything else
    /// (KMS not available here) passes through unchanged.
    static func map(_ e: AWSError, requestId: String) -> AWSError {
        let relayed = "\(e.message) (Service: AWSKMS; Status Code: \(e.status); Error Code: \(e.code); Request ID: \(requestId); Proxy: null)"
        switch e.code {
        case "AccessDeniedException":
            return AWSError(code: "AccessDeniedException", message: relayed)
        case "NotFoundException", "DisabledException", "KMSInvalidStateException", "InvalidKeyUsageException",
            "IncorrectKeyException", "InvalidCiphertextException", "InvalidArnException", "KeyUnavailableException":
            return AWSError(code: "InvalidKeyId", message: relayed)
        default:
            return e
        }
    }
}
