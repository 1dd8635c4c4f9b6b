import SimfraCore
import Synchronization

/// Receipt handles: opaque base64 that names the queue incarnation, the message and the
/// receive that produced it. A handle from another queue, a recreated queue or a previous
/// process fails to parse or to match and is reported as invalid.
struct ReceiptHandle: Equatable {
    var incarnation: UInt64
    var serial: UInt64
    var receiveNumber: UInt32

    private static let magic: [UInt8] = [0x53, 0x51, 0x01, 0x00]
    static let byteCount = 36

    func encode(nonce: UInt64) -> String {
        var b = ReceiptHandle.magic
        b.reserveCapacity(ReceiptHandle.byteCount)
        func put(_ v: UInt64, _ n: Int) {
            for i in (0..<n).reversed() { b.append(UInt8((v >> (8 * UInt64(i))) & 0xFF)) }
        }
        put(incarnation, 8)
        put(serial, 8)
        put(UInt64(receiveNumber), 4)
        put(nonce, 8)
        put(nonce ^ incarnation ^ serial, 4)
        return SQSBase64.encode(b)
    }

    static func decode(_ s: String) -> ReceiptHandle? {
        guard s.utf8.count == 48, let b = SQSBase64.decode(s), b.count == byteCount, Array(b[0..<4]) == magic else {
            return nil
        }
        func get(_ at: Int, _ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<n { v = v << 8 | UInt64(b[at + i]) }
            return v
        }
        return ReceiptHandle(incarnation: get(4, 8), serial: get(12, 8), receiveNumber: UInt32(get(20, 4)))
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
        var out = [UInt8]()
        out.reserveCapacity(36)
        func hex(_ v: UInt64, _ digits: Int) {
            var shift = (digits - 1) * 4
            while shift >= 0 {
                out.append(Hex.digits[Int((v >> UInt64(shift)) & 0xF)])
                shift -= 4
            }
        }
        hex(h >> 32, 8)
        out.append(UInt8(ascii: "-"))
        hex((h >> 16) & 0xFFFF, 4)
        out.append(UInt8(ascii: "-"))
        hex(h & 0xFFFF, 4)
        out.append(UInt8(ascii: "-"))
        hex(l >> 48, 4)
        out.append(UInt8(ascii: "-"))
        hex(l & 0xFFFF_FFFF_FFFF, 12)
        return String(decoding: out, as: UTF8.self)
    }
}
