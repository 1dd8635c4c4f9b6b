import SimfraCore
import SimfraPolicy
import Testing

@testable import SimfraSTS

@Suite struct TokenTests {
    let clock = TestClock()

    @Test func sessionTokenAsRootIsCappedAtAnHour() async throws {
        let sts = STSService(directory: nil, clock: clock)
        let out = try await sts.handle(operation: "GetSessionToken", input: ["DurationSeconds": 7200], context: Fixture.context())
        let c = try #require(out["Credentials"])
        #expect(c["Expiration"] == .timestamp(clock.now().rounded(.down) + 3600))
        let stored = try #require(sts.sessions.credential(forAccessKeyId: c["AccessKeyId"]?.stringValue ?? ""))
        #expect(stored.principalArn == Fixture.rootArn)
        #expect(stored.userId == Fixture.account)
        #expect(stored.session?.kind == .sessionToken)
        #expect(stored.session?.parentArn == Fixture.rootArn)
        // Not callable with session credentials.
        let e = await awsError {
            try await sts.handle(operation: "GetSessionToken", input: .empty, context: Fixture.context(of: stored))
        }
        #expect(e == AWSError(code: "AccessDenied", message: "Cannot call GetSessionToken with session credentials", status: 403))
    }

    @Test func sessionTokenForAUserDefaultsToTwelveHours() async throws {
        let sts = STSService(directory: nil, clock: clock)
        let ctx = Fixture.context(Fixture.userArn, userId: "AIDAEXAMPLE", accessKeyId: "AKIAUSER")
        let out = try await sts.handle(operation: "GetSessionToken", input: .empty, context: ctx)
        #expect(out["Credentials"]?["Expiration"] == .timestamp(clock.now().rounded(.down) + 43200))
        let long = try await sts.handle(operation: "GetSessionToken", input: ["DurationSeconds": 129_600], context: ctx)
        #expect(long["Credentials"]?["Expiration"] == .timestamp(clock.now().rounded(.down) + 129_600))
        let e = await awsError { try await sts.handle(operation: "GetSessionToken", input: ["DurationSeconds": 129_601], context: ctx) }
        #expect(e?.code == "ValidationError")
    }

    @Test func federationToken() async throws {
        let sts = STSService(directory: nil, clock: clock)
        let ctx = Fixture.context(Fixture.userArn, userId: "AIDAEXAMPLE", accessKeyId: "AKIAUSER")
        let out = try await sts.handle(operation: "GetFederationToken", input: ["Name": "bob"], context: ctx)
        #expect(out["FederatedUser"]?["Arn"] == "arn:aws:sts::111111111111:federated-user/bob")
        #expect(out["FederatedUser"]?["FederatedUserId"] == "111111111111:bob")
        #expect(out["PackedPolicySize"] == 0)
        let c = try #require(sts.sessions.credential(forAccessKeyId: out["Credentials"]?["AccessKeyId"]?.stringValue ?? ""))
        #expect(c.principalArn == "arn:aws:sts::111111111111:federated-user/bob")
        #expect(c.userId == "111111111111:bob")
        #expect(c.session?.kind == .federatedUser)
        #expect(c.session?.parentArn == Fixture.userArn)
        let bad = await awsError { try await sts.handle(operation: "GetFederationToken", input: ["Name": "b/b"], context: ctx) }
        #expect(bad?.message.contains("at 'name' failed to satisfy constraint") == true)
        let fromSession = await awsError {
            try await sts.handle(operation: "GetFederationToken", input: ["Name": "bob"], context: Fixture.context(of: c))
        }
        #expect(fromSession?.message == "Cannot call GetFederationToken with session credentials")
    }

    @Test func accessKeyInfo() async throws {
        let sts = STSService(directory: nil, clock: clock)
        // AWS decodes the account from the key id itself.
        let aws = try await sts.handle(operation: "GetAccessKeyInfo", input: ["AccessKeyId": "AKIAIOSFODNN7EXAMPLE"],
                                       context: Fixture.context())
        #expect(aws["Account"] == "581039954779")
        for account in ["000000000000", "123456789012", "999999999999"] {
            #expect(AccessKeyID.account(of: AccessKeyID.make(prefix: "AKIA", account: account)) == account)
        }
        // A key Simfra knows answers its holder's account, whatever it encodes.
        sts.accessKeys.bind { id in
            id == "AKIAIOSFODNN7EXAMPLE" ? .root(accessKeyId: id, secretAccessKey: "s", accountId: "000000000000") : nil
        }
        let known = try await sts.handle(operation: "GetAccessKeyInfo", input: ["AccessKeyId": "AKIAIOSFODNN7EXAMPLE"],
                                         context: Fixture.context())
        #expect(known["Account"] == "000000000000")
        let issued = try await sts.handle(operation: "GetSessionToken", input: .empty,
                                          context: Fixture.context(account: "444455556666"))
        let info = try await sts.handle(operation: "GetAccessKeyInfo",
                                        input: ["AccessKeyId": issued["Credentials"]?["AccessKeyId"] ?? ""],
                                        context: Fixture.context())
        #expect(info["Account"] == "444455556666")
    }

