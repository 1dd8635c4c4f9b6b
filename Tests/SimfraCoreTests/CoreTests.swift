import Testing

@testable import SimfraCore

struct CoreTests {
    @Test func uuidLayout() {
        #expect(Hex.uuid(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210) == "01234567-89ab-cdef-fedc-ba9876543210")
        let id = RequestIDGenerator().next()
        #expect(id.utf8.count == 36 && id.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
    }

    @Test func hexRoundTrip() {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(Hex.decode("00abFF") == [0x00, 0xAB, 0xFF])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func requestIdsAreUniqueAndUUIDShaped() {
        let g = RequestIDGenerator()
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = g.next()
            #expect(id.count == 36)
            #expect(id.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
            seen.insert(id)
        }
        #expect(seen.count == 1000)
    }

    @Test func valueAccessors() {
        var v: Value = ["a": 1, "b": "x", "c": [true, 2.5]]
        #expect(v["a"]?.intValue == 1)
        #expect(v["b"]?.stringValue == "x")
        #expect(v["c"]?.listValue?.count == 2)
        v["d"] = .null
        #expect(v["d"]?.isNull == true)
        #expect(Value.double(3).intValue == 3)
        #expect(Value.double(3.5).intValue == nil)
    }

    @Test func errorDefaults() {
        let e = AWSError.notImplemented(service: "kms", operation: "ListKeys")
        #expect(e.status == 501)
        #expect(e.code == "NotImplemented")
        #expect(e.message.contains("ListKeys"))
        #expect(AWSError(code: "X", message: "m").senderFault)
        #expect(!AWSError(code: "X", message: "m", status: 500).senderFault)
    }
}
