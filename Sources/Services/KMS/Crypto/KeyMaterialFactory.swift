import Crypto
import Foundation
import _CryptoExtras

/// Fresh key material for each key spec swift-crypto can back.
enum KeyMaterialFactory {
    static func generate(spec: String) throws -> [UInt8] {
        switch spec {
        case "SYMMETRIC_DEFAULT":
            return KMSIdentifiers.randomBytes(32)
        case "HMAC_224": return KMSIdentifiers.randomBytes(28)
        case "HMAC_256": return KMSIdentifiers.randomBytes(32)
        case "HMAC_384": return KMSIdentifiers.randomBytes(48)
        case "HMAC_512": return KMSIdentifiers.randomBytes(64)
        case "RSA_2048", "RSA_3072", "RSA_4096":
            let bits = Int(spec.dropFirst(4))!
            return Array(try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits)).derRepresentation)
        case "ECC_NIST_P256": return Array(P256.Signing.PrivateKey().derRepresentation)
        case "ECC_NIST_P384": return Array(P384.Signing.PrivateKey().derRepresentation)
        case "ECC_NIST_P521": return Array(P521.Signing.PrivateKey().derRepresentation)
        // The 32-byte seed (swift-crypto has no DER form for Ed25519 private keys).
        case "ECC_NIST_EDWARDS25519": return Array(Curve25519.Signing.PrivateKey().rawRepresentation)
        default:
            // ECC_SECG_P256K1 (BoringSSL has no secp256k1), SM2 (China regions only), ML-DSA.
            throw KMSError.unsupported("KeySpec \(spec) is not supported by Simfra.")
        }
    }
}
