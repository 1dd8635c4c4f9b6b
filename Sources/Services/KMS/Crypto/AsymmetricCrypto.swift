import Crypto
import Foundation
import _CryptoExtras

/// RSA encryption (RSAES_OAEP_SHA_1/256) with keys kept as DER private keys. KMS returns the
/// raw OAEP ciphertext, so any standard library encrypting to GetPublicKey's key produces
/// ciphertexts Decrypt accepts.
enum AsymmetricCrypto {
    static func padding(_ algorithm: String) -> _RSA.Encryption.Padding? {
        switch algorithm {
        case "RSAES_OAEP_SHA_1": return .PKCS1_OAEP
        case "RSAES_OAEP_SHA_256": return .PKCS1_OAEP_SHA256
        default: return nil
        }
    }

    /// The largest plaintext an RSA key spec and OAEP hash can take (k - 2·hLen - 2), as KMS
    /// states it: RSA_2048 with SHA-256 takes 190 bytes.
    static func maxPlaintext(spec: String, algorithm: String) -> Int? {
        guard spec.hasPrefix("RSA_"), let bits = Int(spec.dropFirst(4)) else { return nil }
        let hLen: Int
        switch algorithm {
        case "RSAES_OAEP_SHA_1": hLen = 20
        case "RSAES_OAEP_SHA_256": hLen = 32
        default: return nil
        }
        return bits / 8 - 2 * hLen - 2
    }

    static func encrypt(_ plaintext: [UInt8], privateKeyDER: [UInt8], spec: String, algorithm: String) throws -> [UInt8] {
        guard let padding = padding(algorithm) else { throw KMSError.invalidKeyUsage("Algorithm \(algorithm) is incompatible with key spec \(spec).") }
        let key = try _RSA.Encryption.PrivateKey(derRepresentation: privateKeyDER)
        return Array(try key.publicKey.encrypt(plaintext, padding: padding))
    }

    static func decrypt(_ ciphertext: [UInt8], privateKeyDER: [UInt8], spec: String, algorithm: String) -> [UInt8]? {
        guard let padding = padding(algorithm), let key = try? _RSA.Encryption.PrivateKey(derRepresentation: privateKeyDER),
            let plain = try? key.decrypt(ciphertext, padding: padding)
        else { return nil }
        return Array(plain)
    }
}
