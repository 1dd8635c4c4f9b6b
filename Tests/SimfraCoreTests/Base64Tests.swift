import Testing

@testable import SimfraCore

@Suite struct Base64Tests {
    @Test func roundTripsEveryLengthAndByte() {
        var rng = SystemRandomNumberGenerator()
        for n in 0..<70 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = Base64.encode(bytes)
            #expect(text.utf8.count == (n + 2) / 3 * 4)
            #expect(Base64.decode(text) == bytes)
            #expect(Base64.decodeCanonical(text) == bytes)
        }
        #expect(Base64.encode(Array(0...255)).hasPrefix("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"))
    }

    @Test func knownValues() {
        #expect(Base64.encode("") == "")
        #expect(Base64.encode("f") == "Zg==")
        #expect(Base64.encode("fo") == "Zm8=")
        #expect(Base64.encode("foobar") == "Zm9vYmFy")
        #expect(Base64.decode("Zm9vYg==") == Array("foob".utf8))
    }

    /// Clients may leave the padding off; anything else malformed is refused.
    @Test func lenientDecoding() {
        #expect(Base64.decode("Zm9vYg") == Array("foob".utf8))
        #expect(Base64.decode("Zm8") == Array("fo".utf8))
        #expect(Base64.decode("Zm9vYg=") == nil)  // padding present but incomplete
        #expect(Base64.decode("Z") == nil)
        #expect(Base64.decode("Zm=9") == nil)
        #expect(Base64.decode("Zm9v YmFy") == nil)
        #expect(Base64.decode("-_8=") == nil)  // URL-safe alphabet is not this one
        #expect(Base64.decode("Zm8===") == nil)
    }

    /// Tokens Simfra issued: one spelling only.
    @Test func canonicalDecoding() {
        #expect(Base64.decodeCanonical("Zm8") == nil)
        #expect(Base64.decodeCanonical("Zm9=") == nil)  // non-zero bits past the last byte
        #expect(Base64.decodeCanonical("Zm8=") == Array("fo".utf8))
        #expect(Base64.decodeCanonical("a$==") == nil)
    }
}
