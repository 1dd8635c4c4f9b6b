import Crypto
import SimfraCore

/// MD5 as SQS uses it (MD5OfMessageBody, MD5OfMessageAttributes): swift-crypto's, with the
/// length-prefixed updates the attribute digest is built from.
struct MD5 {
    private var hasher = Insecure.MD5()

    init() {}

    mutating func update(_ bytes: [UInt8]) { hasher.update(data: bytes) }

    mutating func update(_ s: String) { hasher.update(data: Array(s.utf8)) }

    /// 4-byte big-endian length, then the bytes.
    mutating func updateLengthPrefixed(_ bytes: [UInt8]) {
        let n = UInt32(bytes.count)
        hasher.update(data: [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)])
        hasher.update(data: bytes)
    }

    mutating func updateLengthPrefixed(_ s: String) { updateLengthPrefixed(Array(s.utf8)) }

    func finalize() -> [UInt8] { Array(hasher.finalize()) }

    static func hex(_ s: String) -> String { hex(Array(s.utf8)) }

    static func hex(_ bytes: [UInt8]) -> String {
        var h = MD5()
        h.update(bytes)
        return Hex.encode(h.finalize())
    }
}

/// SHA-256 hex of a body: FIFO content-based deduplication ids.
enum BodySHA256 {
    static func hex(_ s: String) -> String { Hex.encode(Array(Crypto.SHA256.hash(data: Array(s.utf8)))) }
}
