import SimfraCore
import Testing

@testable import SimfraSecretsManager

@Suite struct FeatureTests {
    @Test func replicationCreatesReadableReadOnlyReplicas() async throws {
        let h = Harness()
        let c = try await h.call("CreateSecret", ["Name": "r", "SecretString": "v1", "ClientRequestToken": .string(Harness.token()),
                                                  "AddReplicaRegions": [["Region": "eu-west-1"]]])
        #expect(c["ReplicationStatus"] == [["Region": "eu-west-1", "KmsKeyId": "alias/aws/secretsmanager", "Status": "InSync",
                                            "StatusMessage": "Replication succeeded"]])
        let arn = try #require(c["ARN"]?.stringValue)
        let eu = TestContext.make(region: "eu-west-1")
        // Encrypted by KMS in the replica's region, under the replica's ARN.
        let euCall = h.kms.calls.withLock { $0.first { $0.operation == "GenerateDataKey" && $0.onBehalfOf.region == "eu-west-1" } }
        #expect(euCall?.input["EncryptionContext"]?["SecretARN"]?.stringValue == arn.replacingOccurrences(of: "us-east-1", with: "eu-west-1"))
        #expect(try await h.call("GetSecretValue", ["SecretId": "r"], eu)["SecretString"] == "v1")
        let d = try await h.call("DescribeSecret", ["SecretId": "r"], eu)
        #expect(d["PrimaryRegion"] == "us-east-1")
        #expect(d["ARN"]?.stringValue?.hasSuffix(String(arn.suffix(6))) == true)
        #expect(await h.error("PutSecretValue", ["SecretId": "r", "SecretString": "x", "ClientRequestToken": .string(Harness.token())], eu)?.code
            == "InvalidRequestException")

        // Changes to the primary reach the replica.
        try await h.call("PutSecretValue", ["SecretId": "r", "SecretString": "v2", "ClientRequestToken": .string(Harness.token())])
        try await h.call("TagResource", ["SecretId": "r", "Tags": [["Key": "k", "Value": "v"]]])
        #expect(try await h.call("GetSecretValue", ["SecretId": "r"], eu)["SecretString"] == "v2")
        #expect(try await h.call("DescribeSecret", ["SecretId": "r"], eu)["Tags"] == [["Key": "k", "Value": "v"]])
        #expect(await h.error("DeleteSecret", ["SecretId": "r"])?.code == "InvalidRequestException")

        // A name taken in the target region fails that replica unless overwriting is forced.
        try await h.call("CreateSecret", ["Name": "r", "SecretString": "other", "ClientRequestToken": .string(Harness.token())], TestContext.make(region: "us-west-2"))
        let rep = try await h.call("ReplicateSecretToRegions", ["SecretId": "r", "AddReplicaRegions": [["Region": "us-west-2"]]])
        let failed = rep["ReplicationStatus"]?.listValue?.first { $0["Region"] == "us-west-2" }
        #expect(failed?["Status"] == "Failed")
        try await h.call("RemoveRegionsFromReplication", ["SecretId": "r", "RemoveReplicaRegions": ["us-west-2"]])
        let forced = try await h.call("ReplicateSecretToRegions", ["SecretId": "r", "AddReplicaRegions": [["Region": "us-west-2"]],
                                                                   "ForceOverwriteReplicaSecret": true])
        #expect(forced["ReplicationStatus"]?.listValue?.allSatisfy { $0["Status"] == "InSync" } == true)

        try await h.call("StopReplicationToReplica", ["SecretId": "r"], eu)
        #expect(try await h.call("DescribeSecret", ["SecretId": "r"], eu)["PrimaryRegion"] == nil)
        try await h.call("RemoveRegionsFromReplication", ["SecretId": "r", "RemoveReplicaRegions": ["us-west-2"]])
        #expect(await h.error("DescribeSecret", ["SecretId": "r"], TestContext.make(region: "us-west-2"))?.code == "ResourceNotFoundException")
        try await h.call("DeleteSecret", ["SecretId": "r", "ForceDeleteWithoutRecovery": true])
        // The promoted replica lives on.
        #expect(try await h.call("GetSecretValue", ["SecretId": "r"], eu)["SecretString"] == "v2")
    }

    @Test func resourcePolicies() async throws {
        let h = Harness()
        try await h.call("CreateSecret", ["Name": "p"])
        let publicPolicy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
        #expect(await h.error("PutResourcePolicy", ["SecretId": "p", "ResourcePolicy": .string(publicPolicy), "BlockPublicPolicy": true])?.code
            == "PublicPolicyException")
        #expect(await h.error("PutResourcePolicy", ["SecretId": "p", "ResourcePolicy": "{not json"])?.code == "MalformedPolicyDocumentException")
        try await h.call("PutResourcePolicy", ["SecretId": "p", "ResourcePolicy": .string(publicPolicy)])
        #expect(try await h.call("GetResourcePolicy", ["SecretId": "p"])["ResourcePolicy"]?.stringValue == publicPolicy)
        let arn = try #require(try await h.call("DescribeSecret", ["SecretId": "p"])["ARN"]?.stringValue)
        #expect(h.sm.resourcePolicy(forResource: arn, context: TestContext.make())?.document == publicPolicy)
        let v = try await h.call("ValidateResourcePolicy", ["ResourcePolicy": .string(publicPolicy)])
        #expect(v["PolicyValidationPassed"] == false)
        try await h.call("DeleteResourcePolicy", ["SecretId": "p"])
        #expect(try await h.call("GetResourcePolicy", ["SecretId": "p"])["ResourcePolicy"] == nil)
    }

    @Test func actionTable() async throws {
        let h = Harness()
        try await h.call("CreateSecret", ["Name": "a", "Tags": [["Key": "env", "Value": "prod"]]])
        let arn = try #require(try await h.call("DescribeSecret", ["SecretId": "a"])["ARN"]?.stringValue)
        let ctx = TestContext.make()
        let get = try #require(h.sm.authorization(operation: "GetSecretValue", input: ["SecretId": "a", "VersionStage": "AWSCURRENT"], context: ctx))
        #expect(get[0].action == "secretsmanager:GetSecretValue")
        #expect(get[0].resources == [arn])
        #expect(get[0].conditionKeys["secretsmanager:secretid"] == [arn])
        #expect(get[0].conditionKeys["secretsmanager:resourcetag/env"] == ["prod"])
        #expect(get[0].conditionKeys["secretsmanager:versionstage"] == ["AWSCURRENT"])
        let create = try #require(h.sm.authorization(operation: "CreateSecret", input: ["Name": "n", "KmsKeyId": "k",
                                                                                         "Tags": [["Key": "t", "Value": "v"]]], context: ctx))
        #expect(create.map(\.action) == ["secretsmanager:CreateSecret", "secretsmanager:TagResource"])
        #expect(create[0].conditionKeys["secretsmanager:name"] == ["n"])
        #expect(create[0].conditionKeys["secretsmanager:kmskeyid"] == ["k"])
        #expect(create[0].conditionKeys["aws:requesttag/t"] == ["v"])
        #expect(h.sm.authorization(operation: "ListSecrets", input: [:], context: ctx)?.first?.resources == [])
        #expect(h.sm.resourceTags(forResource: arn, context: ctx) == ["env": "prod"])
        for op in h.sm.implementedOperations {
            #expect(h.sm.authorization(operation: op, input: ["SecretId": "a"], context: ctx)?.isEmpty == false)
        }
    }

    @Test func randomPasswords() async throws {
        let h = Harness()
        let p = try #require(try await h.call("GetRandomPassword", [:])["RandomPassword"]?.stringValue)
        #expect(p.count == 32)
        let q = try #require(try await h.call("GetRandomPassword", [:])["RandomPassword"]?.stringValue)
        #expect(p != q)
        let digits = try #require(try await h.call("GetRandomPassword", ["PasswordLength": 50, "ExcludeLowercase": true,
                                                                         "ExcludeUppercase": true, "ExcludePunctuation": true,
                                                                         "ExcludeCharacters": "0"])["RandomPassword"]?.stringValue)
        #expect(digits.count == 50 && digits.allSatisfy { $0.isNumber && $0 != "0" })
        let each = try #require(try await h.call("GetRandomPassword", ["PasswordLength": 4, "IncludeSpace": false])["RandomPassword"]?.stringValue)
        #expect(each.contains { $0.isLowercase } && each.contains { $0.isUppercase } && each.contains { $0.isNumber })
        #expect(await h.error("GetRandomPassword", ["PasswordLength": 3])?.code == "InvalidParameterException")
        #expect(await h.error("GetRandomPassword", ["ExcludeLowercase": true, "ExcludeUppercase": true, "ExcludeNumbers": true,
                                                    "ExcludePunctuation": true])?.code == "InvalidParameterException")
    }

    @Test func rotationIsRecorded() async throws {
        let h = Harness()
        try await h.call("CreateSecret", ["Name": "rot", "SecretString": "v", "ClientRequestToken": .string(Harness.token())])
        #expect(await h.error("RotateSecret", ["SecretId": "rot", "ClientRequestToken": .string(Harness.token())])?.message
            == "No Lambda rotation function ARN is associated with this secret.")
        #expect(await h.error("RotateSecret", ["SecretId": "rot", "ClientRequestToken": .string(Harness.token()),
                                               "RotationLambdaARN": "not-an-arn"])?.code == "AccessDeniedException")
        let lambda = "arn:aws:lambda:us-east-1:000000000000:function:rotate"
        try await h.call("RotateSecret", ["SecretId": "rot", "ClientRequestToken": .string(Harness.token()),
                                          "RotationLambdaARN": .string(lambda), "RotationRules": ["AutomaticallyAfterDays": 7]])
        let d = try await h.call("DescribeSecret", ["SecretId": "rot"])
        #expect(d["RotationEnabled"] == true)
        #expect(d["RotationLambdaARN"]?.stringValue == lambda)
        #expect(d["RotationRules"] == ["AutomaticallyAfterDays": 7])
        #expect(d["NextRotationDate"] == .timestamp(h.clock.now() + 7 * 86400))
        try await h.call("RotateSecret", ["SecretId": "rot", "ClientRequestToken": .string(Harness.token()),
                                          "RotationRules": ["ScheduleExpression": "rate(10 hours)"]])
        #expect(try await h.call("DescribeSecret", ["SecretId": "rot"])["NextRotationDate"] == .timestamp(h.clock.now() + 36000))
        try await h.call("CancelRotateSecret", ["SecretId": "rot"])
        let c = try await h.call("DescribeSecret", ["SecretId": "rot"])
        #expect(c["RotationEnabled"] == false)
        #expect(c["NextRotationDate"] == nil)
    }

    @Test func removeAccountDeletesEverySecretOfTheAccount() async throws {
        let h = Harness()
        try await h.call("CreateSecret", ["Name": "a"], TestContext.make(account: "111111111111"))
        try await h.call("CreateSecret", ["Name": "a"], TestContext.make(account: "111111111111", region: "eu-west-1"))
        try await h.call("CreateSecret", ["Name": "a"], TestContext.make(account: "222222222222"))
        try await h.sm.removeAccount("111111111111")
        #expect(h.records.count == 1)
        #expect(await h.error("DescribeSecret", ["SecretId": "a"], TestContext.make(account: "111111111111"))?.code == "ResourceNotFoundException")
        #expect(try await h.call("DescribeSecret", ["SecretId": "a"], TestContext.make(account: "222222222222"))["Name"] == "a")
    }
}
