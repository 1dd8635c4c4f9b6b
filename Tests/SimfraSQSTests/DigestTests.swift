import SimfraCore
import Testing

@testable import SimfraSQS

@Suite struct DigestTests {
    /// RFC 1321, appendix A.5.
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func md5RFC1321(input: String, expected: String) {
        #expect(MD5.hex(input) == expected)
    }

    @Test func md5IncrementalMatchesOneShot() {
        let data = (0..<100_000).map { UInt8($0 % 251) }
        var h = MD5()
        var i = 0
        var step = 1
        while i < data.count {
            let end = min(data.count, i + step)
            h.update(Array(data[i..<end]))
            i = end
            step = step % 97 + 13
        }
        #expect(Hex.encode(h.finalize()) == MD5.hex(data))
        // Python: hashlib.md5(bytes(i % 251 for i in range(100000))).hexdigest()
        #expect(MD5.hex(data) == "28cb595c158e9b74e34ae9e8da710fff")
    }

    /// FIPS 180-4 examples.
    @Test func sha256Vectors() {
        #expect(BodySHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(BodySHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            BodySHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(BodySHA256.hex(String(repeating: "a", count: 1000))
            == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    static func string(_ v: String) -> MessageAttributeValue { MessageAttributeValue(dataType: "String", stringValue: v) }

    /// Digests SQS itself returned for these attribute sets (recorded against AWS), and
    /// one computed with the same algorithm in Python (binary, custom type, non-ASCII).
    @Test func messageAttributesMD5() {
        func md5(_ attrs: [(String, MessageAttributeValue)]) -> String {
            MessageDigest.attributesMD5(MessageDigest.sorted(attrs.map { NamedAttribute(name: $0.0, value: $0.1) }))
        }
        #expect(md5([("Foo", Self.string("Bar"))]) == "ae7155c6026991b6d54b11589678bf9c")
        #expect(md5([("Help.Me", Self.string("Me")), ("Hello", Self.string("There")), ("General", Self.string("Kenobi"))])
            == "4c360f3fdafd970e05fae2f149d997f5")
        #expect(md5([("Hello", Self.string("There")), ("General", Self.string("Kenobi"))]) == "fca026605781cb4126a1e9044df24232")
        #expect(md5([("timestamp", MessageAttributeValue(dataType: "Number", stringValue: "1493147359900"))])
            == "235c5c510d26fb653d073faed50ae77c")
        let trace = Array("traceparent\u{1e}00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01".utf8)
        #expect(md5([("attr1", MessageAttributeValue(dataType: "Binary", binaryValue: trace))]) == "8cbe4db156db8a94db8b801b7addb984")
        #expect(md5([("k", Self.string("x"))]) == "a45daa70926828a2f0a1db3418e6feb4")
        // Computed with the same framing in Python (hashlib.md5 over struct.pack(">I", len) + bytes).
        #expect(md5([
            ("b", MessageAttributeValue(dataType: "Binary", binaryValue: (0..<256).map { UInt8($0) })),
            ("a.num", MessageAttributeValue(dataType: "Number.int", stringValue: "-12.5e3")),
            ("Z", Self.string("zürich ✓ 𝄞")),
        ]) == "50774f35eac9118dcce449db103a424c")
    }

    @Test func base64RoundTripAndStrictness() {
        for n in 0..<40 {
            let b = (0..<n).map { UInt8(($0 * 37 + n) % 256) }
            #expect(Base64.decodeCanonical(Base64.encode(b)) == b)
        }
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
        #expect(Base64.decodeCanonical("aGVsbG8") == nil)
        #expect(Base64.decodeCanonical("a$==") == nil)
    }

    @Test func receiptHandleRoundTrip() {
        let ids = IdentifierSource(seed: 42)
        let h = ReceiptHandle(incarnation: 0xDEAD_BEEF, serial: 123_456_789, receiveNumber: 7)
        let text = h.encode(nonce: ids.next())
        #expect(ReceiptHandle.decode(text) == h)
        #expect(ReceiptHandle.decode("garbage") == nil)
        #expect(ReceiptHandle.decode(String(text.dropFirst())) == nil)
    }

    @Test func uuidShape() {
        let ids = IdentifierSource(seed: 1)
        var seen = Set<String>()
        for _ in 0..<1000 {
            let u = ids.uuid()
            #expect(u.count == 36)
            let parts = u.split(separator: "-")
            #expect(parts.map(\.count) == [8, 4, 4, 4, 12])
            #expect(parts[2].first == "4")
            seen.insert(u)
        }
        #expect(seen.count == 1000)
    }

    @Test func jsonDocumentRoundTrip() throws {
        let text = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:*"],"N":-1.5e3,"T":true,"Z":null}],"u":"é\n𝄞"}"#
        let doc = try #require(JSONDocument.parse(text))
        #expect(JSONDocument.parse(doc.text) == doc)
        #expect(doc["Version"]?.stringValue == "2012-10-17")
        #expect(JSONDocument.parse(#"{"a":1"#) == nil)
        #expect(JSONDocument.parse(#"{"a":1} x"#) == nil)
        #expect(JSONDocument.parse(#""\ud834\udd1e""#) == .string("𝄞"))
    }
}
