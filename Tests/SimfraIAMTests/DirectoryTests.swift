import SimfraCore
import SimfraPolicy
import Testing
@testable import SimfraIAM

@Suite struct DirectoryTests {
    let iam = IAMService(records: MemoryOnlyRecords(), clock: FixedClock())

    func allowed(_ c: CallerIdentity, _ action: String, _ resource: String = "*") -> Bool {
        let req = AuthorizationRequest(principal: c.principal, action: action, resource: resource)
        let set = PolicySet(identityPolicies: c.identityPolicies, permissionsBoundary: c.permissionsBoundary,
                            sessionPolicies: c.sessionPolicies)
        return PolicyEvaluator.evaluate(req, set).isAllowed
    }

    func userCredential(_ name: String) async throws -> Credential {
        let id = try await iam.call("CreateAccessKey", ["UserName": .string(name)])["AccessKey"]!["AccessKeyId"]!.stringValue!
        return try #require(iam.credential(forAccessKeyId: id))
    }

    @Test func userPoliciesIncludeGroupsAndAttachedAndFollowChanges() async throws {
        try await iam.call("CreateUser", ["UserName": "dev", "Tags": [["Key": "team", "Value": "blue"]]])
        try await iam.call("CreateGroup", ["GroupName": "g"])
        try await iam.call("AddUserToGroup", ["GroupName": "g", "UserName": "dev"])
        try await iam.call("PutUserPolicy", ["UserName": "dev", "PolicyName": "s3", "PolicyDocument": .string(allowS3Get)])
        let sqs = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#
        try await iam.call("PutGroupPolicy", ["GroupName": "g", "PolicyName": "sqs", "PolicyDocument": .string(sqs)])
        let ddb = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}"#
        let arn = try await iam.call("CreatePolicy", ["PolicyName": "ddb", "PolicyDocument": .string(ddb)])["Policy"]!["Arn"]!
        try await iam.call("AttachUserPolicy", ["UserName": "dev", "PolicyArn": arn])

        let cred = try await userCredential("dev")
        var c = try #require(iam.caller(for: cred))
        #expect(c.principal.kind == .user && c.userName == "dev" && c.principalTags == ["team": "blue"])
        #expect(c.identityPolicies.count == 3)
        #expect(allowed(c, "s3:GetObject") && allowed(c, "sqs:SendMessage") && allowed(c, "dynamodb:GetItem"))
        #expect(!allowed(c, "s3:PutObject"))

