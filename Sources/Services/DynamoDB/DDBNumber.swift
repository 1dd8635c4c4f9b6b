import SimfraCore

/// A DynamoDB number: up to 38 significant decimal digits, magnitude between 1E-130 and
/// 9.99…E+125, kept exactly as sign, significant digits and a power-of-ten exponent
/// (value = ±digits × 10^exponent), normalised so equal numbers have equal representations.
struct DDBNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    var negative: Bool
    /// Significant digits, most significant first, 0...9 each; no leading or trailing zeros.
    /// Empty means zero.
    var digits: [UInt8]
    var exponent: Int

    static let zero = DDBNumber(negative: false, digits: [], exponent: 0)

    init(negative: Bool, digits: [UInt8], exponent: Int) {
        var d = digits[...]
        while let f = d.first, f == 0 { d = d.dropFirst() }
        var e = exponent
        while let l = d.last, l == 0 { d = d.dropLast(); e += 1 }
        self.digits = Array(d)
        self.exponent = self.digits.isEmpty ? 0 : e
        self.negative = self.digits.isEmpty ? false : negative
    }

    var isZero: Bool { digits.isEmpty }

    /// Parses AWS's number syntax; nil when the text is not a number.
    static func parse(_ text: String) -> DDBNumber? {
        var bytes = Array(text.utf8)[...]
        while let f = bytes.first, f == 0x20 { bytes = bytes.dropFirst() }
        while let l = bytes.last, l == 0x20 { bytes = bytes.dropLast() }
        var negative = false
        if let f = bytes.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var digits: [UInt8] = []
        var fraction = 0
        var seenDot = false
        var seenDigit = false
        while let c = bytes.first {
            if c >= 0x30 && c <= 0x39 {
                digits.append(c - 0x30)
                if seenDot { fraction += 1 }
                seenDigit = true
            } else if c == UInt8(ascii: ".") && !seenDot {
                seenDot = true
            } else {
                break
            }
            bytes = bytes.dropFirst()
        }
        guard seenDigit else { return nil }
        var exp = 0
        if let c = bytes.first, c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            var eneg = false
            if let s = bytes.first, s == UInt8(ascii: "-") || s == UInt8(ascii: "+") {
                eneg = s == UInt8(ascii: "-")
                bytes = bytes.dropFirst()
            }
            guard !bytes.isEmpty else { return nil }
            var v = 0
            for c in bytes {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                if v < 1_000_000 { v = v * 10 + Int(c - 0x30) }
            }
            exp = eneg ? -v : v
            bytes = bytes[bytes.endIndex...]
        }
        guard bytes.isEmpty else { return nil }
        return DDBNumber(negative: negative, digits: digits, exponent: exp - fraction)
    }

    /// Parses and checks AWS's limits, throwing AWS's ValidationException texts.
    static func validated(_ text: String) throws -> DDBNumber {
        guard let n = parse(text) else {
            throw DDBError.validation("A value provided cannot be converted into a number")
        }
        try n.checkLimits()
        return n
    }

    func checkLimits() throws {
        if isZero { return }
        if digits.count > 38 {
            throw DDBError.validation("Attempting to store more than 38 significant digits in a Number")
        }
        let adjusted = exponent + digits.count - 1
        if adjusted > 125 {
            throw DDBError.validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
        }
        if adjusted < -130 {
            throw DDBError.validation("Number underflow. Attempting to store a number with magnitude smaller than supported range")
        }
    }

    /// Canonical text as DynamoDB returns it: plain decimal notation, no trailing zeros.
    var description: String {
        if isZero { return "0" }
        var s = negative ? "-" : ""
        let ds = String(decoding: digits.map { $0 + 0x30 }, as: UTF8.self)
        if exponent >= 0 {
            s += ds + String(repeating: "0", count: exponent)
        } else {
            let point = digits.count + exponent
            if point > 0 {
                s += String(ds.prefix(point)) + "." + String(ds.dropFirst(point))
            } else {
                s += "0." + String(repeating: "0", count: -point) + ds
            }
        }
        return s
    }

    private static func compareMagnitude(_ a: DDBNumber, _ b: DDBNumber) -> Int {
        if a.isZero || b.isZero { return (a.isZero ? 0 : 1) - (b.isZero ? 0 : 1) }
        let ea = a.exponent + a.digits.count, eb = b.exponent + b.digits.count
        if ea != eb { return ea < eb ? -1 : 1 }
        let n = max(a.digits.count, b.digits.count)
        for i in 0..<n {
            let x = i < a.digits.count ? a.digits[i] : 0
            let y = i < b.digits.count ? b.digits[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    static func < (a: DDBNumber, b: DDBNumber) -> Bool {
        if a.negative != b.negative { return a.negative }
        let m = compareMagnitude(a, b)
        return a.negative ? m > 0 : m < 0
    }

    /// Digits (least significant first) of |x| scaled to exponent `e` (e ≤ x.exponent).
    private static func scaled(_ x: DDBNumber, to e: Int) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: x.exponent - e)
        r.append(contentsOf: x.digits.reversed())
        return r
    }

    static func + (a: DDBNumber, b: DDBNumber) -> DDBNumber {
        if a.isZero { return b }
        if b.isZero { return a }
        let e = min(a.exponent, b.exponent)
        let x = scaled(a, to: e), y = scaled(b, to: e)
        if a.negative == b.negative {
            var r: [UInt8] = []
            var carry: UInt8 = 0
            for i in 0..<max(x.count, y.count) {
                let s = (i < x.count ? x[i] : 0) + (i < y.count ? y[i] : 0) + carry
                r.append(s % 10)
                carry = s / 10
            }
            if carry > 0 { r.append(carry) }
            return DDBNumber(negative: a.negative, digits: r.reversed(), exponent: e)
        }
        // Different signs: subtract the smaller magnitude from the larger.
        let m = compareMagnitude(a, b)
        if m == 0 { return .zero }
        let (big, small, neg) = m > 0 ? (x, y, a.negative) : (y, x, b.negative)
        var r: [UInt8] = []
        var borrow: Int = 0
        for i in 0..<big.count {
            var d = Int(big[i]) - borrow - Int(i < small.count ? small[i] : 0)
            if d < 0 { d += 10; borrow = 1 } else { borrow = 0 }
            r.append(UInt8(d))
        }
        return DDBNumber(negative: neg, digits: r.reversed(), exponent: e)
    }

    static prefix func - (a: DDBNumber) -> DDBNumber {
        DDBNumber(negative: !a.negative, digits: a.digits, exponent: a.exponent)
    }

    static func - (a: DDBNumber, b: DDBNumber) -> DDBNumber { a + (-b) }

    /// Approximate size in bytes as DynamoDB accounts it.
    var storageSize: Int { (digits.count + 1) / 2 + 1 }
}
