import Synchronization

/// Request ids in AWS's UUID shape, cheap to make: a random 64-bit prefix fixed per process
/// and a counter, so no syscall or RNG call per request.
public final class RequestIDGenerator: Sendable {
    private let prefix: UInt64
    private let counter = Atomic<UInt64>(0)

    public init() {
        var rng = SystemRandomNumberGenerator()
        prefix = rng.next()
    }

    public func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        let a = prefix
        var out = [UInt8]()
        out.reserveCapacity(36)
        func hex(_ v: UInt64, _ digits: Int) {
            var shift = (digits - 1) * 4
            while shift >= 0 {
                out.append(Hex.digits[Int((v >> UInt64(shift)) & 0xF)])
                shift -= 4
            }
        }
        hex(a >> 32, 8); out.append(UInt8(ascii: "-"))
        hex((a >> 16) & 0xFFFF, 4); out.append(UInt8(ascii: "-"))
        hex(a & 0xFFFF, 4); out.append(UInt8(ascii: "-"))
        hex((n >> 48) & 0xFFFF, 4); out.append(UInt8(ascii: "-"))
        hex(n & 0xFFFF_FFFF_FFFF, 12)
        return String(decoding: out, as: UTF8.self)
    }
}
