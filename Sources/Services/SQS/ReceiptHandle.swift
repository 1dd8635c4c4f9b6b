import SimfraCore
import Synchronization

/// Receipt handles: opaque base64 that names the queue incarnation, the message and the
/// receive that produced it. A handle from another queue, a recreated queue or a previous
/// process fails to parse or to match and is reported as invalid.
///
/// Layout (36 bytes): an 8-byte nonce, then magic, incarnation, serial, receive number and a
/// check word, masked with a keystream derived from the nonce so handles look random.
struct ReceiptHandle: Equatable {
    var incarnation: UInt64
    var serial: UInt64
    var receiveNumber: UInt32

    private static let magic: UInt32 = 0x5351_0100
    static let byteCount = 36

    private static func keystream(_ nonce: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for i in 0..<4 {
            let k = IdentifierSource.mix(nonce &+ UInt64(i) &* 0xA076_1D64_78BD_642F)
            for b in 0..<8 { out.append(UInt8((k >> (8 * UInt64(b))) & 0xFF)) }
        }
        return out
    }

    private static func check(_ nonce: UInt64, _ incarnation: UInt64, _ serial: UInt64, _ rn: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: IdentifierSource.mix(nonce ^ incarnation ^ (serial &* 31) ^ UInt64(rn)))
    }

    func encode(nonce: UInt64) -> String {
        var plain: [UInt8] = []
        plain.reserveCapacity(28)
        func put(_ v: UInt64, _ n: Int) {
            for i in (0..<n).reversed() { plain.append(UInt8((v >> (8 * UInt64(i))) & 0xFF)) }
        }
        put(UInt64(ReceiptHandle.magic), 4)
        put(incarnation, 8)
        put(serial, 8)
        put(UInt64(receiveNumber), 4)
        put(UInt64(ReceiptHandle.check(nonce, incarnation, serial, receiveNumber)), 4)
        var b: [UInt8] = []
        b.reserveCapacity(ReceiptHandle.byteCount)
        for i in (0..<8).reversed() { b.append(UInt8((nonce >> (8 * UInt64(i))) & 0xFF)) }
        let ks = ReceiptHandle.keystream(nonce)
        for (i, x) in plain.enumerated() { b.append(x ^ ks[i]) }
        return Base64.encode(b)
    }

    static func decode(_ s: String) -> ReceiptHandle? {
        guard s.utf8.count == 48, let b = Base64.decodeCanonical(s), b.count == byteCount else { return nil }
        var nonce: UInt64 = 0
        for i in 0..<8 { nonce = nonce << 8 | UInt64(b[i]) }
        let ks = keystream(nonce)
        let plain = (0..<28).map { b[8 + $0] ^ ks[$0] }
        func get(_ at: Int, _ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<n { v = v << 8 | UInt64(plain[at + i]) }
            return v
        }
        guard UInt32(get(0, 4)) == magic else { return nil }
        let h = ReceiptHandle(incarnation: get(4, 8), serial: get(12, 8), receiveNumber: UInt32(get(20, 4)))
        guard UInt32(get(24, 4)) == check(nonce, h.incarnation, h.serial, h.receiveNumber) else { return nil }
        return h
    }
}

/// Unique, random-looking identifiers without a syscall per id: two keyed SplitMix64
/// streams over an atomic counter (SplitMix64's finaliser is a bijection, so ids never
/// repeat within a process).
final class IdentifierSource: Sendable {
    private let seedA: UInt64
    private let seedB: UInt64
    private let counter = Atomic<UInt64>(0)

    init() {
        var rng = SystemRandomNumberGenerator()
        seedA = rng.next()
        seedB = rng.next()
    }

    /// Deterministic ids (tests).
    init(seed: UInt64) {
        seedA = seed
        seedB = seed ^ 0x9E37_79B9_7F4A_7C15
    }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    func next() -> UInt64 {
        let n = counter.add(1, ordering: .relaxed).newValue
        return IdentifierSource.mix(seedA &+ n &* 0x9E37_79B9_7F4A_7C15)
    }

    /// A version-4-shaped UUID, lower-case.
    func uuid() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        let hi = IdentifierSource.mix(seedA &+ n &* 0x9E37_79B9_7F4A_7C15)
        let lo = IdentifierSource.mix(seedB &+ n &* 0xD1B5_4A32_D192_ED03)
        let h = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let l = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return Hex.uuid(high: h, low: l)
    }
}
