import Foundation
import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraSecretsManager

@Suite struct SecretLifecycleTests {
    @Test func createGetDescribeRoundTripThroughKMS() async throws {
        let h = Harness()
        let t = Harness.token()
        let created = try await h.call("CreateSecret", ["Name": "db/password", "SecretString": "hunter2", "ClientRequestToken": .string(t),
                                                       "Description": "d"])
        let arn = try #require(created["ARN"]?.stringValue)
        #expect(arn.hasPrefix("arn:aws:secretsmanager:us-east-1:000000000000:secret:db/password-"))
        #expect(arn.count == "arn:aws:secretsmanager:us-east-1:000000000000:secret:db/password-".count + 6)
        #expect(created["VersionId"]?.stringValue == t)

        // The data key came from KMS with AWS's encryption context, under the managed key.
        let gen = try #require(h.kms.calls.withLock { $0.first { $0.operation == "GenerateDataKey" } })
        #expect(gen.input["KeyId"]?.stringValue == "alias/aws/secretsmanager")
        #expect(gen.input["EncryptionContext"] == ["SecretARN": .string(arn), "SecretVersionId": .string(t)])
        #expect(gen.via == "secretsmanager.amazonaws.com")

        for id in ["db/password", arn, "arn:aws:secretsmanager:us-east-1:000000000000:secret:db/password"] {
            let v = try await h.call("GetSecretValue", ["SecretId": .string(id)])
            #expect(v["SecretString"]?.stringValue == "hunter2")
            #expect(v["VersionStages"] == ["AWSCURRENT"])
        }
        let d = try await h.call("DescribeSecret", ["SecretId": "db/password"])
        #expect(d["Description"]?.stringValue == "d")
        #expect(d["KmsKeyId"] == nil)
        #expect(d["VersionIdsToStages"] == .object([t: ["AWSCURRENT"]]))
        #expect(d["LastAccessedDate"] == .timestamp(SecretsManagerService.day(h.clock.now())))
        #expect(d["Tags"] == nil)
        #expect(d["RotationEnabled"] == nil)
    }

    @Test func plaintextNeverReachesRecordsAndRestoreReadsBack() async throws {
        let records = InMemoryRecords()
        let h = Harness(records: records)
        try await h.call("CreateSecret", ["Name": "s", "SecretString": "TOPSECRETVALUE", "ClientRequestToken": .string(Harness.token())])
        try await h.call("PutSecretValue", ["SecretId": "s", "SecretBinary": .blob(Array("BINARYSECRET".utf8)),
                                            "ClientRequestToken": .string(Harness.token())])
        let bytes = String(decoding: records.allBytes, as: UTF8.self)
        #expect(!bytes.contains("TOPSECRETVALUE"))
        #expect(!bytes.contains("BINARYSECRET"))

        let again = SecretsManagerService(records: records, clock: h.clock)
        again.invoker.connect(h.kms)
        try again.restore()
        let v = try await again.handle(operation: "GetSecretValue", input: ["SecretId": "s"], context: TestContext.make())
        #expect(v["SecretBinary"] == .blob(Array("BINARYSECRET".utf8)))
        let p = try await again.handle(operation: "GetSecretValue", input: ["SecretId": "s", "VersionStage": "AWSPREVIOUS"],
                                       context: TestContext.make())
        #expect(p["SecretString"]?.stringValue == "TOPSECRETVALUE")
    }

    @Test func aScheduledDeletionSurvivesARestartAndHappensOnTime() async throws {
        let records = InMemoryRecords()
        let h = Harness(records: records)
        try await h.call("CreateSecret", ["Name": "s", "SecretString": "v", "ClientRequestToken": .string(Harness.token()),
                                          "Tags": [["Key": "k", "Value": "v"]]])
        try await h.call("DeleteSecret", ["SecretId": "s", "RecoveryWindowInDays": 7])
        let again = Harness(records: records, clock: h.clock)
        try again.sm.restore()
        #expect(await again.error("GetSecretValue", ["SecretId": "s"])?.code == "InvalidRequestException")
        let d = try await again.call("DescribeSecret", ["SecretId": "s"])
        #expect(d["Tags"] == [["Key": "k", "Value": "v"]])
        h.clock.advance(7 * 86400)
        #expect(await again.error("DescribeSecret", ["SecretId": "s"])?.code == "ResourceNotFoundException")
        #expect(records.count == 0)
    }

