import Testing

@testable import SimfraProtocols

// Expected values computed with Python: zlib.crc32 and awscrt.checksums.{crc32,crc32c,crc64nvme},
// base64 = base64.b64encode(value.to_bytes(width, "big")).

private let check: [UInt8] = Array("123456789".utf8)
private let hello: [UInt8] = Array("Hello world".utf8)
private let fox: [UInt8] = Array("The quick brown fox jumps over the lazy dog".utf8)
/// bytes(i % 251 for i in range(1000))
private let pattern: [UInt8] = (0..<1000).map { UInt8($0 % 251) }

@Suite struct ChecksumTests {
    @Test func checkValues() {
        #expect(CRC32.checksum(check) == 0xCBF4_3926)
        #expect(CRC32C.checksum(check) == 0xE306_9283)
        #expect(CRC64NVME.checksum(check) == 0xAE8B_1486_0A79_9888)
    }

    @Test func emptyInput() {
        #expect(CRC32().value == 0)
        #expect(CRC32C().value == 0)
        #expect(CRC64NVME().value == 0)
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC64NVME.checksum([]) == 0)
        var c = CRC32C()
        c.update([])
        c.update(check)
        c.update([])
        #expect(c.value == 0xE306_9283)
        #expect(CRC32().base64 == "AAAAAA==")
        #expect(CRC32C().base64 == "AAAAAA==")
        #expect(CRC64NVME().base64 == "AAAAAAAAAAA=")
    }

    @Test func moreKnownValues() {
        #expect(CRC32.checksum(hello) == 0x8BD6_9E52)
        #expect(CRC32C.checksum(hello) == 0x72B5_1F78)
        #expect(CRC64NVME.checksum(hello) == 0x38E2_59D0_3F31_2ADB)
        #expect(CRC32.checksum(fox) == 0x414F_A339)
        #expect(CRC32C.checksum(fox) == 0x2262_0404)
        #expect(CRC64NVME.checksum(fox) == 0xD76C_5405_4954_C143)
        #expect(CRC32.checksum(pattern) == 0x7217_46A6)
        #expect(CRC32C.checksum(pattern) == 0x11F6_6220)
        #expect(CRC64NVME.checksum(pattern) == 0x3A2D_3571_B699_8416)
    }

    @Test func bigEndianBytesAndBase64() {
        var a = CRC32()
        a.update(check)
        #expect(a.bigEndianBytes == [0xCB, 0xF4, 0x39, 0x26])
        #expect(a.base64 == "y/Q5Jg==")
        var b = CRC32C()
        b.update(check)
        #expect(b.bigEndianBytes == [0xE3, 0x06, 0x92, 0x83])
        #expect(b.base64 == "4waSgw==")
        var c = CRC64NVME()
        c.update(check)
        #expect(c.bigEndianBytes == [0xAE, 0x8B, 0x14, 0x86, 0x0A, 0x79, 0x98, 0x88])
        #expect(c.base64 == "rosUhgp5mIg=")

        var h32 = CRC32(), h32c = CRC32C(), h64 = CRC64NVME()
        h32.update("Hello world")
        h32c.update("Hello world")
        h64.update("Hello world")
        #expect(h32.base64 == "i9aeUg==")
        #expect(h32c.base64 == "crUfeA==")
        #expect(h64.base64 == "OOJZ0D8xKts=")

        var f32 = CRC32(), f32c = CRC32C(), f64 = CRC64NVME()
        f32.update(fox)
        f32c.update(fox)
        f64.update(fox)
        #expect(f32.base64 == "QU+jOQ==")
        #expect(f32c.base64 == "ImIEBA==")
        #expect(f64.base64 == "12xUBUlUwUM=")
    }

    @Test func incrementalEqualsOneShot() {
        // Every split point, including ones that straddle the 8-byte fast path.
        for split in 0...pattern.count where split % 7 == 0 || split < 20 {
            var a = CRC32(), b = CRC32C(), c = CRC64NVME()
            a.update(pattern[..<split])
            a.update(pattern[split...])
            b.update(pattern[..<split])
            b.update(pattern[split...])
            c.update(pattern[..<split])
            c.update(pattern[split...])
            #expect(a.value == 0x7217_46A6)
            #expect(b.value == 0x11F6_6220)
            #expect(c.value == 0x3A2D_3571_B699_8416)
        }
        // Byte at a time.
        var a = CRC32(), b = CRC32C(), c = CRC64NVME()
        for byte in pattern {
            a.update([byte])
            b.update([byte])
            c.update([byte])
        }
        #expect(a.value == CRC32.checksum(pattern))
        #expect(b.value == CRC32C.checksum(pattern))
        #expect(c.value == CRC64NVME.checksum(pattern))
    }

    @Test func rawBufferAndValueIsNonDestructive() {
        var c = CRC64NVME()
        check.withUnsafeBytes { c.update($0) }
        #expect(c.value == 0xAE8B_1486_0A79_9888)
        #expect(c.value == 0xAE8B_1486_0A79_9888)
        c.update(hello)
        #expect(c.value == CRC64NVME.checksum(check + hello))
    }

    @Test func unalignedInput() {
        // Slices starting at every offset mod 8 go through unaligned loads.
        for offset in 0..<8 {
            let slice = pattern[offset...]
            var c = CRC64NVME()
            c.update(slice)
            #expect(c.value == CRC64NVME.checksum(Array(slice)))
        }
    }

    @Test func combine() {
        let whole32 = CRC32.checksum(pattern)
        let whole32c = CRC32C.checksum(pattern)
        let whole64 = CRC64NVME.checksum(pattern)
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let a = Array(pattern[..<split]), b = Array(pattern[split...])
            let len = UInt64(b.count)
            #expect(CRC32.combine(CRC32.checksum(a), CRC32.checksum(b), lengthB: len) == whole32)
            #expect(CRC32C.combine(CRC32C.checksum(a), CRC32C.checksum(b), lengthB: len) == whole32c)
            #expect(CRC64NVME.combine(CRC64NVME.checksum(a), CRC64NVME.checksum(b), lengthB: len) == whole64)
        }
    }

    /// The accelerated kernels (CChecksums: carry-less multiply folding) against a bit-at-a-time
    /// reference, over every short length, odd offsets and a large buffer fed in pieces.
    @Test func acceleratedMatchesBitwiseReference() {
        func reference<T: FixedWidthInteger & UnsignedInteger>(_ bytes: ArraySlice<UInt8>, poly: T) -> T {
            var c = T.max
            for b in bytes {
                c ^= T(b)
                for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1 }
            }
            return ~c
        }
        var rng = SystemRandomNumberGenerator()
        let data = (0..<(1 << 20) + 37).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for length in Array(0...600) + [1023, 4096, 65_537] {
            let offset = length % 7
            let slice = data[offset..<(offset + length)]
            #expect(CRC32.checksum(Array(slice)) == reference(slice, poly: UInt32(0xEDB8_8320)))
            #expect(CRC32C.checksum(Array(slice)) == reference(slice, poly: UInt32(0x82F6_3B78)))
            #expect(CRC64NVME.checksum(Array(slice)) == reference(slice, poly: UInt64(0x9A6C_9329_AC4B_C9B5)))
        }
        var c = CRC64NVME()
        var i = 0
        while i < data.count {
            let n = min(Int.random(in: 1...70_000, using: &rng), data.count - i)
            c.update(data[i..<(i + n)])
            i += n
        }
        #expect(c.value == reference(data[...], poly: UInt64(0x9A6C_9329_AC4B_C9B5)))
    }
}
