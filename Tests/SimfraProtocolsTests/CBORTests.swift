import SimfraCore
import Testing

@testable import SimfraProtocols

private func bytesFromHex(_ s: String) -> [UInt8] {
    let digits = Array(s.utf8.filter { $0 != UInt8(ascii: " ") })
    precondition(digits.count % 2 == 0, "odd hex string")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("bad hex digit")
        }
    }
    var out: [UInt8] = []
    var i = 0
    while i < digits.count {
        out.append(nibble(digits[i]) << 4 | nibble(digits[i + 1]))
        i += 2
    }
    return out
}

private func decodeHex(_ s: String) throws -> Value {
    try CBORDecoder().decode(bytesFromHex(s))
}

private func errorKind(_ s: String) -> CBORError.Kind? {
    do throws(CBORError) {
        _ = try CBORDecoder().decode(bytesFromHex(s))
        return nil
    } catch {
        return error.kind
    }
}

private let sortedEncoder = CBOREncoder(sortKeys: true)

/// RFC 8949 Appendix A examples that map onto `Value` without tags or indefinite lengths:
/// decoding gives `value`, and (sorted-key, shortest-float) encoding gives the bytes back.
private let appendixA: [(String, Value)] = [
    ("00", .integer(0)),
    ("01", .integer(1)),
    ("0a", .integer(10)),
    ("17", .integer(23)),
    ("1818", .integer(24)),
    ("1819", .integer(25)),
    ("1864", .integer(100)),
    ("1903e8", .integer(1000)),
    ("1a000f4240", .integer(1_000_000)),
    ("1b000000e8d4a51000", .integer(1_000_000_000_000)),
    ("20", .integer(-1)),
    ("29", .integer(-10)),
    ("3863", .integer(-100)),
    ("3903e7", .integer(-1000)),
    ("f90000", .double(0.0)),
    ("f93c00", .double(1.0)),
    ("fb3ff199999999999a", .double(1.1)),
    ("f93e00", .double(1.5)),
    ("f97bff", .double(65504.0)),
    ("fa47c35000", .double(100000.0)),
    ("fa7f7fffff", .double(3.4028234663852886e+38)),
    ("fb7e37e43c8800759c", .double(1.0e+300)),
    ("f90001", .double(5.960464477539063e-8)),
    ("f90400", .double(0.00006103515625)),
    ("f9c400", .double(-4.0)),
    ("fbc010666666666666", .double(-4.1)),
    ("f97c00", .double(.infinity)),
    ("f9fc00", .double(-.infinity)),
    ("f4", .bool(false)),
    ("f5", .bool(true)),
    ("f6", .null),
    ("40", .blob([])),
    ("4401020304", .blob([1, 2, 3, 4])),
    ("60", .string("")),
    ("6161", .string("a")),
    ("6449455446", .string("IETF")),
    ("62225c", .string("\"\\")),
    ("62c3bc", .string("\u{00FC}")),
    ("63e6b0b4", .string("\u{6C34}")),
    ("64f0908591", .string("\u{10151}")),
    ("80", .list([])),
    ("83010203", .list([1, 2, 3])),
    ("8301820203820405", .list([1, [2, 3], [4, 5]])),
    (
        "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
        .list((1...25).map { .integer(Int64($0)) })
    ),
    ("a0", .object([:])),
    ("a26161016162820203", .object(["a": 1, "b": [2, 3]])),
    ("826161a161626163", .list(["a", .object(["b": "c"])])),
    (
        "a56161614161626142616361436164614461656145",
        .object(["a": "A", "b": "B", "c": "C", "d": "D", "e": "E"])
    ),
]

@Suite struct CBORTests {
    @Test func appendixADecodeAndEncode() throws {
        for (hex, value) in appendixA {
            let bytes = bytesFromHex(hex)
            #expect(try CBORDecoder().decode(bytes) == value, "decode \(hex)")
            #expect(sortedEncoder.encode(value) == bytes, "encode \(hex)")
            #expect(sortedEncoder.encodedSize(value) == bytes.count, "size \(hex)")
        }
    }

    @Test func negativeZeroAndNaN() throws {
        let negZero = try decodeHex("f98000")
        guard case .double(let z) = negZero else { Issue.record("not a double"); return }
        #expect(z == 0 && z.sign == .minus)
        #expect(CBOREncoder().encode(.double(-0.0)) == bytesFromHex("f98000"))

        for hex in ["f97e00", "fa7fc00000", "fb7ff8000000000000"] {
            guard case .double(let d) = try decodeHex(hex) else { Issue.record("\(hex) not a double"); continue }
            #expect(d.isNaN, "\(hex)")
        }
        #expect(CBOREncoder().encode(.double(.nan)) == bytesFromHex("f97e00"))
    }

