import Crypto

/// AES-256-GCM via swift-crypto. Output: 12-byte nonce || ciphertext || 16-byte tag.
package struct CryptoSealer: Sealer {
    private let key: SymmetricKey

    /// `key` must be 32 bytes (checked by `PersistenceStore.open`).
    package init(key: [UInt8]) {
        precondition(key.count == 32, "AES-256 needs a 32-byte key")
        self.key = SymmetricKey(data: key)
    }

    package func seal(_ plaintext: [UInt8], aad: [UInt8]) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: aad)
            guard let combined = box.combined else { fatalError("AES-GCM: no combined form for a 12-byte nonce") }
            return Array(combined)
        } catch {
            // Only reachable with a malformed key or nonce, both fixed-size here.
            fatalError("AES-GCM seal failed: \(error)")
        }
    }

    package func open(_ sealed: [UInt8], aad: [UInt8]) -> [UInt8]? {
        guard sealed.count >= 12 + 16,
            let box = try? AES.GCM.SealedBox(combined: sealed),
            let plaintext = try? AES.GCM.open(box, using: key, authenticating: aad)
        else { return nil }
        return Array(plaintext)
    }
}
