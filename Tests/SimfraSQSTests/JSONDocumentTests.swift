import Testing

@testable import SimfraSQS

@Suite struct JSONDocumentTests {
    @Test func parsesNestedDocumentsWithinTheLimit() throws {
        let doc = String(repeating: "[", count: 99) + "1" + String(repeating: "]", count: 99)
        let v = try #require(JSONDocument.parse(doc))
        #expect(v == JSONDocument.parse(doc))
        var out = ""
        v.write(into: &out)
        #expect(out == doc)
    }

    /// Policies and redrive policies are parsed here: deep nesting is refused (the caller
    /// answers InvalidAttributeValue), never a stack overflow.
    @Test func refusesDeepNestingWithoutRecursing() {
        for deep in [
            String(repeating: "[", count: 100) + "1" + String(repeating: "]", count: 100),
            String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000),
            String(repeating: "[", count: 200_000),
        ] {
            #expect(JSONDocument.parse(deep) == nil)
        }
    }
}
