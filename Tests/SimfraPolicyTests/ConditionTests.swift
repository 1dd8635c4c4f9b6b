import Testing
@testable import SimfraPolicy

/// Each row: a Condition block, the request's context keys, whether the statement applies.
struct ConditionCase: CustomTestStringConvertible, Sendable {
    let condition: String
    let context: [String: [String]]
    let expected: Bool
    init(_ condition: String, _ context: [String: [String]], _ expected: Bool) {
        self.condition = condition
        self.context = context
        self.expected = expected
    }
    var testDescription: String { "\(condition) with \(context) -> \(expected)" }
}

@Suite struct ConditionTests {
    static func holds(_ c: ConditionCase) -> Bool {
        let p = allow("s3:GetObject", condition: c.condition)
        return p.statements[0].conditionsHold(PolicyContext(c.context))
    }

    static let strings: [ConditionCase] = [
        .init(#"{"StringEquals": {"aws:username": "alice"}}"#, ["aws:username": ["alice"]], true),
        .init(#"{"StringEquals": {"aws:username": "alice"}}"#, ["aws:username": ["Alice"]], false),
        .init(#"{"StringEquals": {"AWS:UserName": ["bob", "alice"]}}"#, ["aws:username": ["alice"]], true),  // keys case-insensitive, values OR
        .init(#"{"StringEquals": {"aws:username": "alice"}}"#, [:], false),  // missing key: positive fails
        .init(#"{"StringNotEquals": {"aws:username": "alice"}}"#, [:], true),  // missing key: negated holds
        .init(#"{"StringNotEquals": {"aws:username": ["alice", "bob"]}}"#, ["aws:username": ["bob"]], false),
        .init(#"{"StringNotEquals": {"aws:username": ["alice", "bob"]}}"#, ["aws:username": ["carol"]], true),
        .init(#"{"StringEqualsIgnoreCase": {"aws:username": "ALICE"}}"#, ["aws:username": ["alice"]], true),
        .init(#"{"StringNotEqualsIgnoreCase": {"aws:username": "ALICE"}}"#, ["aws:username": ["alice"]], false),
        .init(#"{"StringNotEqualsIgnoreCase": {"aws:username": "ALICE"}}"#, ["aws:username": ["bob"]], true),
        .init(#"{"StringLike": {"s3:prefix": "home/*"}}"#, ["s3:prefix": ["home/alice/x"]], true),
        .init(#"{"StringLike": {"s3:prefix": "home/?"}}"#, ["s3:prefix": ["home/ab"]], false),
        .init(#"{"StringLike": {"s3:prefix": ["", "home/"]}}"#, ["s3:prefix": [""]], true),  // an empty string is a value
        .init(#"{"StringNotLike": {"s3:prefix": "tmp/*"}}"#, ["s3:prefix": ["home/x"]], true),
        .init(#"{"StringNotLike": {"s3:prefix": "tmp/*"}}"#, ["s3:prefix": ["tmp/x"]], false),
        .init(#"{"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}"#, [:], true),
        .init(#"{"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}"#, ["ec2:instancetype": ["m5.large"]], false),
        .init(#"{"StringNotLikeIfExists": {"ec2:InstanceType": "m5.*"}}"#, ["ec2:InstanceType": ["m5.large"]], false),
        // Several operators and several keys must all hold.
        .init(#"{"StringEquals": {"aws:username": "alice", "aws:RequestedRegion": "us-east-1"}, "Bool": {"aws:SecureTransport": "true"}}"#,
              ["aws:username": ["alice"], "aws:RequestedRegion": ["us-east-1"], "aws:SecureTransport": ["true"]], true),
        .init(#"{"StringEquals": {"aws:username": "alice", "aws:RequestedRegion": "us-east-1"}}"#,
              ["aws:username": ["alice"], "aws:RequestedRegion": ["eu-west-1"]], false),
        // Numbers and booleans written as JSON scalars compare as text.
        .init(#"{"StringEquals": {"s3:max-keys": 10}}"#, ["s3:max-keys": ["10"]], true),
    ]

    static let numbersAndDates: [ConditionCase] = [
        .init(#"{"NumericEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10.0"]], true),
        .init(#"{"NumericNotEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["11"]], true),
        .init(#"{"NumericNotEquals": {"s3:max-keys": "10"}}"#, [:], true),
        .init(#"{"NumericLessThan": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["9"]], true),
        .init(#"{"NumericLessThan": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10"]], false),
        .init(#"{"NumericLessThanEquals": {"s3:max-keys": 10}}"#, ["s3:max-keys": ["10"]], true),
        .init(#"{"NumericGreaterThan": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10"]], false),
        .init(#"{"NumericGreaterThanEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10"]], true),
        .init(#"{"NumericLessThan": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["ten"]], false),
        .init(#"{"NumericLessThan": {"s3:max-keys": "ten"}}"#, ["s3:max-keys": ["1"]], false),
        .init(#"{"NumericLessThanIfExists": {"s3:max-keys": "10"}}"#, [:], true),
        .init(#"{"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}"#, ["aws:CurrentTime": ["2026-12-04T17:00:00Z"]], true),
        .init(#"{"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}"#, ["aws:CurrentTime": ["2026-12-04T17:00:00Z"]], false),
        .init(#"{"DateLessThanEquals": {"aws:EpochTime": "1796403600"}}"#, ["aws:EpochTime": ["1796403600"]], true),
        .init(#"{"DateGreaterThanEquals": {"aws:CurrentTime": "2026-12-04"}}"#, ["aws:CurrentTime": ["2026-12-04T00:00:00Z"]], true),
        .init(#"{"DateEquals": {"aws:CurrentTime": "2026-12-04T17:00:00Z"}}"#, ["aws:CurrentTime": ["1796403600"]], true),  // ISO vs epoch
        .init(#"{"DateNotEquals": {"aws:CurrentTime": "2026-12-04T17:00:00Z"}}"#, ["aws:CurrentTime": ["2026-12-04T18:00:00+01:00"]], false),
        .init(#"{"DateLessThan": {"aws:TokenIssueTime": "2026-01-01"}}"#, [:], false),
    ]

    static let others: [ConditionCase] = [
        .init(#"{"Bool": {"aws:SecureTransport": "false"}}"#, ["aws:SecureTransport": ["false"]], true),
        .init(#"{"Bool": {"aws:SecureTransport": false}}"#, ["aws:SecureTransport": ["FALSE"]], true),
        .init(#"{"Bool": {"aws:SecureTransport": "true"}}"#, ["aws:SecureTransport": ["false"]], false),
        .init(#"{"Bool": {"aws:MultiFactorAuthPresent": "true"}}"#, [:], false),
        .init(#"{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}"#, [:], true),
        .init(#"{"BinaryEquals": {"s3:x-amz-meta-k": "QmluYXJ5"}}"#, ["s3:x-amz-meta-k": ["QmluYXJ5"]], true),
        .init(#"{"BinaryEquals": {"s3:x-amz-meta-k": "QmluYXJ5"}}"#, ["s3:x-amz-meta-k": ["QmluYXJz"]], false),
        .init(#"{"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}"#, ["aws:SourceIp": ["2001:db8::5"]], true),
        .init(#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, ["aws:SourceIp": ["198.51.100.1"]], false),
        .init(#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, [:], false),
        .init(#"{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, ["aws:SourceIp": ["198.51.100.1"]], true),
        .init(#"{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, ["aws:SourceIp": ["203.0.113.9"]], false),
        .init(#"{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, [:], true),
        .init(#"{"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}}"#, ["aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:topic"]], true),
        .init(#"{"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}"#, ["aws:SourceArn": ["arn:aws:sns:eu-west-1:111122223333:t"]], true),
        .init(#"{"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}"#, ["aws:SourceArn": ["arn:aws:sns:eu-west-1:444455556666:t"]], false),
        .init(#"{"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}"#, ["aws:SourceArn": ["not an arn"]], false),
        .init(#"{"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}}"#, ["aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:other"]], true),
        .init(#"{"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}"#, ["aws:SourceArn": ["arn:aws:sns:eu-west-1:111122223333:t"]], false),
        .init(#"{"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}"#, [:], true),
        .init(#"{"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}"#, [:], true),
        .init(#"{"Null": {"aws:TokenIssueTime": "true"}}"#, [:], true),
        .init(#"{"Null": {"aws:TokenIssueTime": "true"}}"#, ["aws:TokenIssueTime": ["2026-01-01"]], false),
        .init(#"{"Null": {"aws:TokenIssueTime": false}}"#, ["aws:TokenIssueTime": ["2026-01-01"]], true),
        .init(#"{"Null": {"aws:TokenIssueTime": "false"}}"#, [:], false),
    ]

    /// Set operators on multivalued keys (aws:TagKeys, dynamodb:Attributes …).
    static let sets: [ConditionCase] = [
        .init(#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#, ["aws:TagKeys": ["env"]], true),
        .init(#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#, ["aws:TagKeys": ["env", "cost"]], false),
        .init(#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#, [:], true),  // absent: vacuously true
        .init(#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#, ["aws:TagKeys": []], true),
        .init(#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#, ["aws:TagKeys": ["cost", "team"]], true),
        .init(#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#, ["aws:TagKeys": ["cost"]], false),
        .init(#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#, [:], false),
        .init(#"{"ForAllValues:StringLike": {"dynamodb:Attributes": ["user*", "id"]}}"#, ["dynamodb:Attributes": ["id", "userName"]], true),
        .init(#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}"#, ["aws:TagKeys": ["env", "team"]], true),
        .init(#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}"#, ["aws:TagKeys": ["env", "secret"]], false),
        .init(#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["secret"]}}"#, ["aws:TagKeys": ["secret", "env"]], true),
        .init(#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["secret"]}}"#, ["aws:TagKeys": ["secret"]], false),
        .init(#"{"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["env"]}}"#, [:], true),
        // Without a set operator a multivalued key matches when any of its values does,
        // and a negated operator holds only when none does.
        .init(#"{"StringEquals": {"aws:TagKeys": "env"}}"#, ["aws:TagKeys": ["cost", "env"]], true),
        .init(#"{"StringNotEquals": {"aws:TagKeys": "env"}}"#, ["aws:TagKeys": ["cost", "env"]], false),
        .init(#"{"forallvalues:stringequals": {"aws:TagKeys": "env"}}"#, ["aws:TagKeys": ["env"]], true),  // operator names case-insensitive
    ]

    @Test(arguments: strings) func stringOperators(c: ConditionCase) { #expect(Self.holds(c) == c.expected) }
    @Test(arguments: numbersAndDates) func numericAndDateOperators(c: ConditionCase) { #expect(Self.holds(c) == c.expected) }
    @Test(arguments: others) func boolBinaryIpArnNull(c: ConditionCase) { #expect(Self.holds(c) == c.expected) }
    @Test(arguments: sets) func setOperators(c: ConditionCase) { #expect(Self.holds(c) == c.expected) }

    @Test func variablesInConditionValues() {
        let c = ConditionCase(
            #"{"StringLike": {"s3:prefix": ["${aws:username}/*", "shared/${aws:PrincipalTag/team}/*"]}}"#,
            ["aws:username": ["alice"], "aws:PrincipalTag/team": ["blue"], "s3:prefix": ["shared/blue/a"]], true)
        #expect(Self.holds(c))
        #expect(!Self.holds(.init(c.condition, ["aws:username": ["alice"], "s3:prefix": ["shared/red/a"]], false)))
        #expect(Self.holds(.init(#"{"StringEquals": {"aws:PrincipalTag/owner": "${aws:userid}"}}"#,
            ["aws:userid": ["AIDA1"], "aws:PrincipalTag/owner": ["AIDA1"]], true)))
        #expect(Self.holds(.init(#"{"ArnLike": {"aws:SourceArn": "arn:aws:sqs:*:*:${aws:username}-*"}}"#,
            ["aws:username": ["alice"], "aws:SourceArn": ["arn:aws:sqs:us-east-1:1:alice-q"]], true)))
        // A variable without a value makes that value match nothing (not "*").
        #expect(!Self.holds(.init(#"{"StringLike": {"s3:prefix": "${aws:username}*"}}"#, ["s3:prefix": ["x"]], false)))
        // Default value.
        #expect(Self.holds(.init(#"{"StringEquals": {"s3:prefix": "${aws:username, 'guest'}"}}"#, ["s3:prefix": ["guest"]], true)))
    }

    @Test func legacyDocumentsTakeVariablesLiterally() {
        let p = policy(#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"s3:prefix": "${aws:username}"}}}]}"#)
        #expect(p.statements[0].conditionsHold(PolicyContext(["s3:prefix": ["${aws:username}"], "aws:username": ["a"]])))
        #expect(!p.statements[0].conditionsHold(PolicyContext(["s3:prefix": ["a"], "aws:username": ["a"]])))
    }
}