    @Test func authorizationMessageRoundTrip() async throws {
        let sts = STSService(directory: nil, clock: clock)
        let message = AuthorizationMessage(
            allowed: false, explicitDeny: true,
            matchedStatements: [AuthorizationMessage.Statement(statementId: "DenyAll", effect: "DENY")],
            principalId: "AIDAEXAMPLE", principalName: "alice", principalArn: Fixture.userArn, action: "s3:GetObject",
            resource: "arn:aws:s3:::b/k", conditions: ["aws:SourceIp": ["127.0.0.1"]])
        let encoded = STSService.encodeAuthorizationMessage(message)
        #expect(!encoded.contains("{"))
        let out = try await sts.handle(operation: "DecodeAuthorizationMessage", input: ["EncodedMessage": .string(encoded)],
                                       context: Fixture.context())
        let json = try #require(out["DecodedMessage"]?.stringValue)
        #expect(json == message.json)
        #expect(json.contains(#""explicitDeny":true"#))
        #expect(json.contains(#""action":"s3:GetObject""#))
        #expect(json.contains(#"{"key":"aws:SourceIp","values":{"items":[{"value":"127.0.0.1"}]}}"#))
        let e = await awsError {
            try await sts.handle(operation: "DecodeAuthorizationMessage", input: ["EncodedMessage": "garbage!"],
                                 context: Fixture.context())
        }
        #expect(e?.code == "InvalidAuthorizationMessageException")
    }

    @Test func expiredSessionsStayKnownUntilSwept() async throws {
        let sts = STSService(directory: nil, clock: clock)
        let out = try await sts.handle(operation: "GetSessionToken", input: ["DurationSeconds": 900],
                                       context: Fixture.context(Fixture.userArn, accessKeyId: "AKIAUSER"))
        let key = out["Credentials"]?["AccessKeyId"]?.stringValue ?? ""
        clock.advance(901)
        // Still found, so the signature check can say "expired" rather than "unknown key".
        let c = try #require(sts.sessions.credential(forAccessKeyId: key))
        #expect(try #require(c.expiration) < clock.now())
        clock.advance(SessionStore.retention)
        _ = try await sts.handle(operation: "GetSessionToken", input: .empty,
                                 context: Fixture.context(Fixture.userArn, accessKeyId: "AKIAUSER"))
        #expect(sts.sessions.credential(forAccessKeyId: key) == nil)
        #expect(sts.sessions.count == 1)
        // Long-term key ids are never the store's.
        #expect(sts.sessions.credential(forAccessKeyId: "AKIAIOSFODNN7EXAMPLE") == nil)
    }

    @Test func actionTable() throws {
        let sts = STSService(directory: nil, clock: clock)
        let ctx = Fixture.context(Fixture.userArn)
        #expect(sts.authorization(operation: "GetCallerIdentity", input: .empty, context: ctx) == nil)
        #expect(sts.authorization(operation: "AssumeRoleWithWebIdentity", input: .empty, context: ctx) == nil)
        #expect(sts.acceptsUnsigned(operation: "AssumeRoleWithSAML"))
        #expect(!sts.acceptsUnsigned(operation: "AssumeRole"))
        let role = "arn:aws:iam::111111111111:role/r"
        let reqs = try #require(sts.authorization(operation: "AssumeRole", input: [
            "RoleArn": .string(role), "RoleSessionName": "s1", "ExternalId": "ext-1", "SourceIdentity": "alice",
            "Tags": [["Key": "Team", "Value": "blue"]], "TransitiveTagKeys": ["Team"],
        ], context: ctx))
        #expect(reqs.map(\.action) == ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])
        #expect(reqs.allSatisfy { $0.resources == [role] })
        let keys = reqs[0].conditionKeys
        #expect(keys["sts:externalid"] == ["ext-1"])
        #expect(keys["sts:rolesessionname"] == ["s1"])
        #expect(keys["sts:sourceidentity"] == ["alice"])
        #expect(keys["aws:requesttag/team"] == ["blue"])
        #expect(keys["aws:tagkeys"] == ["Team"])
        #expect(keys["sts:transitivetagkeys"] == ["Team"])
        let plain = try #require(sts.authorization(operation: "AssumeRole", input: ["RoleArn": .string(role), "RoleSessionName": "s2"], context: ctx))
        #expect(plain.map(\.action) == ["sts:AssumeRole"])
        // Malformed input is the handler's ValidationError, never an AccessDenied: no requirement.
        #expect(sts.authorization(operation: "AssumeRole", input: ["RoleArn": .string(role), "RoleSessionName": "s"], context: ctx) == nil)
        #expect(sts.authorization(operation: "AssumeRole", input: ["RoleArn": "arn:a:a::x:", "RoleSessionName": "s2"], context: ctx) == nil)
        let fed = try #require(sts.authorization(operation: "GetFederationToken", input: ["Name": "bob"], context: ctx))
        #expect(fed.first?.resources == ["arn:aws:sts::111111111111:federated-user/bob"])
        for (op, action) in [("GetSessionToken", "sts:GetSessionToken"), ("GetAccessKeyInfo", "sts:GetAccessKeyInfo"),
                             ("DecodeAuthorizationMessage", "sts:DecodeAuthorizationMessage")]
        {
            let r = try #require(sts.authorization(operation: op, input: .empty, context: ctx))
            #expect(r.map(\.action) == [action] && r[0].resources.isEmpty)
        }
    }
}
