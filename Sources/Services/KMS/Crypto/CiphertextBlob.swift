import Crypto
import Foundation

/// The ciphertext blob of a symmetric key, self-describing so Decrypt needs no KeyId:
///
/// ```
/// 0x01                      format version
/// u8 len | account (ASCII)  owning account, so a cross-account Decrypt finds the key
/// u8 len | key id (ASCII)   UUID or mrk-… (replicas share it, so any replica region decrypts)
/// u32 BE                    key material version (index; rotation keeps old ones)
/// 12 bytes                  AES-GCM nonce
/// n bytes                   ciphertext
/// 16 bytes                  GCM tag
/// ```
///
/// The AAD is the header (everything before the ciphertext) followed by the canonical
/// encryption context, so changing the key id, the version, or the context fails the tag:
/// `InvalidCiphertextException`, as in AWS.
struct CiphertextBlob: Equatable, Sendable {
    static let version: UInt8 = 1
    static let nonceSize = 12
    static let tagSize = 16

    var account: String
    var keyId: String
    var materialIndex: UInt32
    var nonce: [UInt8]
    var ciphertext: [UInt8]
    var tag: [UInt8]

    var header: [UInt8] {
        var h: [UInt8] = [Self.version]
        let a = Array(account.utf8), k = Array(keyId.utf8)
        h.append(UInt8(a.count)); h += a
        h.append(UInt8(k.count)); h += k
        h += [UInt8(materialIndex >> 24 & 0xFF), UInt8(materialIndex >> 16 & 0xFF),
              UInt8(materialIndex >> 8 & 0xFF), UInt8(materialIndex & 0xFF)]
        h += nonce
        return h
    }

    var bytes: [UInt8] { header + ciphertext + tag }

    /// Reads the framing only (nothing is authenticated yet); nil when it is not a blob of ours.
    init?(parsing b: [UInt8]) {
        var i = 0
        func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard n >= 0, i + n <= b.count else { return nil }
            defer { i += n }
            return b[i..<i + n]
        }
        guard let v = take(1), v.first == Self.version,
            let al = take(1), let a = take(Int(al.first!)), !a.isEmpty,
            let kl = take(1), let k = take(Int(kl.first!)), !k.isEmpty,
            let idx = take(4), let n = take(Self.nonceSize),
            b.count - i >= Self.tagSize
        else { return nil }
        account = String(decoding: a, as: UTF8.self)
        keyId = String(decoding: k, as: UTF8.self)
        materialIndex = idx.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        nonce = Array(n)
        ciphertext = Array(b[i..<(b.count - Self.tagSize)])
        tag = Array(b[(b.count - Self.tagSize)...])
    }

    /// Encrypts `plaintext` under `key` (32 bytes).
    static func seal(_ plaintext: [UInt8], key: [UInt8], account: String, keyId: String, materialIndex: Int,
                     context: [String: String]) throws -> CiphertextBlob
    {
        var blob = CiphertextBlob(account: account, keyId: keyId, materialIndex: UInt32(materialIndex),
                                  nonce: KMSIdentifiers.randomBytes(nonceSize), ciphertext: [], tag: [])
        let aad = blob.header + EncryptionContext.canonical(context)
        let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: key), nonce: AES.GCM.Nonce(data: blob.nonce),
                                   authenticating: aad)
        blob.ciphertext = Array(box.ciphertext)
        blob.tag = Array(box.tag)
        return blob
    }

    /// The plaintext, or nil when the key, the context or any byte is not the one sealed.
    func open(key: [UInt8], context: [String: String]) -> [UInt8]? {
        let aad = header + EncryptionContext.canonical(context)
        guard let n = try? AES.GCM.Nonce(data: nonce),
            let box = try? AES.GCM.SealedBox(nonce: n, ciphertext: ciphertext, tag: tag),
            let plain = try? AES.GCM.open(box, using: SymmetricKey(data: key), authenticating: aad)
        else { return nil }
        return Array(plain)
    }

    private init(account: String, keyId: String, materialIndex: UInt32, nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        self.account = account
        self.keyId = keyId
        self.materialIndex = materialIndex
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.tag = tag
    }
}

/// The encryption context as authenticated data: pairs sorted by key (UTF-8 byte order),
/// each key and value length-prefixed, so `{"a":"bc"}` and `{"ab":"c"}` differ and the
/// order a client sent them in does not matter.
enum EncryptionContext {
    static func canonical(_ context: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        for (k, v) in context.sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }) {
            for s in [k, v] {
                let b = Array(s.utf8)
                let n = UInt32(b.count)
                out += [UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
                out += b
            }
        }
        return out
    }
}
