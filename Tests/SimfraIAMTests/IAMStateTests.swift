import SimfraCore
import SimfraPolicy
import Testing
@testable import SimfraIAM

@Suite struct IAMStateTests {
    let iam = IAMService(records: MemoryOnlyRecords(), clock: FixedClock())

    @Test func userLifecycleAndErrors() async throws {
        let out = try await iam.call("CreateUser", ["UserName": "alice", "Path": "/team/"])
        #expect(out["User"]?["Arn"] == .string("arn:aws:iam::123456789012:user/team/alice"))
        let id = try #require(out["User"]?["UserId"]?.stringValue)
        #expect(id.hasPrefix("AIDA") && id.count == 21)
        let dup = await awsError { try await iam.call("CreateUser", ["UserName": "ALICE"]) }
        #expect(dup == AWSError(code: "EntityAlreadyExists", message: "User with name ALICE already exists.", status: 409))
        let missing = await awsError { try await iam.call("GetUser", ["UserName": "bob"]) }
        #expect(missing == AWSError(code: "NoSuchEntity", message: "The user with name bob cannot be found.", status: 404))
        try await iam.call("UpdateUser", ["UserName": "alice", "NewUserName": "alice2"])
        #expect(try await iam.call("GetUser", ["UserName": "alice2"])["User"]?["UserId"] == .string(id))
        try await iam.call("DeleteUser", ["UserName": "alice2"])
        #expect(await awsError { try await iam.call("GetUser", ["UserName": "alice2"]) }?.code == "NoSuchEntity")
    }

    @Test func listUsersPaginates() async throws {
        for n in ["d", "a", "c", "b", "e"] { try await iam.call("CreateUser", ["UserName": .string(n)]) }
        var names: [String] = []
        var marker: String?
        var pages = 0
        repeat {
            var input: Value = ["MaxItems": 2]
            if let marker { input["Marker"] = .string(marker) }
            let out = try await iam.call("ListUsers", input)
            names += out["Users"]?.listValue?.compactMap { $0["UserName"]?.stringValue } ?? []
            marker = out["Marker"]?.stringValue
            #expect(out["IsTruncated"] == .bool(marker != nil))
            pages += 1
        } while marker != nil
        #expect(names == ["a", "b", "c", "d", "e"])
        #expect(pages == 3)
    }

    @Test func accessKeysSignUntilInactiveAndAreLimited() async throws {
        try await iam.call("CreateUser", ["UserName": "k"])
        let key = try await iam.call("CreateAccessKey", ["UserName": "k"])["AccessKey"]!
        let id = try #require(key["AccessKeyId"]?.stringValue)
        let secret = try #require(key["SecretAccessKey"]?.stringValue)
        #expect(id.hasPrefix("AKIA") && id.count == 20 && secret.count == 40)
        let c = try #require(iam.credential(forAccessKeyId: id))
        #expect(c.secretAccessKey == secret && c.principalArn == "arn:aws:iam::123456789012:user/k" && c.userId.hasPrefix("AIDA"))
        try await iam.call("CreateAccessKey", ["UserName": "k"])
        let limit = await awsError { try await iam.call("CreateAccessKey", ["UserName": "k"]) }
        #expect(limit == AWSError(code: "LimitExceeded", message: "Cannot exceed quota for AccessKeysPerUser: 2", status: 409))
        try await iam.call("UpdateAccessKey", ["UserName": "k", "AccessKeyId": .string(id), "Status": "Inactive"])
        #expect(iam.credential(forAccessKeyId: id) == nil)
        let conflict = await awsError { try await iam.call("DeleteUser", ["UserName": "k"]) }
        #expect(conflict?.code == "DeleteConflict" && conflict?.message == "Cannot delete entity, must delete access keys first.")
        let last = try await iam.call("GetAccessKeyLastUsed", ["AccessKeyId": .string(id)])
        #expect(last["AccessKeyLastUsed"]?["LastUsedDate"] == .timestamp(1_700_000_000))
    }

