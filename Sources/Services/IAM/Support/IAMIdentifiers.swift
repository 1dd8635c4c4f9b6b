/// AWS's identifier formats: a four-letter prefix naming the entity type and random
/// upper-case letters and digits (`AIDA` + 17 for users, `AKIA` + 16 for access keys).
enum IAMIdentifiers {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    static let upperAlnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
    static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func random(_ count: Int, from chars: [UInt8]) -> String {
        var rng = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(chars[Int(rng.next(upperBound: UInt32(chars.count)))]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func uniqueId(_ prefix: String) -> String { prefix + random(17, from: upperAlnum) }
    static func user() -> String { uniqueId("AIDA") }
    static func role() -> String { uniqueId("AROA") }
    static func group() -> String { uniqueId("AGPA") }
    static func policy() -> String { uniqueId("ANPA") }
    static func instanceProfile() -> String { uniqueId("AIPA") }
    /// Access key ids use base32 letters and digits, as AWS's do.
    static func accessKeyId() -> String { "AKIA" + random(16, from: alphabet) }
    static func secretAccessKey() -> String { random(40, from: secretAlphabet) }
}