    @Test func wideFloatsDecode() throws {
        #expect(try decodeHex("fa7f800000") == .double(.infinity))
        #expect(try decodeHex("faff800000") == .double(-.infinity))
        #expect(try decodeHex("fb7ff0000000000000") == .double(.infinity))
        #expect(try decodeHex("fbfff0000000000000") == .double(-.infinity))
        #expect(try decodeHex("fb3ff8000000000000") == .double(1.5))
        #expect(try decodeHex("fa3fc00000") == .double(1.5))
    }

    @Test func floatEncodingForms() {
        let e = CBOREncoder()
        #expect(e.encode(.double(65520.0)) == bytesFromHex("fa477ff000"))  // just past half range
        #expect(e.encode(.double(0.1)) == bytesFromHex("fb3fb999999999999a"))
        #expect(e.encode(.double(1.0 / 3.0)) == bytesFromHex("fb3fd5555555555555"))
        #expect(e.encode(.double(-.infinity)) == bytesFromHex("f9fc00"))
        let wide = CBOREncoder(shortestFloats: false)
        #expect(wide.encode(.double(1.5)) == bytesFromHex("fb3ff8000000000000"))
        #expect(wide.encode(.double(0)) == bytesFromHex("fb0000000000000000"))
        #expect(wide.encodedSize(.double(1.5)) == 9)
    }

    @Test func integerBoundaries() throws {
        let cases: [(Int64, String)] = [
            (23, "17"), (24, "1818"), (255, "18ff"), (256, "190100"), (65535, "19ffff"),
            (65536, "1a00010000"), (4_294_967_295, "1affffffff"), (4_294_967_296, "1b0000000100000000"),
            (Int64.max, "1b7fffffffffffffff"),
            (-24, "37"), (-25, "3818"), (-256, "38ff"), (-257, "390100"),
            (Int64.min, "3b7fffffffffffffff"),
        ]
        for (i, hex) in cases {
            #expect(CBOREncoder().encode(.integer(i)) == bytesFromHex(hex), "encode \(i)")
            #expect(try decodeHex(hex) == .integer(i), "decode \(hex)")
        }
        // Non-shortest arguments are accepted.
        #expect(try decodeHex("1b0000000000000001") == .integer(1))
        #expect(try decodeHex("3800") == .integer(-1))
    }

    @Test func integersOutsideInt64Throw() {
        #expect(errorKind("1bffffffffffffffff") == .integerOverflow)  // 18446744073709551615
        #expect(errorKind("1b8000000000000000") == .integerOverflow)  // Int64.max + 1
        #expect(errorKind("3bffffffffffffffff") == .integerOverflow)  // -18446744073709551616
        #expect(errorKind("3b8000000000000000") == .integerOverflow)  // Int64.min - 1
    }

