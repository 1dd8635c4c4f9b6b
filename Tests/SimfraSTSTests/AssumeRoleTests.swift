import SimfraCore
import SimfraPolicy
import Testing

@testable import SimfraSTS

@Suite struct AssumeRoleTests {
    let clock = TestClock()
    let directory = FakeDirectory()
    var sts: STSService { STSService(directory: directory, clock: clock) }

    func assume(_ sts: STSService, _ input: [String: Value], context: RequestContext = Fixture.context()) async throws -> Value {
        try await sts.handle(operation: "AssumeRole", input: .object(input), context: context)
    }

    @Test func issuesARoleSession() async throws {
        let role = try directory.addRole(name: "deploy", path: "/ci/", trust: Fixture.trustAccount(), maxSessionDuration: 7200)
        let sts = self.sts
        let out = try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "build-42"])
        let creds = try #require(out["Credentials"])
        let keyId = try #require(creds["AccessKeyId"]?.stringValue)
        #expect(keyId.hasPrefix("ASIA") && keyId.count == 20)
        #expect(AccessKeyID.account(of: keyId) == "111111111111")
        #expect(creds["SecretAccessKey"]?.stringValue?.count == 40)
        #expect((creds["SessionToken"]?.stringValue?.count ?? 0) > 300)
        #expect(creds["Expiration"] == .timestamp(clock.now().rounded(.down) + 3600))
        // The role's path is not part of the session ARN.
        #expect(out["AssumedRoleUser"]?["Arn"] == "arn:aws:sts::111111111111:assumed-role/deploy/build-42")
        #expect(out["AssumedRoleUser"]?["AssumedRoleId"] == .string("\(role.roleId):build-42"))
        #expect(out["PackedPolicySize"] == nil)

        let stored = try #require(sts.sessions.credential(forAccessKeyId: keyId))
        #expect(stored.principalArn == "arn:aws:sts::111111111111:assumed-role/deploy/build-42")
        #expect(stored.userId == "\(role.roleId):build-42")
        #expect(stored.sessionToken == creds["SessionToken"]?.stringValue)
        let session = try #require(stored.session)
        #expect(session.kind == .assumedRole)
        #expect(session.parentArn == "arn:aws:iam::111111111111:role/ci/deploy")
        #expect(session.sessionName == "build-42")
        #expect(!session.isChained)

        // Every session gets its own key, secret and token.
        let again = try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "build-42"])
        #expect(again["Credentials"]?["AccessKeyId"] != creds["AccessKeyId"])
        #expect(again["Credentials"]?["SessionToken"] != creds["SessionToken"])
    }

    @Test func missingRoleIsADenialNamingIt() async throws {
        let arn = "arn:aws:iam::111111111111:role/nope"
        let e = await awsError {
            try await assume(sts, ["RoleArn": .string(arn), "RoleSessionName": "s1"],
                             context: Fixture.context(Fixture.userArn, userId: "AIDAX"))
        }
        #expect(e?.code == "AccessDenied")
        #expect(e?.status == 403)
        #expect(e?.message == "User: \(Fixture.userArn) is not authorized to perform: sts:AssumeRole on resource: \(arn)")
        // Without IAM wired, every role is missing.
        let bare = STSService(directory: nil, clock: clock)
        #expect(await awsError { try await assume(bare, ["RoleArn": .string(arn), "RoleSessionName": "s1"]) }?.code == "AccessDenied")
    }

    @Test func durationBounds() async throws {
        let role = try directory.addRole(name: "r", trust: Fixture.trustAccount(), maxSessionDuration: 7200)
        let sts = self.sts
        let ok = try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "s1", "DurationSeconds": 7200])
        #expect(ok["Credentials"]?["Expiration"] == .timestamp(clock.now().rounded(.down) + 7200))
        let over = await awsError {
            try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "s1", "DurationSeconds": 7201])
        }
        #expect(over == AWSError(code: "ValidationError",
                                 message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
                                 status: 400))
        let under = await awsError {
            try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "s1", "DurationSeconds": 899])
        }
        #expect(under?.code == "ValidationError")
        #expect(under?.message.contains("greater than or equal to 900") == true)
    }

    @Test func roleChainingIsLimitedToAnHour() async throws {
        let a = try directory.addRole(name: "a", trust: Fixture.trustAccount(), maxSessionDuration: 43200)
        let b = try directory.addRole(name: "b", trust: Fixture.trustAccount(), maxSessionDuration: 43200)
        let sts = self.sts
        let first = try await assume(sts, ["RoleArn": .string(a.arn), "RoleSessionName": "one", "DurationSeconds": 43200])
        let firstCred = try #require(sts.sessions.credential(forAccessKeyId: first["Credentials"]?["AccessKeyId"]?.stringValue ?? ""))
        let chained = Fixture.context(of: firstCred)
        let e = await awsError {
            try await assume(sts, ["RoleArn": .string(b.arn), "RoleSessionName": "two", "DurationSeconds": 3601], context: chained)
        }
        #expect(e == AWSError(
            code: "ValidationError",
            message: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            status: 400))
        let second = try await assume(sts, ["RoleArn": .string(b.arn), "RoleSessionName": "two"], context: chained)
        let key = second["Credentials"]?["AccessKeyId"]?.stringValue ?? ""
        #expect(sts.sessions.credential(forAccessKeyId: key)?.session?.isChained == true)
        #expect(second["AssumedRoleUser"]?["Arn"] == "arn:aws:sts::111111111111:assumed-role/b/two")
    }

    @Test func sessionNameAndArnValidation() async throws {
        let role = try directory.addRole(name: "r", trust: Fixture.trustAccount())
        let bad = await awsError { try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "Session1:2"]) }
        // AWS's wording, as recorded.
        #expect(bad?.message
            == "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
        #expect(bad?.code == "ValidationError")
        let short = await awsError { try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "x"]) }
        #expect(short?.message.contains("length greater than or equal to 2") == true)
        for arn in ["nothing-valid-in-here", "arn::b:::something/test-role", "arn:a::::something/test-role",
                    "arn:a:::something/test-role", "arn:a:a::aaaaaaaaaa:"]
        {
            let e = await awsError { try await assume(sts, ["RoleArn": .string(arn), "RoleSessionName": "s1"]) }
            #expect(e == AWSError(code: "ValidationError", message: "\(arn) is invalid", status: 400))
        }
    }

    @Test func sessionPolicies() async throws {
        let role = try directory.addRole(name: "r", trust: Fixture.trustAccount())
        let sts = self.sts
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
        let out = try await assume(sts, [
            "RoleArn": .string(role.arn), "RoleSessionName": "s1", "Policy": .string(policy),
            "PolicyArns": [["arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"]],
        ])
        let size = try #require(out["PackedPolicySize"]?.intValue)
        #expect(size > 0 && size < 100)
        let session = sts.sessions.credential(forAccessKeyId: out["Credentials"]?["AccessKeyId"]?.stringValue ?? "")?.session
        #expect(session?.policyDocuments == [policy])
        #expect(session?.policyArns == ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
        #expect(session?.hasSessionPolicies == true)

        let notJSON = await awsError {
            try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "s1", "Policy": "{nope"])
        }
        #expect(notJSON?.code == "MalformedPolicyDocument")
        let withPrincipal = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#
        let bad = await awsError {
            try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "s1", "Policy": .string(withPrincipal)])
        }
        #expect(bad?.code == "MalformedPolicyDocument")

        let statements = (0..<60).map { i in
            #"{"Sid":"S\#(i)","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-\#(i)/*"}"#
        }
        let huge = #"{"Version":"2012-10-17","Statement":["# + statements.joined(separator: ",") + "]}"
        let tooLarge = await awsError {
            try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "s1", "Policy": .string(huge)])
        }
        #expect(tooLarge?.code == "PackedPolicyTooLarge")
        #expect(tooLarge?.message.hasPrefix("Packed policy consumes ") == true)
        #expect(tooLarge?.message.hasSuffix("% of allotted space, please use smaller policy.") == true)

        let arns: Value = .list((0..<11).map { i in ["arn": .string("arn:aws:iam::111111111111:policy/p\(i)")] })
        let tooMany = await awsError {
            try await assume(sts, ["RoleArn": .string(role.arn), "RoleSessionName": "s1", "PolicyArns": arns])
        }
        #expect(tooMany?.code == "ValidationError")
    }

    @Test func sessionTagsAndTransitiveTags() async throws {
        let a = try directory.addRole(name: "a", trust: Fixture.trustAccount())
        let b = try directory.addRole(name: "b", trust: Fixture.trustAccount())
        let sts = self.sts
        let dup = await awsError {
            try await assume(sts, ["RoleArn": .string(a.arn), "RoleSessionName": "s1",
                                   "Tags": [["Key": "team", "Value": "x"], ["Key": "Team", "Value": "y"]]])
        }
        #expect(dup == AWSError(code: "InvalidParameterValue",
                                message: "Duplicate tag keys found. Please note that Tag keys are case insensitive.", status: 400))
        let notAmong = await awsError {
            try await assume(sts, ["RoleArn": .string(a.arn), "RoleSessionName": "s1",
                                   "Tags": [["Key": "team", "Value": "x"]], "TransitiveTagKeys": ["project"]])
        }
        #expect(notAmong == AWSError(code: "InvalidParameterValue",
                                     message: "The specified transitive tag key must be included in the requested tags.",
                                     status: 400))

        let first = try await assume(sts, [
            "RoleArn": .string(a.arn), "RoleSessionName": "s1",
            "Tags": [["Key": "team", "Value": "blue"], ["Key": "cost", "Value": "42"]], "TransitiveTagKeys": ["team"],
        ])
        #expect(first["PackedPolicySize"]?.intValue != nil)
        let firstCred = try #require(sts.sessions.credential(forAccessKeyId: first["Credentials"]?["AccessKeyId"]?.stringValue ?? ""))
        #expect(firstCred.session?.tags == ["team": "blue", "cost": "42"])
        #expect(firstCred.session?.transitiveTagKeys == ["team"])

        // Chained: the transitive tag passes on, the other does not, and it cannot be reset.
        let chained = Fixture.context(of: firstCred)
        let second = try await assume(sts, ["RoleArn": .string(b.arn), "RoleSessionName": "s2",
                                            "Tags": [["Key": "env", "Value": "dev"]]], context: chained)
        let secondSession = sts.sessions.credential(forAccessKeyId: second["Credentials"]?["AccessKeyId"]?.stringValue ?? "")?.session
        #expect(secondSession?.tags == ["team": "blue", "env": "dev"])
        #expect(secondSession?.transitiveTagKeys == ["team"])
        for key in ["team", "TEAM"] {
            let e = await awsError {
                try await assume(sts, ["RoleArn": .string(b.arn), "RoleSessionName": "s2",
                                       "Tags": [["Key": .string(key), "Value": "red"]]], context: chained)
            }
            #expect(e?.message
                == "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
        }
    }

    @Test func sourceIdentityPersistsAcrossChains() async throws {
        let a = try directory.addRole(name: "a", trust: Fixture.trustAccount())
        let sts = self.sts
        let first = try await assume(sts, ["RoleArn": .string(a.arn), "RoleSessionName": "s1", "SourceIdentity": "alice"])
        #expect(first["SourceIdentity"] == "alice")
        let cred = try #require(sts.sessions.credential(forAccessKeyId: first["Credentials"]?["AccessKeyId"]?.stringValue ?? ""))
        let second = try await assume(sts, ["RoleArn": .string(a.arn), "RoleSessionName": "s2"], context: Fixture.context(of: cred))
        #expect(second["SourceIdentity"] == "alice")
    }

    @Test func trustPolicyIsTheRolesResourcePolicy() throws {
        let role = try directory.addRole(account: "222222222222", name: "x", trust: Fixture.trustAccount())
        let doc = try #require(sts.resourcePolicy(forResource: role.arn, context: Fixture.context()))
        #expect(doc.isTrustPolicy)
        #expect(doc.ownerAccount == "222222222222")
        #expect(doc.document == role.trustPolicyDocument)
        #expect(sts.resourcePolicy(forResource: "arn:aws:iam::222222222222:role/none", context: Fixture.context()) == nil)
        #expect(sts.resourceOwner(forResource: "arn:aws:iam::333333333333:role/none", context: Fixture.context()) == "333333333333")
    }
}
