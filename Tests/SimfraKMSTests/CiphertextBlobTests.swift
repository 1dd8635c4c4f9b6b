import Testing
@testable import SimfraKMS

@Suite struct CiphertextBlobTests {
    let key = KMSIdentifiers.randomBytes(32)
    let keyId = "1234abcd-12ab-34cd-56ef-1234567890ab"

    @Test func roundTripsAndNamesItsKey() throws {
        let blob = try CiphertextBlob.seal(Array("hello".utf8), key: key, account: "111111111111", keyId: keyId,
                                           materialIndex: 3, context: ["a": "1"])
        let parsed = try #require(CiphertextBlob(parsing: blob.bytes))
        #expect(parsed == blob)
        #expect(parsed.keyId == keyId)
        #expect(parsed.account == "111111111111")
        #expect(parsed.materialIndex == 3)
        #expect(parsed.bytes.first == CiphertextBlob.version)
        #expect(parsed.open(key: key, context: ["a": "1"]) == Array("hello".utf8))
    }

    @Test func contextIsBoundAsAAD() throws {
        let blob = try CiphertextBlob.seal([1, 2, 3], key: key, account: "111111111111", keyId: keyId, materialIndex: 0,
                                           context: ["purpose": "test", "b": "2"])
        #expect(blob.open(key: key, context: ["b": "2", "purpose": "test"]) == [1, 2, 3])
        #expect(blob.open(key: key, context: [:]) == nil)
        #expect(blob.open(key: key, context: ["purpose": "test"]) == nil)
        #expect(blob.open(key: key, context: ["purpose": "other", "b": "2"]) == nil)
        #expect(blob.open(key: KMSIdentifiers.randomBytes(32), context: ["b": "2", "purpose": "test"]) == nil)
    }

    @Test func anyTamperedByteFails() throws {
        let blob = try CiphertextBlob.seal(Array("secret".utf8), key: key, account: "111111111111", keyId: keyId,
                                           materialIndex: 0, context: [:])
        let bytes = blob.bytes
        for i in 0..<bytes.count {
            var t = bytes
            t[i] ^= 0x01
            if let p = CiphertextBlob(parsing: t) {
                #expect(p.open(key: key, context: [:]) == nil, "byte \(i)")
            }
        }
    }

    @Test func garbageDoesNotParse() {
        #expect(CiphertextBlob(parsing: []) == nil)
        #expect(CiphertextBlob(parsing: [2, 0, 0]) == nil)
        #expect(CiphertextBlob(parsing: Array(repeating: 1, count: 10)) == nil)
    }

    @Test func canonicalContextIsOrderFreeAndUnambiguous() {
        #expect(EncryptionContext.canonical(["a": "1", "b": "2"]) == EncryptionContext.canonical(["b": "2", "a": "1"]))
        #expect(EncryptionContext.canonical(["a": "bc"]) != EncryptionContext.canonical(["ab": "c"]))
        #expect(EncryptionContext.canonical([:]).isEmpty)
    }

    @Test func keyIdFormats() {
        #expect(KMSIdentifiers.isKeyId(KMSIdentifiers.keyId()))
        #expect(KMSIdentifiers.isKeyId(KMSIdentifiers.multiRegionKeyId()))
        #expect(!KMSIdentifiers.isKeyId("fake-key-id"))
        #expect(!KMSIdentifiers.isKeyId("134f2428cec14b25a1ae9048164dba47"))
        #expect(!KMSIdentifiers.isKeyId("mrk-fake-key-id"))
    }
}
