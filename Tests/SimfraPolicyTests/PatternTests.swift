import Testing
@testable import SimfraPolicy

@Suite struct PatternTests {
    @Test(arguments: [
        ("s3:*", "s3:getobject", true),
        ("s3:Get*", "s3:getobject", true),
        ("s3:Get*", "s3:putobject", false),
        ("*", "anything:at-all", true),
        ("s3:GetObject", "s3:getobject", true),
        ("s3:GetObject?", "s3:getobject", false),
        ("s3:Get?bject", "s3:getobject", true),
        ("s3:*Object*", "s3:putobjectacl", true),
        ("sqs:*Message", "sqs:sendmessagebatch", false),
        ("dynamodb:*Item", "dynamodb:batchgetitem", true),
        ("ec2:*", "ec2", false),
    ])
    func actions(pattern: String, action: String, expected: Bool) {
        #expect(WildcardPattern(pattern, lowercased: true).matches(action) == expected)
    }

    @Test(arguments: [
        ("*", "arn:aws:s3:::b/k", true),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/with:colons", true),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b", false),
        ("arn:aws:s3:::b*", "arn:aws:s3:::bucket", true),
        ("arn:aws:s3:::B/*", "arn:aws:s3:::b/k", false),  // resources are case-sensitive
        ("arn:aws:sqs:*:111122223333:q", "arn:aws:sqs:us-east-1:111122223333:q", true),
        // A wildcard in one segment never spills into the next one.
        ("arn:aws:sqs:us-*:q", "arn:aws:sqs:us-east-1:111122223333:q", false),
        ("arn:aws:sqs:us-east-1:*", "arn:aws:sqs:us-east-1:111122223333:q", true),
        ("arn:aws:dynamodb:*:*:table/T", "arn:aws:dynamodb:eu-west-1:1:table/T", true),
        ("arn:aws:dynamodb:*:*:table/T", "arn:aws:dynamodb:eu-west-1:1:table/T/index/I", false),
        ("arn:aws:dynamodb:*:*:table/T/*", "arn:aws:dynamodb:eu-west-1:1:table/T/index/I", true),
        ("arn:aws:iam::*:role/?pp", "arn:aws:iam::111122223333:role/app", true),
        ("arn:aws:s3:::b", "*", false),
    ])
    func resources(pattern: String, arn: String, expected: Bool) {
        #expect(ArnPattern(pattern).matches(arn) == expected)
    }

    @Test func variablesAreSubstitutedOnlyIn2012Documents() {
        let ctx = PolicyContext(["aws:username": ["alice"], "aws:PrincipalTag/team": ["blue"]])
        let t = PolicyTemplate("arn:aws:s3:::b/${aws:username}/*", substitute: true)
        #expect(t.hasVariables)
        #expect(t.resolveString(ctx) == "arn:aws:s3:::b/alice/*")
        // Keys are case-insensitive.
        #expect(PolicyTemplate("${AWS:PrincipalTag/TEAM}", substitute: true).resolveString(ctx) == "blue")
        let legacy = PolicyTemplate("arn:aws:s3:::b/${aws:username}/*", substitute: false)
        #expect(!legacy.hasVariables)
        #expect(legacy.resolveString(ctx) == "arn:aws:s3:::b/${aws:username}/*")
    }

    @Test func missingVariableWithoutDefaultResolvesToNothing() {
        let t = PolicyTemplate("home/${aws:username}", substitute: true)
        #expect(t.resolveString(PolicyContext()) == nil)
        let d = PolicyTemplate("home/${aws:username , 'guest'}", substitute: true)
        #expect(d.resolveString(PolicyContext()) == "home/guest")
        #expect(d.resolveString(PolicyContext(["aws:username": ["bob"]])) == "home/bob")
        // Multivalued keys cannot be substituted.
        #expect(t.resolveString(PolicyContext(["aws:username": ["a", "b"]])) == nil)
    }

    @Test func escapedCharactersAreLiteralInPatterns() {
        let t = PolicyTemplate("arn:aws:s3:::b/${*}${?}${$}*", substitute: true)
        let tokens = t.resolveTokens(PolicyContext())!
        let p = ArnPattern(tokens: tokens)
        #expect(p.matches("arn:aws:s3:::b/*?$anything"))
        #expect(!p.matches("arn:aws:s3:::b/x?$anything"))
        // A variable's value is literal too: a `*` in a tag value is not a wildcard.
        let v = PolicyTemplate("arn:aws:s3:::b/${aws:PrincipalTag/p}", substitute: true)
        let vp = ArnPattern(tokens: v.resolveTokens(PolicyContext(["aws:PrincipalTag/p": ["*"]]))!)
        #expect(vp.matches("arn:aws:s3:::b/*"))
        #expect(!vp.matches("arn:aws:s3:::b/x"))
    }

    @Test(arguments: [
        ("2026-12-04", 1_796_342_400.0),
        ("2026-12-04T17:00:00Z", 1_796_403_600.0),
        ("2026-12-04T17:00:00.5Z", 1_796_403_600.5),
        ("2026-12-04T19:00:00+02:00", 1_796_403_600.0),
        ("2026-12-04T12:00:00-0500", 1_796_403_600.0),
        ("1796403600", 1_796_403_600.0),
        ("2024-02-29T00:00:00Z", 1_709_164_800.0),
    ])
    func dates(text: String, epoch: Double) {
        #expect(PolicyDate.epochSeconds(text) == epoch)
    }

    @Test(arguments: ["2026-13-01", "2023-02-29", "yesterday", "2026-12-04T25:00:00Z", "2026-12-04T10:00:00Q", ""])
    func badDates(text: String) {
        #expect(PolicyDate.epochSeconds(text) == nil)
    }

    @Test(arguments: [
        ("203.0.113.0/24", "203.0.113.7", true),
        ("203.0.113.0/24", "203.0.114.7", false),
        ("203.0.113.7", "203.0.113.7", true),
        ("10.0.0.0/8", "10.255.1.1", true),
        ("0.0.0.0/0", "192.168.1.1", true),
        ("10.0.0.0/9", "10.128.0.1", false),
        ("2001:db8::/32", "2001:db8:1234::1", true),
        ("2001:db8::/32", "2001:db9::1", false),
        ("::1", "::1", true),
        ("::1/128", "0:0:0:0:0:0:0:1", true),
        ("10.0.0.0/8", "::ffff:10.1.2.3", true),
        ("2001:db8::/32", "10.0.0.1", false),
        ("10.0.0.0/8", "not-an-ip", false),
    ])
    func cidrs(range: String, address: String, expected: Bool) {
        #expect(IPAddressRange(range)!.contains(address) == expected)
    }

    @Test(arguments: ["10.0.0.0/33", "300.1.1.1", "1.2.3", "2001:db8:::1", "::1/129", "1::2::3", "abc"])
    func badCidrs(text: String) {
        #expect(IPAddressRange(text) == nil)
    }
}

