/// AWS access key ids as AWS forms them: a four-letter prefix (`AKIA` long-term, `ASIA`
/// temporary) and 16 base32 characters whose first 48 bits carry the owning account in bits
/// 7…46. `sts:GetAccessKeyInfo` decodes the account from any key id this way without looking
/// the key up, so keys Simfra issues must encode their account for it to answer as AWS does.
package enum AccessKeyID {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// A fresh key id for `account` (12 digits); the remaining bits are random.
    package static func make(prefix: String, account: String) -> String {
        var rng = SystemRandomNumberGenerator()
        let acct = UInt64(account) ?? 0
        // 48 bits: a zero top bit, the 40-bit account, 7 random low bits.
        let head = ((acct & 0xFF_FFFF_FFFF) << 7) | (rng.next() & 0x7F)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(10)
        for shift in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8((head >> UInt64(shift)) & 0xFF)) }
        for _ in 0..<4 { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
        return prefix + base32(bytes)
    }

    /// The account a key id encodes, or nil when it is not a 20-character AWS-style key id.
    package static func account(of keyId: String) -> String? {
        let u = Array(keyId.utf8)
        guard u.count == 20 else { return nil }
        var bits: UInt64 = 0
        var count = 0
        // Only the first 48 bits (10 characters = 50 bits) matter.
        for c in u[4..<14] {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            bits = (bits << 5) | UInt64(v)
            count += 5
        }
        for c in u[14..<20] where alphabet.firstIndex(of: c) == nil { return nil }
        let head = bits >> UInt64(count - 48)
        let acct = (head & 0x7FFF_FFFF_FF80) >> 7
        guard acct <= 999_999_999_999 else { return nil }
        let s = String(acct)
        return String(repeating: "0", count: 12 - s.count) + s
    }

    /// RFC 4648 base32 without padding (10 bytes → 16 characters).
    static func base32(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for b in bytes {
            buffer = (buffer << 8) | UInt32(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 0x1F)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1F)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
