import SimfraCore
import SimfraPolicy
import Testing

@testable import SimfraSTS

@Suite struct FederationTests {
    let clock = TestClock()
    static let issuer = "token.actions.githubusercontent.com"
    static let providerArn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    static let samlProvider = "arn:aws:iam::111111111111:saml-provider/corp"

    func oidcRole(_ dir: FakeDirectory) throws -> RoleFacts {
        try dir.addRole(name: "gha", trust: [
            "Version": "2012-10-17",
            "Statement": [[
                "Effect": "Allow", "Principal": ["Federated": .string(Self.providerArn)],
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": [
                    "StringEquals": ["\(Self.issuer):aud": "sts.amazonaws.com"],
                    "StringLike": ["\(Self.issuer):sub": "repo:acme/*"],
                ],
            ]],
        ], maxSessionDuration: 7200)
    }

    func token(sub: String = "repo:acme/app:ref:refs/heads/main", aud: String = "sts.amazonaws.com", exp: Double? = nil) -> String {
        let e = exp ?? clock.now() + 600
        return Fixture.jwt(#"{"iss":"https://\#(Self.issuer)","sub":"\#(sub)","aud":"\#(aud)","exp":\#(Int(e))}"#)
    }

    func call(_ sts: STSService, _ op: String, _ input: [String: Value]) async throws -> Value {
        try await sts.handle(operation: op, input: .object(input),
                             context: Fixture.context("anonymous", userId: "", accessKeyId: "", account: "", operation: op))
    }

    @Test func webIdentity() async throws {
        let dir = FakeDirectory(oidcProviders: ["111111111111/\(Self.issuer)"])
        let role = try oidcRole(dir)
        let sts = STSService(directory: dir, clock: clock)
        let out = try await call(sts, "AssumeRoleWithWebIdentity", [
            "RoleArn": .string(role.arn), "RoleSessionName": "gh-run", "WebIdentityToken": .string(token()),
            "DurationSeconds": 7200,
        ])
        #expect(out["SubjectFromWebIdentityToken"] == "repo:acme/app:ref:refs/heads/main")
        #expect(out["Provider"] == .string("https://\(Self.issuer)"))
        #expect(out["Audience"] == "sts.amazonaws.com")
        #expect(out["AssumedRoleUser"]?["Arn"] == "arn:aws:sts::111111111111:assumed-role/gha/gh-run")
        #expect(out["Credentials"]?["Expiration"] == .timestamp(clock.now().rounded(.down) + 7200))
        let c = try #require(sts.sessions.credential(forAccessKeyId: out["Credentials"]?["AccessKeyId"]?.stringValue ?? ""))
        #expect(c.session?.kind == .assumedRole && c.session?.parentArn == role.arn)

        // The trust policy's conditions bind.
        let wrongRepo = await awsError {
            try await call(sts, "AssumeRoleWithWebIdentity", [
                "RoleArn": .string(role.arn), "RoleSessionName": "gh-run",
                "WebIdentityToken": .string(token(sub: "repo:evil/app:ref:refs/heads/main")),
            ])
        }
        #expect(wrongRepo == AWSError(code: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithWebIdentity", status: 403))
        let wrongAud = await awsError {
            try await call(sts, "AssumeRoleWithWebIdentity", [
                "RoleArn": .string(role.arn), "RoleSessionName": "gh-run", "WebIdentityToken": .string(token(aud: "other")),
            ])
        }
        #expect(wrongAud?.code == "AccessDenied")
        let expired = await awsError {
            try await call(sts, "AssumeRoleWithWebIdentity", [
                "RoleArn": .string(role.arn), "RoleSessionName": "gh-run",
                "WebIdentityToken": .string(token(exp: clock.now() - 10)),
            ])
        }
        #expect(expired?.code == "ExpiredTokenException")
        #expect(expired?.status == 400)
        #expect(expired?.message.hasPrefix("Token expired: current date/time \(Int(clock.now())) must be before") == true)
        let garbage = await awsError {
            try await call(sts, "AssumeRoleWithWebIdentity", [
                "RoleArn": .string(role.arn), "RoleSessionName": "gh-run", "WebIdentityToken": "not-a-jwt",
            ])
        }
        #expect(garbage?.code == "InvalidIdentityToken")
        let tooLong = await awsError {
            try await call(sts, "AssumeRoleWithWebIdentity", [
                "RoleArn": .string(role.arn), "RoleSessionName": "gh-run", "WebIdentityToken": .string(token()),
                "DurationSeconds": 7201,
            ])
        }
        #expect(tooLong?.message == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    }

    @Test func webIdentityNeedsTheProvider() async throws {
        let dir = FakeDirectory()
        let role = try oidcRole(dir)
        let sts = STSService(directory: dir, clock: clock)
        let e = await awsError {
            try await call(sts, "AssumeRoleWithWebIdentity", [
                "RoleArn": .string(role.arn), "RoleSessionName": "gh-run", "WebIdentityToken": .string(token()),
            ])
        }
        #expect(e == AWSError(code: "InvalidIdentityToken",
                              message: "No OpenIDConnect provider found in your account for https://\(Self.issuer)", status: 400))
    }

    func assertion(role: String, provider: String = samlProvider, session: String = "alice@corp.example",
                   notOnOrAfter: String = "2099-01-01T00:00:00Z") -> String
    {
        let xml = """
            <samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
              <saml:Issuer>https://idp.corp.example/</saml:Issuer>
              <saml:Assertion>
                <saml:Issuer>https://idp.corp.example/</saml:Issuer>
                <saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice</saml:NameID></saml:Subject>
                <saml:Conditions NotBefore="2000-01-01T00:00:00Z" NotOnOrAfter="\(notOnOrAfter)">
                  <saml:AudienceRestriction><saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction>
                </saml:Conditions>
                <saml:AttributeStatement>
                  <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>\(provider),\(role)</saml:AttributeValue></saml:Attribute>
                  <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>\(session)</saml:AttributeValue></saml:Attribute>
                  <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml:AttributeValue>1800</saml:AttributeValue></saml:Attribute>
                </saml:AttributeStatement>
              </saml:Assertion>
            </samlp:Response>
            """
        return Base64.encode(Array(xml.utf8))
    }

    @Test func saml() async throws {
        let dir = FakeDirectory(samlProviders: [Self.samlProvider])
        let role = try dir.addRole(name: "sso", trust: [
            "Version": "2012-10-17",
            "Statement": [[
                "Effect": "Allow", "Principal": ["Federated": .string(Self.samlProvider)], "Action": "sts:AssumeRoleWithSAML",
                "Condition": ["StringEquals": ["SAML:aud": "https://signin.aws.amazon.com/saml"]],
            ]],
        ])
        let sts = STSService(directory: dir, clock: clock)
        let out = try await call(sts, "AssumeRoleWithSAML", [
            "RoleArn": .string(role.arn), "PrincipalArn": .string(Self.samlProvider),
            "SAMLAssertion": .string(assertion(role: role.arn)),
        ])
        #expect(out["Subject"] == "alice")
        #expect(out["SubjectType"] == "persistent")
        #expect(out["Issuer"] == "https://idp.corp.example/")
        #expect(out["Audience"] == "https://signin.aws.amazon.com/saml")
        #expect(out["NameQualifier"] == .string(SAMLAssertion.nameQualifier(
            issuer: "https://idp.corp.example/", account: "111111111111", providerArn: Self.samlProvider)))
        #expect(out["AssumedRoleUser"]?["Arn"] == "arn:aws:sts::111111111111:assumed-role/sso/alice@corp.example")
        // The IdP's SessionDuration applies.
        #expect(out["Credentials"]?["Expiration"] == .timestamp(clock.now().rounded(.down) + 1800))

        let other = "arn:aws:iam::111111111111:role/other"
        try dir.addRole(name: "other", trust: Fixture.trustAccount())
        let notOffered = await awsError {
            try await call(sts, "AssumeRoleWithSAML", [
                "RoleArn": .string(other), "PrincipalArn": .string(Self.samlProvider),
                "SAMLAssertion": .string(assertion(role: role.arn)),
            ])
        }
        #expect(notOffered == AWSError(code: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithSAML", status: 403))
        let expired = await awsError {
            try await call(sts, "AssumeRoleWithSAML", [
                "RoleArn": .string(role.arn), "PrincipalArn": .string(Self.samlProvider),
                "SAMLAssertion": .string(assertion(role: role.arn, notOnOrAfter: "2001-01-01T00:00:00Z")),
            ])
        }
        #expect(expired?.code == "ExpiredTokenException")
        let badName = await awsError {
            try await call(sts, "AssumeRoleWithSAML", [
                "RoleArn": .string(role.arn), "PrincipalArn": .string(Self.samlProvider),
                "SAMLAssertion": .string(assertion(role: role.arn, session: "a b")),
            ])
        }
        #expect(badName?.message == "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
        let unknownProvider = await awsError {
            try await call(sts, "AssumeRoleWithSAML", [
                "RoleArn": .string(role.arn), "PrincipalArn": "arn:aws:iam::111111111111:saml-provider/none",
                "SAMLAssertion": .string(assertion(role: role.arn, provider: "arn:aws:iam::111111111111:saml-provider/none")),
            ])
        }
        #expect(unknownProvider?.code == "InvalidIdentityToken")
    }
}
