/// Authenticated encryption of sensitive fields (AES-256-GCM in the real build, see
/// `CryptoSealer`). Kept behind a protocol so the engine compiles without swift-crypto in
/// standalone checks.
package protocol Sealer: Sendable {
    /// Seals `plaintext` under a fresh random 96-bit nonce; returns nonce || ciphertext || tag.
    func seal(_ plaintext: [UInt8], aad: [UInt8]) -> [UInt8]
    /// Opens a value produced by `seal` with the same key and `aad`; `nil` when the key, the
    /// aad or the bytes do not match.
    func open(_ sealed: [UInt8], aad: [UInt8]) -> [UInt8]?
}

/// Builds the sealer for a 32-byte master key.
package typealias SealerFactory = @Sendable ([UInt8]) -> any Sealer
