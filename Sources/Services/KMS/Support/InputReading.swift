import SimfraCore

/// KMS-shaped reads of the decoded input (the common ones are in SimfraCore).
extension Value {
    /// KMS's `[{"TagKey": …, "TagValue": …}]`, in request order.
    func kmsTags(_ key: String) -> [(key: String, value: String)] {
        (self[key]?.listValue ?? []).compactMap { t in
            t["TagKey"]?.stringValue.map { (key: $0, value: t["TagValue"]?.stringValue ?? "") }
        }
    }
}

/// Random identifiers in AWS's formats.
enum KMSIdentifiers {
    static func hex(_ n: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return String((0..<n).map { _ in "0123456789abcdef".randomElement(using: &g)! })
    }

    /// `1234abcd-12ab-34cd-56ef-1234567890ab`
    static func keyId() -> String {
        let h = hex(32)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-"
            + String(["8", "9", "a", "b"].randomElement()!) + String(c[17..<20]) + "-" + String(c[20..<32])
    }

    /// `mrk-` + 32 hex characters.
    static func multiRegionKeyId() -> String { "mrk-" + hex(32) }

    static func isKeyId(_ s: String) -> Bool {
        let u = Array(s.utf8)
        func isHex(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
        }
        if s.hasPrefix("mrk-") {
            return u.count == 36 && u[4...].allSatisfy(isHex)
        }
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if [8, 13, 18, 23].contains(i) {
                if c != UInt8(ascii: "-") { return false }
            } else if !isHex(c) {
                return false
            }
        }
        return true
    }

    static func randomBytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }
}
