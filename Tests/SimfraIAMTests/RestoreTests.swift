import SimfraCore
import Testing
@testable import SimfraIAM

@Suite struct RestoreTests {
    @Test func everythingComesBackAndSecretsAreSealed() async throws {
        let records = TestRecords()
        let iam = IAMService(records: records, clock: FixedClock())
        try await iam.call("CreateUser", ["UserName": "alice", "Tags": [["Key": "k", "Value": "v"]]])
        let key = try await iam.call("CreateAccessKey", ["UserName": "alice"])["AccessKey"]!
        let id = key["AccessKeyId"]!.stringValue!
        let secret = key["SecretAccessKey"]!.stringValue!
        try await iam.call("CreateLoginProfile", ["UserName": "alice", "Password": "Sup3r-secret-pw!"])
        try await iam.call("CreateGroup", ["GroupName": "g"])
        try await iam.call("AddUserToGroup", ["GroupName": "g", "UserName": "alice"])
        let arn = try await iam.call("CreatePolicy", ["PolicyName": "p", "PolicyDocument": .string(allowS3Get)])["Policy"]!["Arn"]!
        try await iam.call("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": .string(allowAll)])
        try await iam.call("AttachGroupPolicy", ["GroupName": "g", "PolicyArn": arn])
        try await iam.call("CreateRole", ["RoleName": "r", "AssumeRolePolicyDocument": .string(trustEC2)])
        try await iam.call("CreateInstanceProfile", ["InstanceProfileName": "ip"])
        try await iam.call("AddRoleToInstanceProfile", ["InstanceProfileName": "ip", "RoleName": "r"])
        try await iam.call("CreateAccountAlias", ["AccountAlias": "my-corp"])

        let dump = records.dump
        #expect(!dump.contains(secret))
        #expect(!dump.contains("Sup3r-secret-pw!"))
        #expect(dump.contains(id))

        let back = IAMService(records: records, clock: FixedClock())
        try back.restore()
        let c = try #require(back.credential(forAccessKeyId: id))
        #expect(c.secretAccessKey == secret)
        #expect(try await back.call("GetUser", ["UserName": "alice"])["User"]?["Tags"] == [["Key": "k", "Value": "v"]])
        #expect(try await back.call("GetLoginProfile", ["UserName": "alice"])["LoginProfile"]?["UserName"] == "alice")
        let groups = try await back.call("ListGroupsForUser", ["UserName": "alice"])["Groups"]?.listValue
        #expect(groups?.count == 1)
        #expect(try await back.call("GetPolicy", ["PolicyArn": arn])["Policy"]?["AttachmentCount"] == .integer(1))
        #expect(try await back.call("ListPolicyVersions", ["PolicyArn": arn])["Versions"]?.listValue?.count == 2)
        #expect(try await back.call("GetInstanceProfile", ["InstanceProfileName": "ip"])["InstanceProfile"]?["Roles"]?.listValue?.count == 1)
        #expect(try await back.call("ListAccountAliases")["AccountAliases"] == ["my-corp"])
        #expect(back.caller(for: c)?.identityPolicies.count == 1)
    }
}