    @Test func kmsFailuresMapToSecretsManagerErrors() async throws {
        let h = Harness()
        try await h.call("CreateSecret", ["Name": "k", "SecretString": "v", "KmsKeyId": "alias/mine", "ClientRequestToken": .string(Harness.token())])
        let d = try await h.call("DescribeSecret", ["SecretId": "k"])
        #expect(d["KmsKeyId"]?.stringValue == "alias/mine")

        let user = TestContext.make(principal: "arn:aws:iam::000000000000:user/nokms")
        h.kms.deniedPrincipals.withLock { _ = $0.insert(user.principalArn) }
        let denied = await h.error("GetSecretValue", ["SecretId": "k"], user)
        #expect(denied?.code == "AccessDeniedException")
        #expect(denied?.message == "Access to KMS is not allowed")

        h.kms.disabled.withLock { _ = $0.insert("alias/mine") }
        #expect(await h.error("GetSecretValue", ["SecretId": "k"])?.code == "DecryptionFailure")
        let enc = await h.error("PutSecretValue", ["SecretId": "k", "SecretString": "x", "ClientRequestToken": .string(Harness.token())])
        #expect(enc?.code == "EncryptionFailure")
        let missing = await h.error("CreateSecret", ["Name": "m", "SecretString": "v", "KmsKeyId": "missing",
                                                     "ClientRequestToken": .string(Harness.token())])
        #expect(missing?.code == "EncryptionFailure")
        // Nothing was created by the failed call.
        #expect(await h.error("DescribeSecret", ["SecretId": "m"])?.code == "ResourceNotFoundException")
    }

    @Test func clientRequestTokenIdempotency() async throws {
        let h = Harness()
        let t = Harness.token()
        let first = try await h.call("CreateSecret", ["Name": "i", "SecretString": "v1", "ClientRequestToken": .string(t)])
        let retry = try await h.call("CreateSecret", ["Name": "i", "SecretString": "v1", "ClientRequestToken": .string(t)])
        #expect(first["ARN"] == retry["ARN"])
        #expect(await h.error("CreateSecret", ["Name": "i", "SecretString": "v2", "ClientRequestToken": .string(t)])?.code
            == "ResourceExistsException")
        let other = await h.error("CreateSecret", ["Name": "i", "SecretString": "v1", "ClientRequestToken": .string(Harness.token())])
        #expect(other == AWSError(code: "ResourceExistsException", message: "The operation failed because the secret i already exists."))

