import SimfraCore

/// MD5 (RFC 1321), incremental. SQS returns MD5 digests of every body and attribute set;
/// this keeps the target free of a crypto dependency. Not for security.
struct MD5 {
    private var a0: UInt32 = 0x6745_2301
    private var b0: UInt32 = 0xefcd_ab89
    private var c0: UInt32 = 0x98ba_dcfe
    private var d0: UInt32 = 0x1032_5476
    private var buffer = [UInt8](repeating: 0, count: 64)
    private var buffered = 0
    private var length: UInt64 = 0

    init() {}

    private static let shifts: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]

    /// floor(|sin(i + 1)| * 2^32), as the RFC defines them.
    private static let table: [UInt32] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
        0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
        0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
        0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
        0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
        0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
        0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
        0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
        0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
        0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
        0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
        0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
        0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
        0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
    ]

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        length &+= UInt64(bytes.count)
        var offset = 0
        if buffered > 0 {
            let take = Swift.min(64 - buffered, bytes.count)
            for i in 0..<take { buffer[buffered + i] = bytes[i] }
            buffered += take
            offset = take
            if buffered == 64 {
                buffer.withUnsafeBytes { compress($0.baseAddress!) }
                buffered = 0
            }
        }
        while bytes.count - offset >= 64 {
            compress(bytes.baseAddress! + offset)
            offset += 64
        }
        let rest = bytes.count - offset
        if rest > 0 {
            for i in 0..<rest { buffer[i] = bytes[offset + i] }
            buffered = rest
        }
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    mutating func update(_ s: String) {
        var s = s
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Four-byte big-endian length, then the bytes (SQS's attribute digest framing).
    mutating func updateLengthPrefixed(_ bytes: UnsafeRawBufferPointer) {
        let n = UInt32(truncatingIfNeeded: bytes.count)
        let be: [UInt8] = [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        update(be)
        update(bytes)
    }

    mutating func updateLengthPrefixed(_ s: String) {
        var s = s
        s.withUTF8 { updateLengthPrefixed(UnsafeRawBufferPointer($0)) }
    }

    mutating func updateLengthPrefixed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { updateLengthPrefixed($0) }
    }

    mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var pad: [UInt8] = [0x80]
        let used = (buffered + 1) % 64
        let zeros = used <= 56 ? 56 - used : 120 - used
        pad += [UInt8](repeating: 0, count: zeros)
        for i in 0..<8 { pad.append(UInt8((bitLength >> (8 * UInt64(i))) & 0xFF)) }
        let saved = length
        pad.withUnsafeBytes { update($0) }
        length = saved
        var out = [UInt8]()
        out.reserveCapacity(16)
        for w in [a0, b0, c0, d0] {
            out.append(UInt8(w & 0xFF))
            out.append(UInt8((w >> 8) & 0xFF))
            out.append(UInt8((w >> 16) & 0xFF))
            out.append(UInt8((w >> 24) & 0xFF))
        }
        return out
    }

    private mutating func compress(_ p: UnsafeRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { m in
            for i in 0..<16 {
                m[i] = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
            }
            var a = a0, b = b0, c = c0, d = d0
            MD5.table.withUnsafeBufferPointer { k in
                MD5.shifts.withUnsafeBufferPointer { shifts in
                    for i in 0..<64 {
                        var f: UInt32
                        let g: Int
                        switch i {
                        case 0..<16:
                            f = (b & c) | (~b & d)
                            g = i
                        case 16..<32:
                            f = (d & b) | (~d & c)
                            g = (5 &* i &+ 1) & 15
                        case 32..<48:
                            f = b ^ c ^ d
                            g = (3 &* i &+ 5) & 15
                        default:
                            f = c ^ (b | ~d)
                            g = (7 &* i) & 15
                        }
                        f = f &+ a &+ k[i] &+ m[g]
                        a = d
                        d = c
                        c = b
                        let s = shifts[i]
                        b = b &+ ((f << s) | (f >> (32 - s)))
                    }
                }
            }
            a0 = a0 &+ a
            b0 = b0 &+ b
            c0 = c0 &+ c
            d0 = d0 &+ d
        }
    }

    static func hex(_ s: String) -> String {
        var h = MD5()
        h.update(s)
        return Hex.encode(h.finalize())
    }

    static func hex(_ bytes: [UInt8]) -> String {
        var h = MD5()
        h.update(bytes)
        return Hex.encode(h.finalize())
    }
}
