import SimfraCore
import Testing

@testable import SimfraEventing

func eventPatternError(_ pattern: String) -> String? {
    do {
        _ = try EventPattern(json: pattern)
        return nil
    } catch {
        return error.reason
    }
}

func filterPolicyError(_ policy: String, _ scope: FilterPolicy.Scope = .messageAttributes) -> PatternError? {
    do {
        _ = try FilterPolicy(json: policy, scope: scope)
        return nil
    } catch {
        return error
    }
}

/// Rejected patterns carry AWS's reason, parser position included.
@Suite struct PatternsValidationTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var pattern: String
        var reason: String
        var testDescription: String { pattern }
    }

    static let eventBridgeRecorded = recordedEventBridgeErrors.map { Row(pattern: $0.0, reason: $0.1) }
    static let snsRecorded = recordedSNSErrors.map { Row(pattern: $0.0, reason: $0.1) }

    @Test(arguments: eventBridgeRecorded)
    func eventBridgeRecordedReasons(_ r: Row) {
        #expect(eventPatternError(r.pattern) == r.reason)
    }

    @Test(arguments: snsRecorded)
    func snsRecordedReasons(_ r: Row) {
        #expect(filterPolicyError(r.pattern)?.reason == r.reason)
    }

    /// Reasons AWS gives without a position (address checks, SNS's limits).
    static let unlocated: [Row] = [
        .init(pattern: #"{"ip":[{"cidr":"bad-filter"}]}"#, reason: "Malformed CIDR, one '/' required"),
        .init(pattern: #"{"ip":[{"cidr":"10.0.0.0/x"}]}"#, reason: "Malformed CIDR, mask bits must be an integer"),
        .init(pattern: #"{"ip":[{"cidr":"xx.11.xx/24"}]}"#, reason: "Nonstandard IP address: xx.11.xx"),
        .init(pattern: #"{"ip":[{"cidr":"xxxx:db8:1234:1a00::/64"}]}"#, reason: "Nonstandard IP address: xxxx:db8:1234:1a00::"),
        .init(pattern: #"{"ip":[{"cidr":"10.0.0.300/24"}]}"#, reason: "Invalid IP address: 10.0.0.300"),
        .init(pattern: #"{"ip":[{"cidr":"10.0.0.0/32"}]}"#, reason: "IPv4 mask bits must be < 32"),
        .init(pattern: #"{"ip":[{"cidr":"10.0.0.0/-1"}]}"#, reason: "Malformed CIDR, mask bits must not be negative"),
        .init(pattern: #"{"ip":[{"cidr":"::/128"}]}"#, reason: "IPv6 mask bits must be < 128"),
    ]

    @Test(arguments: unlocated)
    func unlocatedReasons(_ r: Row) {
        #expect(eventPatternError(r.pattern) == r.reason)
        #expect(filterPolicyError(r.pattern)?.reason == r.reason)
    }

    /// Reasons whose wording comes from AWS's engine; checked without the position suffix.
    static let located: [Row] = [
        .init(pattern: "", reason: "Filter is not an object"),
        .init(pattern: "  ", reason: "Filter is not an object"),
        .init(pattern: "{}", reason: "Empty objects are not allowed"),
        .init(pattern: #"{"a":{}}"#, reason: "Empty objects are not allowed"),
        .init(pattern: #"{"a":[{}]}"#, reason: "Match expression name not found"),
        .init(pattern: #"{"$or":{"a":[1]}}"#, reason: "It must be an Array followed with $or."),
        .init(pattern: #"{"$or":[{"a":[1]}]}"#, reason: "There must have at least 2 Objects in $or relationship."),
        .init(pattern: #"{"$or":[{"a":[1]},"b"]}"#, reason: "Only JSON object is allowed in array of $or relationship."),
        .init(
            pattern: #"{"$or":[{"prefix":[1]},{"b":[1]}]}"#,
            reason: "prefix is Ruler reserved fieldName which cannot be used inside $or."),
        .init(pattern: #"{"a":[{"exists":true,"prefix":"x"}]}"#, reason: "Only one key allowed in match expression"),
        .init(pattern: #"{"a":[{"numeric":["<",1e400]}]}"#, reason: "Cannot compare number : 1e400"),
        .init(pattern: #"{"a":[{"numeric":["=",0.1234567890123456789]}]}"#, reason: "Cannot compare number : 0.1234567890123456789"),
        .init(pattern: #"{"a":[{"anything-but":[1,"a"]}]}"#,
              reason: "Inside anything but list, either all values are number or string, mixed type is not supported"),
        .init(pattern: #"{"a":[{"anything-but":{"foo":"x"}}]}"#, reason: "Unsupported anything-but pattern: foo"),
        .init(pattern: #"{"a":[{"prefix":{"foo":"x"}}]}"#, reason: "Unsupported prefix pattern: foo"),
        .init(pattern: #"{"a":[{"suffix":{"equals-ignore-case":1}}]}"#, reason: "equals-ignore-case match pattern must be a string"),
        .init(pattern: #"{"a":[{"wildcard":"a\\b"}]}"#, reason: "Invalid escape character at pos 2"),
        .init(pattern: #"{"a":[{"wildcard":"a**"}]}"#, reason: "Consecutive wildcard characters at pos 2"),
        .init(pattern: #"{"a":[{"exact":"x","y":1}]}"#, reason: "Only one key allowed in match expression"),
        // JSON syntax, worded as AWS's parser words it.
        .init(
            pattern: #"{"a":["b",]}"#,
            reason: "Unexpected character (']' (code 93)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"),
        .init(pattern: #"{"a":}"#, reason: "Unexpected character ('}' (code 125)): expected a value"),
        .init(pattern: #"{"a":[1}"#, reason: "Unexpected close marker '}': expected ']' (for Array starting at [Source: (String)\"{\"a\":[1}\"; line: 1, column: 6])"),
        .init(pattern: #"{"a":["b"],}"#, reason: "Unexpected character ('}' (code 125)): was expecting double-quote to start field name"),
        .init(pattern: #"{"a" ["b"]}"#, reason: "Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value"),
        .init(pattern: #"{"a":["b" "c"]}"#, reason: "Unexpected character ('\"' (code 34)): was expecting comma to separate Array entries"),
        .init(pattern: #"{"a":["b"] "c":1}"#, reason: "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries"),
        .init(pattern: #"{"a":[tru]}"#, reason: "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"),
        .init(pattern: #"{"a":[01]}"#, reason: "Invalid numeric value: Leading zeroes not allowed"),
        .init(pattern: #"{"a":["b\q"]}"#, reason: "Unrecognized character escape 'q' (code 113)"),
        .init(pattern: #"{"a":"#, reason: "Unexpected end-of-input within/between Object entries"),
        .init(pattern: #"{"a":[1,"#, reason: "Unexpected end-of-input within/between Array entries"),
        .init(pattern: #"{"a":[-"#, reason: "Unexpected end-of-input in a Number value"),
        .init(pattern: #"{"a"#, reason: "Unexpected end-of-input: was expecting closing '\"' for name"),
        .init(pattern: #"{"a":["b"#, reason: "Unexpected end-of-input: was expecting closing quote for a string value"),
    ]

    @Test(arguments: located)
    func locatedReasons(_ r: Row) throws {
        let reason = try #require(eventPatternError(r.pattern))
        let text = reason.components(separatedBy: "\n at [Source:").first
        #expect(text == r.reason)
        #expect(reason.contains("\n at [Source: (String)\""))
    }

    @Test func endOfInputNamesTheOpenObject() throws {
        let reason = try #require(eventPatternError(#"{"a":["b"]"#))
        #expect(
            reason
                == "Unexpected end-of-input: expected close marker for Object (start marker at [Source: (String)\"{\"a\":[\"b\"]\"; line: 1, column: 1])\n at [Source: (String)\"{\"a\":[\"b\"]\"; line: 1, column: 11]"
        )
    }

    @Test func locationCountsLinesAndTruncatesLongSources() throws {
        let reason = try #require(eventPatternError("{\n\"a\": 1}"))
        #expect(reason.hasSuffix("line: 2, column: 7]"))
        let long = #"{"a":[""# + String(repeating: "x", count: 600) + #""], "b": 1}"#
        let r2 = try #require(eventPatternError(long))
        #expect(r2.contains("\"[truncated 118 chars]; line: 1, column: 618]"))
    }

    /// Recorded: SNS parses the policy as JSON first, with a parser that redacts the source.
    @Test func snsJSONErrors() {
        #expect(
            filterPolicyError("{invalid: 1}")?.snsMessage()
                == "Invalid parameter: FilterPolicy: failed to parse JSON. Unexpected character ('i' (code 105)): was expecting double-quote to start field name\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]"
        )
        #expect(
            filterPolicyError("invalid")?.snsMessage(inAttributes: true)
                == "Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON. Unrecognized token 'invalid': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 8]"
        )
        #expect(filterPolicyError(#"{"a":["b"]} trailing"#) == nil)
    }

    @Test func messagesWithServicePrefixes() throws {
        let e = try #require(filterPolicyError(#"{"a":{"b":["c"]}}"#))
        #expect(e.snsMessage() == "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy")
        let e2 = try #require(filterPolicyError(#"{"a":[]}"#))
        #expect(e2.snsMessage(inAttributes: true).hasPrefix("Invalid parameter: Attributes Reason: FilterPolicy: Empty arrays are not allowed"))
        #expect(PatternError(reason: "x").eventBridgeMessage == "Event pattern is not valid. Reason: x")
    }
}

@Suite struct PatternsWildcardTests {
    @Test func complexityRefusesRepeatedWildcards() {
        let tooComplex = WildcardComplexity.reason
        #expect(eventPatternError(#"{"a":[{"wildcard":"*:*:*:*:*:event-bus/*"}]}"#) == tooComplex)
        #expect(eventPatternError(#"{"a":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}"#) == nil)
        #expect(eventPatternError(#"{"a":[{"wildcard":"/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}"#) == nil)
        #expect(eventPatternError(#"{"a":[{"anything-but":{"wildcard":["*/init/*","*/dir/*"]}}]}"#) == nil)
        #expect(eventPatternError(#"{"a":[{"wildcard":"dir/*/sub/*/file-*.txt"}]}"#) == nil)
        #expect(eventPatternError(#"{"a":[{"wildcard":"*:*:*:*"}],"b":[{"wildcard":"*:*:*:*"}]}"#) == nil)
        #expect(eventPatternError(#"{"a":[{"wildcard":"*:*:*:*"},{"wildcard":"*:*:*:*"}]}"#) == tooComplex)
    }

    @Test func dottedKeysJoinNestedKeys() throws {
        #expect(try eventMatches(#"{"detail":{"state.status":["running"]}}"#, #"{"detail":{"state":{"status":"running"}}}"#))
        #expect(try eventMatches(#"{"detail":{"state":{"status":["running"]}}}"#, #"{"detail":{"state.status":"running"}}"#))
        #expect(try eventMatches(#"{"a.b.c":[1]}"#, #"{"a":{"b.c":1}}"#))
        #expect(try !eventMatches(#"{"detail":{"state":{"status":["running"]}}}"#, #"{"detail":{"state.status":{"status":"running"}}}"#))
        // SNS attribute names are flat: a dot is part of the name.
        let p = try FilterPolicy(json: #"{"a.b":["x"]}"#, scope: .messageAttributes)
        #expect(p.matches(attributes: ["a.b": .init(dataType: "String", stringValue: "x")]))
        let body = try FilterPolicy(json: #"{"a.b":["x"]}"#, scope: .messageBody)
        #expect(body.matches(body: #"{"a":{"b":"x"}}"#))
    }
}