@Suite struct GlobalKeysTests {
    @Test func currentTimeIsFormattedAsAWSSendsIt() {
        #expect(PolicyDate.iso8601(epochSeconds: 1_796_403_600.7) == "2026-12-04T17:00:00Z")
        #expect(PolicyDate.iso8601(epochSeconds: 0) == "1970-01-01T00:00:00Z")
        #expect(PolicyDate.iso8601(epochSeconds: 1_709_164_799) == "2024-02-28T23:59:59Z")
        #expect(PolicyDate.iso8601(epochSeconds: -1) == "1969-12-31T23:59:59Z")
    }

    @Test func keysPerKindOfCaller() {
        let user = PolicyContext.global(
            principal: .user(arn: "arn:aws:iam::111122223333:user/alice", account: "111122223333"),
            userId: "AIDAEXAMPLE", userName: "alice", principalTags: ["Team": "blue"], sourceIp: "10.0.0.1",
            secureTransport: false, now: 1_796_403_600, requestedRegion: "us-east-1")
        #expect(user[lowercasedKey: "aws:username"] == ["alice"])
        #expect(user[lowercasedKey: "aws:userid"] == ["AIDAEXAMPLE"])
        #expect(user[lowercasedKey: "aws:principaltype"] == ["User"])
        #expect(user[lowercasedKey: "aws:principaltag/team"] == ["blue"])
        #expect(user[lowercasedKey: "aws:currenttime"] == ["2026-12-04T17:00:00Z"])
        #expect(user[lowercasedKey: "aws:epochtime"] == ["1796403600"])
        #expect(user[lowercasedKey: "aws:securetransport"] == ["false"])
        #expect(user[lowercasedKey: "aws:sourceip"] == ["10.0.0.1"])
        #expect(user[lowercasedKey: "aws:requestedregion"] == ["us-east-1"])

        let role = PolicyContext.global(
            principal: .assumedRole(sessionArn: "arn:aws:sts::111122223333:assumed-role/app/s1",
                roleArn: "arn:aws:iam::111122223333:role/team/app", account: "111122223333"),
            userId: "AROAEXAMPLE:s1", userName: "ignored", secureTransport: true, now: 0)
        #expect(role[lowercasedKey: "aws:principalarn"] == ["arn:aws:iam::111122223333:role/team/app"])
        #expect(role[lowercasedKey: "aws:username"] == nil)
        #expect(role[lowercasedKey: "aws:userid"] == ["AROAEXAMPLE:s1"])
        #expect(role[lowercasedKey: "aws:principaltype"] == ["AssumedRole"])

        let root = PolicyContext.global(principal: .root(account: "111122223333"), secureTransport: true, now: 0)
        #expect(root[lowercasedKey: "aws:userid"] == ["111122223333"])
        #expect(root[lowercasedKey: "aws:principaltype"] == ["Account"])
        #expect(root[lowercasedKey: "aws:principalaccount"] == ["111122223333"])

        let anon = PolicyContext.global(principal: .anonymous, secureTransport: false, now: 0)
        #expect(anon[lowercasedKey: "aws:principalarn"] == nil)
        #expect(anon[lowercasedKey: "aws:principaltype"] == ["Anonymous"])
    }

    @Test func globalKeysDriveConditionsAndVariables() {
        let p = policy(#"""
            {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::b/${aws:username}/*",
             "Condition": {"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}, "StringEquals": {"aws:PrincipalTag/team": "blue"}}}}
            """#)
        let ctx = PolicyContext.global(
            principal: .user(arn: "arn:aws:iam::111122223333:user/alice", account: "111122223333"),
            userId: "AIDAEXAMPLE", userName: "alice", principalTags: ["team": "blue"], secureTransport: true,
            now: 1_796_403_600)
        let set = PolicySet(identityPolicies: [AttachedPolicy(id: "p", policy: p)])
        let principal = RequestPrincipal.user(arn: "arn:aws:iam::111122223333:user/alice", account: "111122223333")
        #expect(PolicyEvaluator.evaluate(
            AuthorizationRequest(principal: principal, action: "s3:GetObject", resource: "arn:aws:s3:::b/alice/x", context: ctx), set).isAllowed)
        let later = PolicyContext.global(principal: principal, userName: "alice", principalTags: ["team": "blue"],
            secureTransport: true, now: 1_830_000_000)
        #expect(!PolicyEvaluator.evaluate(
            AuthorizationRequest(principal: principal, action: "s3:GetObject", resource: "arn:aws:s3:::b/alice/x", context: later), set).isAllowed)
    }
}
