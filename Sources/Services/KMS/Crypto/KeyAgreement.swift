import Crypto
import SimfraCore

/// DeriveSharedSecret: raw ECDH on the NIST curves (KMS returns the shared secret itself, the
/// x-coordinate, as `cryptography`'s and OpenSSL's ECDH do). The peer's key is DER
/// SubjectPublicKeyInfo on the key's curve; anything else is a ValidationException with the
/// empty message AWS sends.
enum KeyAgreement {
    static func ecdh(privateKeyDER: [UInt8], spec: String, peerSPKI: [UInt8]) throws -> [UInt8] {
        func raw(_ s: SharedSecret) -> [UInt8] { s.withUnsafeBytes { Array($0) } }
        do {
            switch spec {
            case "ECC_NIST_P256":
                let peer = try P256.KeyAgreement.PublicKey(derRepresentation: peerSPKI)
                return raw(try P256.KeyAgreement.PrivateKey(derRepresentation: privateKeyDER).sharedSecretFromKeyAgreement(with: peer))
            case "ECC_NIST_P384":
                let peer = try P384.KeyAgreement.PublicKey(derRepresentation: peerSPKI)
                return raw(try P384.KeyAgreement.PrivateKey(derRepresentation: privateKeyDER).sharedSecretFromKeyAgreement(with: peer))
            case "ECC_NIST_P521":
                let peer = try P521.KeyAgreement.PublicKey(derRepresentation: peerSPKI)
                return raw(try P521.KeyAgreement.PrivateKey(derRepresentation: privateKeyDER).sharedSecretFromKeyAgreement(with: peer))
            default:
                throw KMSError.unsupported("KeySpec \(spec) does not support key agreement in Simfra.")
            }
        } catch let e as AWSError {
            throw e
        } catch {
            throw KMSError.validation("")
        }
    }
}