    @Test func tags() throws {
        // Tag 1: epoch seconds.
        #expect(try decodeHex("c11a514b67b0") == .timestamp(1_363_896_240))
        #expect(try decodeHex("c1fb41d452d9ec200000") == .timestamp(1_363_896_240.5))
        #expect(try decodeHex("c1f93e00") == .timestamp(1.5))
        #expect(try decodeHex("c120") == .timestamp(-1))
        #expect(errorKind("c160") == .invalidTimestamp)
        #expect(errorKind("c1f97e00") == .invalidTimestamp)
        // Other tags are dropped.
        #expect(
            try decodeHex("c074323031332d30332d32315432303a30343a30305a") == .string("2013-03-21T20:04:00Z"))
        #expect(try decodeHex("d74401020304") == .blob([1, 2, 3, 4]))
        #expect(try decodeHex("d818456449455446") == .blob(Array("dIETF".utf8)))
        #expect(
            try decodeHex("d82076687474703a2f2f7777772e6578616d706c652e636f6d")
                == .string("http://www.example.com"))
        #expect(try decodeHex("c249010000000000000000") == .blob([1, 0, 0, 0, 0, 0, 0, 0, 0]))
        #expect(try decodeHex("d9d9f7a0") == .object([:]))  // self-described CBOR
        // Timestamps encode as tag 1 + float64.
        #expect(CBOREncoder().encode(.timestamp(1_363_896_240)) == bytesFromHex("c1fb41d452d9ec000000"))
        #expect(CBOREncoder().encode(.timestamp(1_363_896_240.5)) == bytesFromHex("c1fb41d452d9ec200000"))
    }

    @Test func undefinedIsNull() throws {
        #expect(try decodeHex("f7") == .null)
        #expect(try decodeHex("a16161f7") == .object(["a": .null]))
    }

    @Test func indefiniteLengths() throws {
        #expect(try decodeHex("5f42010243030405ff") == .blob([1, 2, 3, 4, 5]))
        #expect(try decodeHex("5fff") == .blob([]))
        #expect(try decodeHex("7f657374726561646d696e67ff") == .string("streaming"))
        #expect(try decodeHex("7fff") == .string(""))
        // A multi-byte character split across chunks is reassembled.
        #expect(try decodeHex("7f61c361bcff") == .string("\u{00FC}"))
        #expect(try decodeHex("9fff") == .list([]))
        let nested: Value = [1, [2, 3], [4, 5]]
        #expect(try decodeHex("9f018202039f0405ffff") == nested)
        #expect(try decodeHex("9f01820203820405ff") == nested)
        #expect(try decodeHex("83018202039f0405ff") == nested)
        #expect(try decodeHex("83019f0203ff820405") == nested)
        #expect(
            try decodeHex("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff")
                == .list((1...25).map { .integer(Int64($0)) }))
        #expect(try decodeHex("bf61610161629f0203ffff") == .object(["a": 1, "b": [2, 3]]))
        #expect(try decodeHex("826161bf61626163ff") == .list(["a", .object(["b": "c"])]))
        #expect(try decodeHex("bf6346756ef563416d7421ff") == .object(["Fun": true, "Amt": -2]))
        // Indefinite-length text string as a map key.
        #expect(try decodeHex("bf7f6161616bff01ff") == .object(["ak": 1]))
    }

    @Test func mapKeysMustBeText() {
        #expect(errorKind("a201020304") == .nonStringMapKey)
        #expect(errorKind("a1400a") == .nonStringMapKey)
        #expect(errorKind("bf0102ff") == .nonStringMapKey)
    }

    @Test func duplicateKeysKeepLast() throws {
        #expect(try decodeHex("a2616101616102") == .object(["a": 2]))
    }

    @Test func roundTrips() throws {
        let values: [Value] = [
            .null, true, false, 0, -1, .integer(Int64.max), .integer(Int64.min),
            .double(0.1), .double(-2.5e-300), .double(123_456.75), .double(.greatestFiniteMagnitude),
            .double(Double.leastNonzeroMagnitude), .double(Double(Float.leastNonzeroMagnitude)),
            .string("héllo wörld ☃ 🎉"), .string(String(repeating: "x", count: 70_000)),
            .blob(Array(0...255)), .blob([UInt8](repeating: 7, count: 300)),
            .timestamp(1_700_000_000.123), .timestamp(-5),
            .list([]), .object([:]),
            .object([
                "Items": .list([
                    .object(["id": "1", "n": 42, "tags": ["a", "b"], "ok": true]),
                    .object(["id": "2", "data": .blob([0, 1, 2]), "when": .timestamp(1.5), "nothing": .null]),
                ]),
                "NextToken": "abc",
                "Count": 2,
                "Score": 0.5,
                "": "empty key",
            ]),
        ]
        for v in values {
            for encoder in [CBOREncoder(), CBOREncoder(shortestFloats: false), sortedEncoder] {
                let bytes = encoder.encode(v)
                #expect(encoder.encodedSize(v) == bytes.count)
                #expect(try CBORDecoder().decode(bytes) == v)
                var appended: [UInt8] = [0xAA]
                encoder.encode(v, into: &appended)
                #expect(Array(appended.dropFirst()) == bytes)
            }
        }
    }

    @Test func sortedKeysAreDeterministic() {
        let v: Value = .object(["b": 1, "a": 2, "c": .object(["z": 1, "y": 2])])
        #expect(sortedEncoder.encode(v) == bytesFromHex("a36161026162016163a2617902617a01"))
    }

    @Test func decodesSlicesAndRawBuffers() throws {
        let bytes = bytesFromHex("ff83010203ff")
        #expect(try CBORDecoder().decode(bytes[1..<5]) == [1, 2, 3])
        let v = try bytes.withUnsafeBytes { raw in
            try CBORDecoder().decode(UnsafeRawBufferPointer(rebasing: raw[1..<5]))
        }
        #expect(v == [1, 2, 3])
        #expect(try CBORDecoder.decode(bytesFromHex("f5")) == true)
        #expect(CBOREncoder.encode(.bool(true)) == [0xF5])
    }

    @Test func truncatedInputThrows() {
        // RFC 8949 Appendix F.1 "end of input in a head" / "definite-length strings with short data" /
        // "definite-length maps and arrays not closed with enough items" / "indefinite not closed".
        let cases = [
            "", "18", "19", "1901", "1a010203", "1b01020304050607", "38", "58", "78", "98", "9a01ff00", "b8", "d8",
            "f8", "f900", "fa0000", "fb000000", "41", "61", "5affffffff00", "5bffffffffffffffff010203",
            "7affffffff00", "7b7fffffffffffffff010203", "81", "818181818181818181", "8200", "a1", "a20102",
            "a16161", "a26161006162", "5f4100", "7f6100", "9f", "9f0102", "bf",
            "bf61610161", "819f", "9f8000", "9f9f9f9f9fffffffff", "9f819f819f9fffffff", "c1", "5f", "7f",
            "d9d9f7",
        ]
        for hex in cases {
            let kind = errorKind(hex)
            #expect(kind == .truncated || kind == .lengthTooLarge, "\(hex): \(String(describing: kind))")
        }
    }

    @Test func malformedInputThrows() {
        // Reserved additional information values, and indefinite length on major types 0, 1, 6.
        for major in 0..<8 {
            for ai in [28, 29, 30] {
                let hex = String(UInt8(major << 5 | ai), radix: 16)
                #expect(errorKind(hex) == .reservedAdditionalInfo, "\(hex)")
            }
        }
        #expect(errorKind("1f") == .reservedAdditionalInfo)
        #expect(errorKind("3f") == .reservedAdditionalInfo)
        #expect(errorKind("df") == .reservedAdditionalInfo)
        // Break in the wrong place.
        for hex in ["ff", "81ff", "8200ff", "a1ff00", "a16161ff", "a2616100ff"] {
            #expect(errorKind(hex) == .unexpectedBreak, "\(hex)")
        }
        #expect(errorKind("9f81ff") == .unexpectedBreak)
        #expect(errorKind("bf6161ffff") == .unexpectedBreak)
        // Chunks of indefinite strings must be definite strings of the same major type.
        for hex in ["5f00ff", "5f21ff", "5f6100ff", "5f80ff", "5fa0ff", "5fc000ff", "5fe0ff", "7f4100ff", "5f5f4100ffff",
                    "7f7f6100ffff"] {
            #expect(errorKind(hex) == .invalidChunk, "\(hex)")
        }
        // Simple values we do not support, and two-byte simple values below 32.
        #expect(errorKind("f0") == .unsupportedSimpleValue)
        #expect(errorKind("f8ff") == .unsupportedSimpleValue)
        #expect(errorKind("f800") == .unsupportedSimpleValue)
        #expect(errorKind("f814") == .unsupportedSimpleValue)
        #expect(errorKind("f81f") == .unsupportedSimpleValue)
        // Invalid UTF-8.
        #expect(errorKind("62c328") == .invalidUTF8)
        #expect(errorKind("61ff") == .invalidUTF8)
        #expect(errorKind("7f61c3ff") == .invalidUTF8)
        // Exactly one item.
        #expect(errorKind("0000") == .trailingData)
        #expect(errorKind("80ff") == .trailingData)
    }

    @Test func absurdLengthsThrowWithoutAllocating() {
        #expect(errorKind("9bffffffffffffffff") == .lengthTooLarge)
        #expect(errorKind("bbffffffffffffffff") == .lengthTooLarge)
        #expect(errorKind("5bffffffffffffffff") == .lengthTooLarge)
        #expect(errorKind("7b7fffffffffffffff") == .lengthTooLarge)
        #expect(errorKind("9a7fffffff00") == .lengthTooLarge)
        #expect(errorKind("ba7fffffff0000") == .lengthTooLarge)
        // A map needs at least two bytes per entry.
        #expect(errorKind("a20000") == .lengthTooLarge)
    }

    @Test func nestingDepthLimit() throws {
        func nestedArrays(_ n: Int) -> [UInt8] {
            [UInt8](repeating: 0x81, count: n - 1) + [0x80]
        }
        var expected: Value = .list([])
        for _ in 1..<128 { expected = .list([expected]) }
        #expect(try CBORDecoder().decode(nestedArrays(128)) == expected)
        #expect(throws: CBORError.self) { try CBORDecoder().decode(nestedArrays(129)) }
        do throws(CBORError) {
            _ = try CBORDecoder().decode(nestedArrays(129))
        } catch {
            #expect(error.kind == .nestingTooDeep)
        }
        // Indefinite arrays, maps and tag chains count too; none of these may overflow the stack.
        #expect(errorKind(String(repeating: "9f", count: 10_000)) == .nestingTooDeep)
        #expect(errorKind(String(repeating: "a16161", count: 10_000) + "00") == .nestingTooDeep)
        #expect(errorKind(String(repeating: "c6", count: 10_000) + "00") == .nestingTooDeep)
        #expect(try CBORDecoder(maxDepth: 2).decode(bytesFromHex("818100")) == [[0]])
        #expect(throws: CBORError.self) { try CBORDecoder(maxDepth: 2).decode(bytesFromHex("81818100")) }
    }
}
