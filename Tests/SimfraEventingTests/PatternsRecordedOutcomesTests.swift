import SimfraCore
import Testing

@testable import SimfraEventing

/// Every TestEventPattern outcome AWS gave for LocalStack's pattern templates: match, no match,
/// or rejection (whose reason, where AWS printed the pattern, is checked in
/// PatternsValidationTests against the recorded message).
@Suite struct PatternsRecordedOutcomesTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name, expected, pattern, event: String
        var testDescription: String { name }
    }

    static let cases = recordedTestEventPatternCases.map { Case(name: $0.0, expected: $0.1, pattern: $0.2, event: $0.3) }

    @Test(arguments: cases)
    func outcome(_ c: Case) {
        let pattern: EventPattern
        do {
            pattern = try EventPattern(json: c.pattern)
        } catch {
            #expect(c.expected == "error", "rejected: \(error.reason)")
            return
        }
        switch c.expected {
        case "error": Issue.record("accepted a pattern AWS rejects")
        case "match": #expect(pattern.matches(json(c.event)))
        default: #expect(!pattern.matches(json(c.event)))
        }
    }
}