        let t2 = Harness.token()
        try await h.call("PutSecretValue", ["SecretId": "i", "SecretString": "v2", "ClientRequestToken": .string(t2)])
        let same = try await h.call("PutSecretValue", ["SecretId": "i", "SecretString": "v2", "ClientRequestToken": .string(t2)])
        #expect(same["VersionStages"] == ["AWSCURRENT"])
        #expect(await h.error("PutSecretValue", ["SecretId": "i", "SecretString": "v3", "ClientRequestToken": .string(t2)])?.code
            == "ResourceExistsException")
        let list = try await h.call("ListSecretVersionIds", ["SecretId": "i"])
        #expect(list["Versions"]?.listValue?.count == 2)

        #expect(await h.error("CreateSecret", ["Name": "x", "SecretString": "v"])?.message
            == "You must provide a ClientRequestToken value. We recommend a UUID-type value.")
        #expect(await h.error("CreateSecret", ["Name": "x", "SecretString": "v", "SecretBinary": .blob([1]),
                                               "ClientRequestToken": .string(t)])?.code == "InvalidParameterException")
    }

    @Test func namesAndLookupErrors() async throws {
        let h = Harness()
        #expect(await h.error("CreateSecret", ["Name": "bad name"])?.code == "ValidationException")
        #expect(await h.error("GetSecretValue", ["SecretId": "bad*name"])?.code == "ValidationException")
        #expect(await h.error("GetSecretValue", ["SecretId": "nope"])
            == AWSError(code: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret."))
        // An empty secret has no AWSCURRENT value.
        let c = try await h.call("CreateSecret", ["Name": "empty"])
        #expect(c["VersionId"] == nil)
        #expect(await h.error("GetSecretValue", ["SecretId": "empty"])?.message
            == "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")
        let d = try await h.call("DescribeSecret", ["SecretId": "empty"])
        #expect(d["VersionIdsToStages"] == nil)
        // Another region does not see it, by name or by ARN.
        let arn = try #require(d["ARN"]?.stringValue)
        #expect(await h.error("DescribeSecret", ["SecretId": .string(arn)], TestContext.make(region: "eu-west-1"))?.code
            == "ResourceNotFoundException")
        #expect(await h.error("DescribeSecret", ["SecretId": "empty"], TestContext.make(region: "eu-west-1"))?.code
            == "ResourceNotFoundException")
    }

    @Test func deleteRestoreAndScheduledPurge() async throws {
        let h = Harness()
        try await h.call("CreateSecret", ["Name": "d", "SecretString": "v", "ClientRequestToken": .string(Harness.token())])
        #expect(await h.error("DeleteSecret", ["SecretId": "d", "RecoveryWindowInDays": 6])?.code == "InvalidParameterException")
        #expect(await h.error("DeleteSecret", ["SecretId": "d", "RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": true])?.code
            == "InvalidParameterException")
        let del = try await h.call("DeleteSecret", ["SecretId": "d", "RecoveryWindowInDays": 7])
        #expect(del["DeletionDate"] == .timestamp(h.clock.now() + 7 * 86400))
        let marked = "You can't perform this operation on the secret because it was marked for deletion."
        #expect(await h.error("GetSecretValue", ["SecretId": "d"])?.message == marked)
        #expect(await h.error("TagResource", ["SecretId": "d", "Tags": [["Key": "a", "Value": "b"]]])?.message == marked)
        #expect(await h.error("DeleteSecret", ["SecretId": "d"])?.message == marked)
        #expect(await h.error("CreateSecret", ["Name": "d"])?.message
            == "You can't create this secret because a secret with this name is already scheduled for deletion.")
        let described = try await h.call("DescribeSecret", ["SecretId": "d"])
        #expect(described["DeletedDate"] != nil)
        let listed = try await h.call("ListSecrets", [:])
        #expect(listed["SecretList"]?.listValue?.isEmpty == true)
        let planned = try await h.call("ListSecrets", ["IncludePlannedDeletion": true])
        #expect(planned["SecretList"]?.listValue?.count == 1)

        try await h.call("RestoreSecret", ["SecretId": "d"])
        #expect(try await h.call("GetSecretValue", ["SecretId": "d"])["SecretString"] == "v")

        try await h.call("DeleteSecret", ["SecretId": "d"])
        h.clock.advance(30 * 86400 + 1)
        #expect(await h.error("DescribeSecret", ["SecretId": "d"])?.code == "ResourceNotFoundException")
        #expect(h.records.count == 0)
        // The name is free again, with a new ARN.
        try await h.call("CreateSecret", ["Name": "d"])

        try await h.call("DeleteSecret", ["SecretId": "d"])
        let forced = try await h.call("DeleteSecret", ["SecretId": "d", "ForceDeleteWithoutRecovery": true])
        #expect(forced["DeletionDate"] == .timestamp(h.clock.now()))
        #expect(await h.error("DescribeSecret", ["SecretId": "d"])?.code == "ResourceNotFoundException")
    }

    @Test func updateSecretDescriptionAndValue() async throws {
        let h = Harness()
        let t1 = Harness.token()
        try await h.call("CreateSecret", ["Name": "u", "SecretString": "a", "ClientRequestToken": .string(t1)])
        let r0 = try await h.call("UpdateSecret", ["SecretId": "u", "Description": "MyDescription"])
        #expect(r0["VersionId"] == nil)
        let t2 = Harness.token()
        let r1 = try await h.call("UpdateSecret", ["SecretId": "u", "SecretString": "b", "ClientRequestToken": .string(t2),
                                                   "KmsKeyId": "alias/other"])
        #expect(r1["VersionId"]?.stringValue == t2)
        let d = try await h.call("DescribeSecret", ["SecretId": "u"])
        #expect(d["Description"] == "MyDescription")
        #expect(d["KmsKeyId"] == "alias/other")
        #expect(d["VersionIdsToStages"] == .object([t1: ["AWSPREVIOUS"], t2: ["AWSCURRENT"]]))
        // The version in use (AWSPREVIOUS) was re-encrypted under the new key, and still reads.
        let versions = try await h.call("ListSecretVersionIds", ["SecretId": "u"])
        let keys = versions["Versions"]?.listValue?.map { $0["KmsKeyIds"] }
        #expect(keys == [["alias/other"], ["alias/other"]])
        #expect(try await h.call("GetSecretValue", ["SecretId": "u", "VersionStage": "AWSPREVIOUS"])["SecretString"] == "a")
        // The first value put into an empty secret is AWSCURRENT whatever the stages asked.
        try await h.call("CreateSecret", ["Name": "e"])
        let first = try await h.call("PutSecretValue", ["SecretId": "e", "SecretString": "x", "ClientRequestToken": .string(Harness.token()),
                                                        "VersionStages": ["custom"]])
        #expect(first["VersionStages"] == ["AWSCURRENT", "custom"])
    }

    @Test func tagsAndListFilters() async throws {
        let h = Harness()
        try await h.call("CreateSecret", ["Name": "app/one", "Description": "first app", "Tags": [["Key": "team", "Value": "blue"]]])
        h.clock.advance(1)
        try await h.call("CreateSecret", ["Name": "app/two"])
        h.clock.advance(1)
        try await h.call("CreateSecret", ["Name": "other"])
        h.clock.advance(1)
        try await h.call("TagResource", ["SecretId": "app/two", "Tags": [["Key": "team", "Value": "red"], ["Key": "x", "Value": "y"]]])
        try await h.call("UntagResource", ["SecretId": "app/two", "TagKeys": ["x"]])
        let d = try await h.call("DescribeSecret", ["SecretId": "app/two"])
        #expect(d["Tags"] == [["Key": "team", "Value": "red"]])

        func names(_ input: Value) async throws -> [String] {
            try await h.call("ListSecrets", input)["SecretList"]?.listValue?.compactMap { $0["Name"]?.stringValue } ?? []
        }
        #expect(try await names([:]) == ["app/one", "app/two", "other"])
        #expect(try await names(["SortOrder": "desc"]) == ["other", "app/two", "app/one"])
        #expect(try await names(["SortBy": "name", "SortOrder": "desc"]) == ["other", "app/two", "app/one"])
        #expect(try await names(["SortBy": "last-changed-date"]) == ["app/one", "other", "app/two"])
        #expect(try await names(["Filters": [["Key": "name", "Values": ["app/"]]]]) == ["app/one", "app/two"])
        #expect(try await names(["Filters": [["Key": "name", "Values": ["!app/"]]]]) == ["other"])
        #expect(try await names(["Filters": [["Key": "tag-value", "Values": ["red"]]]]) == ["app/two"])
        #expect(try await names(["Filters": [["Key": "tag-key", "Values": ["team"]], ["Key": "description", "Values": ["FIRST"]]]]) == ["app/one"])
        #expect(try await names(["Filters": [["Key": "all", "Values": ["blue"]]]]) == ["app/one"])

        let p1 = try await h.call("ListSecrets", ["MaxResults": 2])
        #expect(p1["SecretList"]?.listValue?.count == 2)
        let tok = try #require(p1["NextToken"]?.stringValue)
        let p2 = try await h.call("ListSecrets", ["MaxResults": 2, "NextToken": .string(tok)])
        #expect(p2["SecretList"]?.listValue?.count == 1)
        #expect(p2["NextToken"] == nil)
        #expect(await h.error("ListSecrets", ["NextToken": "garbage"])?.code == "InvalidNextTokenException")
    }

    @Test func batchGetReportsPerSecretErrors() async throws {
        let h = Harness()
        try await h.call("CreateSecret", ["Name": "b1", "SecretString": "one", "ClientRequestToken": .string(Harness.token())])
        try await h.call("CreateSecret", ["Name": "b2", "SecretString": "two", "ClientRequestToken": .string(Harness.token())])
        h.kms.deniedSecrets.withLock { _ = $0.insert("b2") }
        let r = try await h.call("BatchGetSecretValue", ["SecretIdList": ["b1", "b2", "b3"]])
        #expect(r["SecretValues"]?.listValue?.map { $0["SecretString"] } == ["one"])
        #expect(r["Errors"]?.listValue?.map { $0["ErrorCode"] } == ["AccessDeniedException", "ResourceNotFoundException"])
        let f = try await h.call("BatchGetSecretValue", ["Filters": [["Key": "name", "Values": ["b"]]]])
        // Filters name the secrets by ARN: both are readable that way.
        #expect(f["SecretValues"]?.listValue?.count == 2)
        #expect(await h.error("BatchGetSecretValue", [:])?.code == "InvalidParameterException")
    }
}
