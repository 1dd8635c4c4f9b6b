import SimfraCore
import Testing

@testable import SimfraProtocols

@Suite struct JSONReaderTests {
    @Test func readsNestingUpToItsLimit() throws {
        let doc = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        var v = try JSONReader.parse(Array(doc.utf8))
        var depth = 0
        while case .list(let l) = v, let first = l.first { v = first; depth += 1 }
        #expect(depth == 255)
    }

    /// awsJson/restJson bodies: deep nesting is a Failure (SerializationException on the wire),
    /// never a stack overflow.
    @Test func refusesDeepNestingWithoutRecursing() {
        for deep in [
            String(repeating: "[", count: 257) + String(repeating: "]", count: 257),
            String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000),
            String(repeating: "[", count: 1_000_000),
        ] {
            #expect(throws: JSONReader.Failure.self) { try JSONReader.parse(Array(deep.utf8)) }
        }
    }

    @Test func refusesInvalidUTF8AndTruncation() {
        for bad: [UInt8] in [[0x22, 0xFF, 0x22], Array("{\"a\":".utf8), Array("[1,".utf8), Array("\"\\ud800\"".utf8)] {
            #expect(throws: JSONReader.Failure.self) { try JSONReader.parse(bad) }
        }
    }
}
