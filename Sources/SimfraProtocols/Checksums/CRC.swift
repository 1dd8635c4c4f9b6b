// Streaming CRC implementations used by S3 flexible checksums (kernels in CChecksums:
// carry-less multiply folding on x86-64, slice-by-8 tables elsewhere):
//   x-amz-checksum-crc32      CRC32 (IEEE 802.3, reflected poly 0xEDB88320)
//   x-amz-checksum-crc32c     CRC32C (Castagnoli, reflected poly 0x82F63B78)
//   x-amz-checksum-crc64nvme  CRC64/NVME (reflected poly 0x9A6C9329AC4BC9B5)
// All three use init = all ones and xorout = all ones. S3 transmits the base64 of the
// big-endian bytes of the final value.

import CChecksums
import SimfraCore

/// Common surface of the S3 CRC checksums, so callers can be generic over the algorithm.
package protocol CRCChecksum: Sendable {
    associatedtype Digest: FixedWidthInteger & UnsignedInteger & Sendable
    init()
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    /// The finalized checksum of everything fed so far (updating may continue afterwards).
    var value: Digest { get }
    /// Finalized CRC of `a ++ b` from `crc(a)`, `crc(b)` and `b`'s length in bytes.
    static func combine(_ crcA: Digest, _ crcB: Digest, lengthB: UInt64) -> Digest
}

extension CRCChecksum {
    package mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    package mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    package mutating func update(_ string: String) {
        var s = string
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// One-shot checksum.
    package static func checksum(_ bytes: [UInt8]) -> Digest {
        var c = Self()
        c.update(bytes)
        return c.value
    }

    package static func checksum(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var c = Self()
        c.update(bytes)
        return c.value
    }

    /// The value as big-endian bytes (4 for the 32-bit CRCs, 8 for CRC64NVME).
    package var bigEndianBytes: [UInt8] {
        CRCBytes.bigEndian(value)
    }

    /// Base64 of `bigEndianBytes`: the form used in `x-amz-checksum-*` headers.
    package var base64: String {
        Base64.encode(bigEndianBytes)
    }
}

/// CRC32 (IEEE), as `zlib.crc32`. Check value for "123456789": 0xCBF43926.
package struct CRC32: CRCChecksum {
    package typealias Digest = UInt32
    var state: UInt32 = 0xFFFF_FFFF

    package init() {}

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        state = simfra_crc32_update(state, bytes.baseAddress, bytes.count)
    }

    package var value: UInt32 { ~state }

    package static func combine(_ crcA: UInt32, _ crcB: UInt32, lengthB: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: crcCombine(UInt64(crcA), UInt64(crcB), lengthB, poly: 0xEDB8_8320, width: 32))
    }
}

/// CRC32C (Castagnoli). Check value for "123456789": 0xE3069283.
package struct CRC32C: CRCChecksum {
    package typealias Digest = UInt32
    var state: UInt32 = 0xFFFF_FFFF

    package init() {}

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        state = simfra_crc32c_update(state, bytes.baseAddress, bytes.count)
    }

    package var value: UInt32 { ~state }

    package static func combine(_ crcA: UInt32, _ crcB: UInt32, lengthB: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: crcCombine(UInt64(crcA), UInt64(crcB), lengthB, poly: 0x82F6_3B78, width: 32))
    }
}

/// CRC64/NVME. Check value for "123456789": 0xAE8B14860A799888.
package struct CRC64NVME: CRCChecksum {
    package typealias Digest = UInt64
    var state: UInt64 = 0xFFFF_FFFF_FFFF_FFFF

    package init() {}

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        state = simfra_crc64nvme_update(state, bytes.baseAddress, bytes.count)
    }

    package var value: UInt64 { ~state }

    package static func combine(_ crcA: UInt64, _ crcB: UInt64, lengthB: UInt64) -> UInt64 {
        crcCombine(crcA, crcB, lengthB, poly: 0x9A6C_9329_AC4B_C9B5, width: 64)
    }
}

// MARK: - Combine (GF(2) polynomial arithmetic, reflected representation)

/// a * b mod p, where bit (width-1) is x^0.
private func multModP(_ a: UInt64, _ b: UInt64, poly: UInt64, width: Int) -> UInt64 {
    var m: UInt64 = 1 << UInt64(width - 1)
    var a = a
    var b = b
    var p: UInt64 = 0
    while a != 0 {
        if a & m != 0 {
            p ^= b
            a ^= m
        }
        m >>= 1
        b = (b & 1) != 0 ? (b >> 1) ^ poly : b >> 1
    }
    return p
}

private func crcCombine(_ crcA: UInt64, _ crcB: UInt64, _ lengthB: UInt64, poly: UInt64, width: Int) -> UInt64 {
    if lengthB == 0 { return crcA }
    // x^(8 * lengthB) mod p by square-and-multiply; 8 * lengthB may exceed 64 bits, so
    // start from x^8 and walk lengthB's bits.
    var xp: UInt64 = 1 << UInt64(width - 1 - 8)  // x^8
    var result: UInt64 = 1 << UInt64(width - 1)  // x^0
    var n = lengthB
    while n != 0 {
        if n & 1 != 0 { result = multModP(xp, result, poly: poly, width: width) }
        xp = multModP(xp, xp, poly: poly, width: width)
        n >>= 1
    }
    return multModP(result, crcA, poly: poly, width: width) ^ crcB
}

// MARK: - Byte helpers

package enum CRCBytes {
    package static func bigEndian<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        let n = T.bitWidth / 8
        var out = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            out[i] = UInt8(truncatingIfNeeded: v >> T(8 * (n - 1 - i)))
        }
        return out
    }
}
