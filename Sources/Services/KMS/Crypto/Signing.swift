import Crypto
import Foundation
import _CryptoExtras

/// Sign and Verify with RSA (PSS and PKCS#1 v1.5) and ECDSA keys, RAW or DIGEST messages.
/// Signatures are what KMS returns (RSA: the raw signature; ECDSA: DER), so any standard
/// library verifies them with GetPublicKey's key.
enum Signing {
    enum Hash {
        case sha256, sha384, sha512

        var length: Int {
            switch self {
            case .sha256: return 32
            case .sha384: return 48
            case .sha512: return 64
            }
        }
    }

    struct Algorithm {
        var hash: Hash
        /// `.pss`, `.pkcs1` or `.ecdsa`
        var scheme: String
    }

    static func algorithm(_ name: String) -> Algorithm? {
        let hash: Hash
        if name.hasSuffix("_SHA_256") { hash = .sha256 } else if name.hasSuffix("_SHA_384") { hash = .sha384 } else if name.hasSuffix("_SHA_512") { hash = .sha512 } else { return nil }
        if name.hasPrefix("RSASSA_PSS_") { return Algorithm(hash: hash, scheme: "pss") }
        if name.hasPrefix("RSASSA_PKCS1_V1_5_") { return Algorithm(hash: hash, scheme: "pkcs1") }
        if name.hasPrefix("ECDSA_") { return Algorithm(hash: hash, scheme: "ecdsa") }
        return nil
    }

    /// The message's digest: hashed here for RAW, taken as given for DIGEST (whose length
    /// must be the hash's: `Digest is invalid length for algorithm …`).
    static func digestBytes(_ message: [UInt8], messageType: String, algorithmName: String, hash: Hash) throws -> [UInt8] {
        if messageType == "DIGEST" {
            guard message.count == hash.length else {
                throw KMSError.validation("Digest is invalid length for algorithm \(algorithmName).")
            }
            return message
        }
        switch hash {
        case .sha256: return Array(SHA256.hash(data: message))
        case .sha384: return Array(SHA384.hash(data: message))
        case .sha512: return Array(SHA512.hash(data: message))
        }
    }

    /// A swift-crypto digest value holding `bytes`. swift-crypto's RSA picks the hash by the
    /// digest's type and offers no public initialiser from bytes, so the bytes are laid into
    /// the digest's storage (a plain tuple of integers) and checked to read back the same.
    static func makeDigest<D: Digest>(_ bytes: [UInt8], as type: D.Type) throws -> D {
        guard MemoryLayout<D>.size == bytes.count, D.byteCount == bytes.count else {
            throw KMSError.validation("Digest is invalid length.")
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<D>.size, alignment: MemoryLayout<D>.alignment)
        defer { p.deallocate() }
        bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        let d = p.load(as: D.self)
        // A swift-crypto whose digest storage is not the plain bytes would fail here, loudly.
        guard Array(d) == bytes else {
            throw KMSError.make("KMSInternalException", "Digest layout not supported", status: 500)
        }
        return d
    }

    static func sign(_ digest: [UInt8], privateKeyDER: [UInt8], spec: String, algorithm: Algorithm) throws -> [UInt8] {
        switch spec {
        case "ECC_NIST_P256":
            return Array(try P256.Signing.PrivateKey(derRepresentation: privateKeyDER).signature(for: try ecDigest(digest, algorithm.hash)).derRepresentation)
        case "ECC_NIST_P384":
            return Array(try P384.Signing.PrivateKey(derRepresentation: privateKeyDER).signature(for: try ecDigest(digest, algorithm.hash)).derRepresentation)
        case "ECC_NIST_P521":
            return Array(try P521.Signing.PrivateKey(derRepresentation: privateKeyDER).signature(for: try ecDigest(digest, algorithm.hash)).derRepresentation)
        default:
            let key = try _RSA.Signing.PrivateKey(derRepresentation: privateKeyDER)
            let padding: _RSA.Signing.Padding = algorithm.scheme == "pss" ? .PSS : .insecurePKCS1v1_5
            switch algorithm.hash {
            case .sha256: return Array(try key.signature(for: try makeDigest(digest, as: SHA256.Digest.self), padding: padding).rawRepresentation)
            case .sha384: return Array(try key.signature(for: try makeDigest(digest, as: SHA384.Digest.self), padding: padding).rawRepresentation)
            case .sha512: return Array(try key.signature(for: try makeDigest(digest, as: SHA512.Digest.self), padding: padding).rawRepresentation)
            }
        }
    }