        // Removing the user from the group takes the group's policy away at once.
        try await iam.call("RemoveUserFromGroup", ["GroupName": "g", "UserName": "dev"])
        c = try #require(iam.caller(for: cred))
        #expect(!allowed(c, "sqs:SendMessage"))
        // A new default version of an attached policy applies at once.
        try await iam.call("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": .string(allowAll), "SetAsDefault": true])
        c = try #require(iam.caller(for: cred))
        #expect(allowed(c, "sqs:SendMessage"))
    }

    @Test func boundaryLimitsTheUser() async throws {
        let arn = try await iam.call("CreatePolicy", ["PolicyName": "b", "PolicyDocument": .string(allowS3Get)])["Policy"]!["Arn"]!
        try await iam.call("CreateUser", ["UserName": "lim", "PermissionsBoundary": arn])
        try await iam.call("PutUserPolicy", ["UserName": "lim", "PolicyName": "all", "PolicyDocument": .string(allowAll)])
        let c = try #require(iam.caller(for: try await userCredential("lim")))
        #expect(c.permissionsBoundary != nil)
        #expect(allowed(c, "s3:GetObject") && !allowed(c, "s3:PutObject"))
    }

    @Test func deletedUserResolvesToNil() async throws {
        try await iam.call("CreateUser", ["UserName": "gone"])
        let cred = try await userCredential("gone")
        #expect(iam.caller(for: cred) != nil)
        try await iam.call("DeleteAccessKey", ["UserName": "gone", "AccessKeyId": .string(cred.accessKeyId)])
        try await iam.call("DeleteUser", ["UserName": "gone"])
        #expect(iam.caller(for: cred) == nil)
        #expect(iam.credential(forAccessKeyId: cred.accessKeyId) == nil)
    }

    @Test func roleSessionGetsRolePoliciesTagsAndSessionPolicies() async throws {
        let role = try await iam.call("CreateRole", [
            "RoleName": "app", "Path": "/svc/", "AssumeRolePolicyDocument": .string(trustEC2), "MaxSessionDuration": 7200,
            "Tags": [["Key": "env", "Value": "prod"], ["Key": "team", "Value": "a"]],
        ])["Role"]!
        let roleArn = role["Arn"]!.stringValue!
        #expect(roleArn == "arn:aws:iam::123456789012:role/svc/app")
        try await iam.call("PutRolePolicy", ["RoleName": "app", "PolicyName": "all", "PolicyDocument": .string(allowAll)])
        let facts = try #require(iam.role(arn: roleArn))
        #expect(facts.maxSessionDuration == 7200 && facts.roleId.hasPrefix("AROA") && facts.trustPolicy.kind == .trust)
        #expect(iam.role(arn: "arn:aws:iam::123456789012:role/app") == nil)

        let session = SessionInfo(kind: .assumedRole, parentArn: roleArn, sessionName: "s", policyDocuments: [allowS3Get],
                                  tags: ["team": "b"])
        let cred = Credential(
            accessKeyId: "ASIAEXAMPLE", secretAccessKey: "x", accountId: account,
            principalArn: "arn:aws:sts::123456789012:assumed-role/app/s", userId: facts.roleId + ":s", session: session)
        let c = try #require(iam.caller(for: cred))
        #expect(c.principal.kind == .assumedRole && c.principal.parentArn == roleArn)
        #expect(c.principalTags == ["env": "prod", "team": "b"])
        #expect(c.sessionPolicies?.count == 1)
        #expect(allowed(c, "s3:GetObject") && !allowed(c, "sqs:SendMessage"))

        let plain = SessionInfo(kind: .assumedRole, parentArn: roleArn, sessionName: "s")
        var cred2 = cred
        cred2.session = plain
        #expect(iam.caller(for: cred2)?.sessionPolicies == nil)
    }

    @Test func managedPolicyLookupAndProviders() async throws {
        #expect(iam.managedPolicy(arn: "arn:aws:iam::aws:policy/AdministratorAccess") != nil)
        #expect(iam.managedPolicy(arn: "arn:aws:iam::aws:policy/Nope") == nil)
        try await iam.call("CreateOpenIDConnectProvider", [
            "Url": "https://token.example.com", "ClientIDList": ["sts.amazonaws.com"],
            "ThumbprintList": ["0123456789012345678901234567890123456789"],
        ])
        #expect(iam.hasOpenIDConnectProvider(account: account, issuer: "token.example.com"))
        #expect(iam.hasOpenIDConnectProvider(account: account, issuer: "https://token.example.com"))
        #expect(!iam.hasOpenIDConnectProvider(account: "999999999999", issuer: "token.example.com"))
        let meta = "<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"/>"
        let arn = try await iam.call("CreateSAMLProvider", ["Name": "corp", "SAMLMetadataDocument": .string(meta)])["SAMLProviderArn"]!
        #expect(iam.hasSAMLProvider(arn: arn.stringValue!))
        #expect(!iam.hasSAMLProvider(arn: "arn:aws:iam::123456789012:saml-provider/other"))
    }

    @Test func actionTableNamesTheEntityArnAndConditionKeys() async throws {
        try await iam.call("CreateUser", ["UserName": "p", "Path": "/ops/", "Tags": [["Key": "Team", "Value": "x"]]])
        let reqs = try #require(iam.authorization(
            operation: "AttachUserPolicy", input: ["UserName": "p", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"],
            context: ctx("AttachUserPolicy")))
        #expect(reqs.count == 1)
        #expect(reqs[0].action == "iam:AttachUserPolicy")
        #expect(reqs[0].resources == ["arn:aws:iam::123456789012:user/ops/p"])
        #expect(reqs[0].conditionKeys["iam:policyarn"] == ["arn:aws:iam::aws:policy/AdministratorAccess"])
        #expect(reqs[0].conditionKeys["aws:resourcetag/team"] == ["x"])
        let list = try #require(iam.authorization(operation: "ListUsers", input: .empty, context: ctx("ListUsers")))
        #expect(list[0].resources.isEmpty)
        let create = try #require(iam.authorization(
            operation: "CreateRole",
            input: ["RoleName": "r", "AssumeRolePolicyDocument": "{}", "Tags": [["Key": "k", "Value": "v"]]],
            context: ctx("CreateRole")))
        #expect(create[0].conditionKeys["aws:requesttag/k"] == ["v"] && create[0].conditionKeys["aws:tagkeys"] == ["k"])
    }

    @Test func simulateCustomPolicyAnswersWithTheEngine() async throws {
        let doc = """
            {
              "Version": "2012-10-17",
              "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
              ]
            }
            """
        let out = try await iam.call("SimulateCustomPolicy", [
            "PolicyInputList": [.string(doc)], "ActionNames": ["s3:GetObject", "s3:DeleteBucket", "sqs:SendMessage"],
        ])
        let results = out["EvaluationResults"]?.listValue ?? []
        #expect(results.map { $0["EvalDecision"]?.stringValue } == ["allowed", "explicitDeny", "implicitDeny"])
        let matched = results[1]["MatchedStatements"]?.listValue?.first
        #expect(matched?["SourcePolicyId"] == "PolicyInputList.1")
        #expect(matched?["StartPosition"]?["Line"] == .integer(5) && matched?["StartPosition"]?["Column"] == .integer(5))
        #expect(matched?["EndPosition"]?["Line"] == .integer(5))
    }

    @Test func simulatePrincipalPolicyReportsMissingContext() async throws {
        let user = try await iam.call("CreateUser", ["UserName": "sim"])["User"]!["Arn"]!
        let cond = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#
        try await iam.call("PutUserPolicy", ["UserName": "sim", "PolicyName": "c", "PolicyDocument": .string(cond)])
        var out = try await iam.call("SimulatePrincipalPolicy", ["PolicySourceArn": user, "ActionNames": ["s3:GetObject"]])
        var r = out["EvaluationResults"]?.listValue?.first
        #expect(r?["EvalDecision"] == "implicitDeny")
        #expect(r?["MissingContextValues"] == ["aws:RequestedRegion"])
        out = try await iam.call("SimulatePrincipalPolicy", [
            "PolicySourceArn": user, "ActionNames": ["s3:GetObject"],
            "ContextEntries": [["ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["eu-west-1"], "ContextKeyType": "string"]],
        ])
        r = out["EvaluationResults"]?.listValue?.first
        #expect(r?["EvalDecision"] == "allowed")
        #expect(r?["MatchedStatements"]?.listValue?.first?["SourcePolicyId"] == "c")
        #expect(r?["MatchedStatements"]?.listValue?.first?["SourcePolicyType"] == "user")
    }
}