    @Test func policyVersionsAreLimitedToFive() async throws {
        let arn = try await iam.call("CreatePolicy", ["PolicyName": "p", "PolicyDocument": .string(allowS3Get)])["Policy"]!["Arn"]!
        for _ in 2...5 { try await iam.call("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": .string(allowAll)]) }
        let e = await awsError { try await iam.call("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": .string(allowAll)]) }
        #expect(e?.code == "LimitExceeded")
        let del = await awsError { try await iam.call("DeletePolicyVersion", ["PolicyArn": arn, "VersionId": "v1"]) }
        #expect(del == AWSError(code: "DeleteConflict", message: "Cannot delete the default version of a policy.", status: 409))
        try await iam.call("SetDefaultPolicyVersion", ["PolicyArn": arn, "VersionId": "v5"])
        let versions = try await iam.call("ListPolicyVersions", ["PolicyArn": arn])["Versions"]?.listValue ?? []
        #expect(versions.map { $0["VersionId"]?.stringValue } == ["v5", "v4", "v3", "v2", "v1"])
        let bad = await awsError { try await iam.call("DeletePolicy", ["PolicyArn": arn]) }
        #expect(bad?.code == "DeleteConflict")
    }

    @Test func malformedDocumentsAreRefused() async throws {
        try await iam.call("CreateUser", ["UserName": "m"])
        let e = await awsError {
            try await iam.call("PutUserPolicy", ["UserName": "m", "PolicyName": "x", "PolicyDocument": "{not json"])
        }
        #expect(e == AWSError(code: "MalformedPolicyDocument", message: "This policy contains invalid Json", status: 400))
        let trust = await awsError {
            try await iam.call("CreateRole", ["RoleName": "r", "AssumeRolePolicyDocument": .string(allowAll)])
        }
        #expect(trust?.code == "MalformedPolicyDocument")
    }

    @Test func documentsAreReturnedPercentEncoded() async throws {
        try await iam.call("CreateUser", ["UserName": "e"])
        try await iam.call("PutUserPolicy", ["UserName": "e", "PolicyName": "x", "PolicyDocument": .string(allowS3Get)])
        let out = try await iam.call("GetUserPolicy", ["UserName": "e", "PolicyName": "x"])
        #expect(out["PolicyDocument"] == .string(PercentEncoding.encode(allowS3Get)))
        #expect(PercentEncoding.decodeIfEncoded(PercentEncoding.encode(allowS3Get)) == allowS3Get)
    }

    @Test func awsManagedPoliciesAreReadableAttachableNotDeletable() async throws {
        let arn: Value = "arn:aws:iam::aws:policy/AdministratorAccess"
        #expect(try await iam.call("GetPolicy", ["PolicyArn": arn])["Policy"]?["PolicyName"] == "AdministratorAccess")
        try await iam.call("CreateGroup", ["GroupName": "admins"])
        try await iam.call("AttachGroupPolicy", ["GroupName": "admins", "PolicyArn": arn])
        #expect(try await iam.call("GetPolicy", ["PolicyArn": arn])["Policy"]?["AttachmentCount"] == .integer(1))
        #expect(await awsError { try await iam.call("DeletePolicy", ["PolicyArn": arn]) } != nil)
        let aws = try await iam.call("ListPolicies", ["Scope": "AWS", "OnlyAttached": true])["Policies"]?.listValue ?? []
        #expect(aws.count == 1)
        let local = try await iam.call("ListPolicies", ["Scope": "Local"])["Policies"]?.listValue ?? []
        #expect(local.isEmpty)
        let missing = await awsError {
            try await iam.call("AttachGroupPolicy", ["GroupName": "admins", "PolicyArn": "arn:aws:iam::123456789012:policy/nope"])
        }
        #expect(missing?.message == "Policy arn:aws:iam::123456789012:policy/nope does not exist or is not attachable.")
    }

    @Test func instanceProfileHoldsOneRole() async throws {
        try await iam.call("CreateRole", ["RoleName": "r1", "AssumeRolePolicyDocument": .string(trustEC2)])
        try await iam.call("CreateRole", ["RoleName": "r2", "AssumeRolePolicyDocument": .string(trustEC2)])
        try await iam.call("CreateInstanceProfile", ["InstanceProfileName": "ip"])
        try await iam.call("AddRoleToInstanceProfile", ["InstanceProfileName": "ip", "RoleName": "r1"])
        let e = await awsError { try await iam.call("AddRoleToInstanceProfile", ["InstanceProfileName": "ip", "RoleName": "r2"]) }
        #expect(e?.code == "LimitExceeded")
        #expect(await awsError { try await iam.call("DeleteRole", ["RoleName": "r1"]) }?.code == "DeleteConflict")
        let roles = try await iam.call("GetInstanceProfile", ["InstanceProfileName": "ip"])["InstanceProfile"]?["Roles"]?.listValue
        #expect(roles?.count == 1)
    }

    @Test func removeAccountWipesEverything() async throws {
        let records = TestRecords()
        let svc = IAMService(records: records, clock: FixedClock())
        try await svc.call("CreateUser", ["UserName": "u"], account: "111111111111")
        let id = try await svc.call("CreateAccessKey", ["UserName": "u"], account: "111111111111")["AccessKey"]!["AccessKeyId"]!.stringValue!
        try await svc.call("CreateUser", ["UserName": "u"], account: "222222222222")
        try await svc.removeAccount("111111111111")
        #expect(svc.credential(forAccessKeyId: id) == nil)
        #expect(try records.loadAll().allSatisfy { $0.account == "222222222222" })
        #expect(await awsError { try await svc.call("GetUser", ["UserName": "u"], account: "111111111111") }?.code == "NoSuchEntity")
    }
}

@Suite struct PolicySizeTests {
    @Test func inlineAndManagedQuotasCountWithoutWhitespace() async throws {
        let iam = IAMService(records: MemoryOnlyRecords(), clock: FixedClock())
        try await iam.call("CreateUser", ["UserName": "big"])
        func doc(_ statements: Int) -> String {
            let st = (0..<statements).map { #"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-\#($0)/*"}"# }
            return #"{"Version":"2012-10-17","Statement":[\#(st.joined(separator: ",\n   "))]}"#
        }
        let small = doc(20)  // about 1.6 KB without whitespace, more with it
        #expect(PolicyDocuments.size(small) < 2048)
        try await iam.call("PutUserPolicy", ["UserName": "big", "PolicyName": "ok", "PolicyDocument": .string(small)])
        let e = await awsError {
            try await iam.call("PutUserPolicy", ["UserName": "big", "PolicyName": "no", "PolicyDocument": .string(doc(40))])
        }
        #expect(e == AWSError(code: "LimitExceeded", message: "Maximum policy size of 2048 bytes exceeded for user big", status: 409))
        let m = await awsError { try await iam.call("CreatePolicy", ["PolicyName": "huge", "PolicyDocument": .string(doc(100))]) }
        #expect(m?.message == "Cannot exceed quota for PolicySize: 6144")
    }
}