    static func verify(_ signature: [UInt8], digest: [UInt8], privateKeyDER: [UInt8], spec: String, algorithm: Algorithm) -> Bool {
        do {
            switch spec {
            case "ECC_NIST_P256":
                let k = try P256.Signing.PrivateKey(derRepresentation: privateKeyDER).publicKey
                return k.isValidSignature(try P256.Signing.ECDSASignature(derRepresentation: signature), for: try ecDigest(digest, algorithm.hash))
            case "ECC_NIST_P384":
                let k = try P384.Signing.PrivateKey(derRepresentation: privateKeyDER).publicKey
                return k.isValidSignature(try P384.Signing.ECDSASignature(derRepresentation: signature), for: try ecDigest(digest, algorithm.hash))
            case "ECC_NIST_P521":
                let k = try P521.Signing.PrivateKey(derRepresentation: privateKeyDER).publicKey
                return k.isValidSignature(try P521.Signing.ECDSASignature(derRepresentation: signature), for: try ecDigest(digest, algorithm.hash))
            default:
                let k = try _RSA.Signing.PrivateKey(derRepresentation: privateKeyDER).publicKey
                let padding: _RSA.Signing.Padding = algorithm.scheme == "pss" ? .PSS : .insecurePKCS1v1_5
                let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
                switch algorithm.hash {
                case .sha256: return k.isValidSignature(sig, for: try makeDigest(digest, as: SHA256.Digest.self), padding: padding)
                case .sha384: return k.isValidSignature(sig, for: try makeDigest(digest, as: SHA384.Digest.self), padding: padding)
                case .sha512: return k.isValidSignature(sig, for: try makeDigest(digest, as: SHA512.Digest.self), padding: padding)
                }
            }
        } catch {
            return false
        }
    }

    /// ECDSA signs the digest bytes whatever their hash; a digest of the right length.
    private static func ecDigest(_ bytes: [UInt8], _ hash: Hash) throws -> any Digest {
        switch hash {
        case .sha256: return try makeDigest(bytes, as: SHA256.Digest.self)
        case .sha384: return try makeDigest(bytes, as: SHA384.Digest.self)
        case .sha512: return try makeDigest(bytes, as: SHA512.Digest.self)
        }
    }

    /// Ed25519 (ED25519_SHA_512: pure Ed25519 over the RAW message, as RFC 8032 defines it).
    /// Ed25519ph (ED25519_PH_SHA_512) is not in swift-crypto.
    static func signEd25519(_ message: [UInt8], seed: [UInt8]) throws -> [UInt8] {
        Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seed).signature(for: message))
    }

    static func verifyEd25519(_ signature: [UInt8], message: [UInt8], seed: [UInt8]) -> Bool {
        guard let k = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return false }
        return k.publicKey.isValidSignature(signature, for: message)
    }

    /// SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): the fixed prefix, then the 32 bytes.
    static let ed25519SPKIPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// The public key as DER SubjectPublicKeyInfo (what GetPublicKey returns).
    static func publicKeyDER(privateKeyDER: [UInt8], spec: String) throws -> [UInt8] {
        switch spec {
        case "ECC_NIST_EDWARDS25519":
            return ed25519SPKIPrefix + Array(try Curve25519.Signing.PrivateKey(rawRepresentation: privateKeyDER).publicKey.rawRepresentation)
        case "ECC_NIST_P256": return Array(try P256.Signing.PrivateKey(derRepresentation: privateKeyDER).publicKey.derRepresentation)
        case "ECC_NIST_P384": return Array(try P384.Signing.PrivateKey(derRepresentation: privateKeyDER).publicKey.derRepresentation)
        case "ECC_NIST_P521": return Array(try P521.Signing.PrivateKey(derRepresentation: privateKeyDER).publicKey.derRepresentation)
        default: return Array(try _RSA.Signing.PrivateKey(derRepresentation: privateKeyDER).publicKey.derRepresentation)
        }
    }

    /// A fresh key pair for GenerateDataKeyPair: (PKCS#8 private key DER, SPKI public key DER).
    static func dataKeyPair(spec: String) throws -> (privateKey: [UInt8], publicKey: [UInt8]) {
        switch spec {
        case "ECC_NIST_P256":
            let k = P256.Signing.PrivateKey()
            return (Array(k.derRepresentation), Array(k.publicKey.derRepresentation))
        case "ECC_NIST_P384":
            let k = P384.Signing.PrivateKey()
            return (Array(k.derRepresentation), Array(k.publicKey.derRepresentation))
        case "ECC_NIST_P521":
            let k = P521.Signing.PrivateKey()
            return (Array(k.derRepresentation), Array(k.publicKey.derRepresentation))
        case "RSA_2048", "RSA_3072", "RSA_4096":
            let k = try _RSA.Signing.PrivateKey(keySize: .init(bitCount: Int(spec.dropFirst(4))!))
            return (Array(k.pkcs8DERRepresentation), Array(k.publicKey.derRepresentation))
        default:
            throw KMSError.unsupported("KeyPairSpec \(spec) is not supported by Simfra.")
        }
    }
}
