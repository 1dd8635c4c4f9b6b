import Foundation
import SimfraCore
import SimfraTestSupport
import SimfraPolicy
import SimfraProtocols
import Testing
@testable import SimfraKMS

@Suite struct KMSServiceTests {
    let clock = ManualClock()
    let ctx = context()

    func service(_ records: any DurableRecords = MemoryOnlyRecords()) -> KMSService {
        KMSService(records: records, clock: clock, sweepInterval: nil)
    }

    func createKey(_ s: KMSService, _ input: Value = [:]) async throws -> (id: String, arn: String) {
        let out = try await s.handle(operation: "CreateKey", input: input, context: ctx)
        return (out["KeyMetadata"]!["KeyId"]!.stringValue!, out["KeyMetadata"]!["Arn"]!.stringValue!)
    }

    @Test func describeKeyShowsAWSMetadata() async throws {
        let s = service()
        let (id, arn) = try await createKey(s, ["Description": "test key 123"])
        let m = try await s.handle(operation: "DescribeKey", input: ["KeyId": .string(arn)], context: ctx)["KeyMetadata"]!
        #expect(m["KeyId"] == .string(id))
        #expect(m["Arn"] == .string("arn:aws:kms:us-east-1:111111111111:key/\(id)"))
        #expect(m["AWSAccountId"] == "111111111111")
        #expect(m["KeyState"] == "Enabled")
        #expect(m["Enabled"] == true)
        #expect(m["KeyUsage"] == "ENCRYPT_DECRYPT")
        #expect(m["KeySpec"] == "SYMMETRIC_DEFAULT")
        #expect(m["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT")
        #expect(m["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"])
        #expect(m["KeyManager"] == "CUSTOMER")
        #expect(m["Origin"] == "AWS_KMS")
        #expect(m["MultiRegion"] == false)
        #expect(m["Description"] == "test key 123")
        #expect(m["CurrentKeyMaterialId"]?.stringValue?.count == 64)
    }

    @Test func keyIdErrorsUseAWSWording() async throws {
        let s = service()
        let e1 = await expectError("NotFoundException") { try await s.handle(operation: "DescribeKey", input: ["KeyId": "fake-key-id"], context: ctx) }
        #expect(e1?.message == "Invalid keyId 'fake-key-id'")
        let missing = "134f2428-cec1-4b25-a1ae-9048164dba47"
        let e2 = await expectError("NotFoundException") { try await s.handle(operation: "DescribeKey", input: ["KeyId": .string(missing)], context: ctx) }
        #expect(e2?.message == "Key 'arn:aws:kms:us-east-1:111111111111:key/\(missing)' does not exist")
        let e3 = await expectError("NotFoundException") {
            try await s.handle(operation: "DescribeKey", input: ["KeyId": .string("arn:aws:kms:eu-west-1:111111111111:key/\(missing)")], context: ctx)
        }
        #expect(e3?.message == "Invalid arn eu-west-1")
        let e4 = await expectError("NotFoundException") { try await s.handle(operation: "DescribeKey", input: ["KeyId": "alias/nope"], context: ctx) }
        #expect(e4?.message == "Alias arn:aws:kms:us-east-1:111111111111:alias/nope is not found.")
    }

    @Test func encryptDecryptWithContextAndWrongKey() async throws {
        let s = service()
        let (_, arn) = try await createKey(s)
        let (other, _) = try await createKey(s)
        let enc = try await s.handle(operation: "Encrypt", input: [
            "KeyId": .string(arn), "Plaintext": .blob(Array("plain".utf8)), "EncryptionContext": ["k": "v"],
        ], context: ctx)
        #expect(enc["KeyId"] == .string(arn))
        let blob = enc["CiphertextBlob"]!
        let dec = try await s.handle(operation: "Decrypt", input: ["CiphertextBlob": blob, "EncryptionContext": ["k": "v"]], context: ctx)
        #expect(dec["Plaintext"] == .blob(Array("plain".utf8)))
        #expect(dec["KeyId"] == .string(arn))
        #expect(dec["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT")
        _ = await expectError("InvalidCiphertextException") { try await s.handle(operation: "Decrypt", input: ["CiphertextBlob": blob], context: ctx) }
        _ = await expectError("IncorrectKeyException") {
            try await s.handle(operation: "Decrypt", input: ["CiphertextBlob": blob, "KeyId": .string(other), "EncryptionContext": ["k": "v"]], context: ctx)
        }
        _ = await expectError("InvalidCiphertextException") { try await s.handle(operation: "Decrypt", input: ["CiphertextBlob": .blob([1, 2, 3])], context: ctx) }
    }

    @Test func disabledAndPendingDeletionStates() async throws {
        let s = service()
        let (id, arn) = try await createKey(s)
        _ = try await s.handle(operation: "DisableKey", input: ["KeyId": .string(id)], context: ctx)
        let e = await expectError("DisabledException") {
            try await s.handle(operation: "Encrypt", input: ["KeyId": .string(id), "Plaintext": .blob([1])], context: ctx)
        }
        #expect(e?.message == "\(arn) is disabled.")
        _ = try await s.handle(operation: "EnableKey", input: ["KeyId": .string(id)], context: ctx)
        let blob = try await s.handle(operation: "Encrypt", input: ["KeyId": .string(id), "Plaintext": .blob([1])], context: ctx)["CiphertextBlob"]!

        _ = await expectError("ValidationException") {
            try await s.handle(operation: "ScheduleKeyDeletion", input: ["KeyId": .string(id), "PendingWindowInDays": 6], context: ctx)
        }
        let sched = try await s.handle(operation: "ScheduleKeyDeletion", input: ["KeyId": .string(id), "PendingWindowInDays": 7], context: ctx)
        #expect(sched["KeyState"] == "PendingDeletion")
        #expect(sched["DeletionDate"] == .timestamp(clock.now() + 7 * 86400))
        let e2 = await expectError("KMSInvalidStateException") { try await s.handle(operation: "Decrypt", input: ["CiphertextBlob": blob], context: ctx) }
        #expect(e2?.message == "\(arn) is pending deletion.")
        let m = try await s.handle(operation: "DescribeKey", input: ["KeyId": .string(id)], context: ctx)["KeyMetadata"]!
        #expect(m["KeyState"] == "PendingDeletion")
        #expect(m["PendingDeletionWindowInDays"] == 7)

        _ = try await s.handle(operation: "CancelKeyDeletion", input: ["KeyId": .string(id)], context: ctx)
        let m2 = try await s.handle(operation: "DescribeKey", input: ["KeyId": .string(id)], context: ctx)["KeyMetadata"]!
        #expect(m2["KeyState"] == "Disabled")
        #expect(m2["DeletionDate"] == nil)

        _ = try await s.handle(operation: "ScheduleKeyDeletion", input: ["KeyId": .string(id), "PendingWindowInDays": 7], context: ctx)
        clock.advance(7 * 86400 - 1)
        _ = try await s.handle(operation: "DescribeKey", input: ["KeyId": .string(id)], context: ctx)
        clock.advance(2)
        _ = await expectError("NotFoundException") { try await s.handle(operation: "DescribeKey", input: ["KeyId": .string(id)], context: ctx) }
        let keys = try await s.handle(operation: "ListKeys", input: [:], context: ctx)["Keys"]!.listValue!
        #expect(keys.isEmpty)
    }

    @Test func aliasesResolveAndAWSManagedKeysAppearOnFirstUse() async throws {
        let s = service()
        let (id, _) = try await createKey(s)
        _ = try await s.handle(operation: "CreateAlias", input: ["AliasName": "alias/app", "TargetKeyId": .string(id)], context: ctx)
        _ = await expectError("AlreadyExistsException") {
            try await s.handle(operation: "CreateAlias", input: ["AliasName": "alias/app", "TargetKeyId": .string(id)], context: ctx)
        }
        _ = await expectError("ValidationException") {
            try await s.handle(operation: "CreateAlias", input: ["AliasName": "app", "TargetKeyId": .string(id)], context: ctx)
        }
        _ = await expectError("NotAuthorizedException") {
            try await s.handle(operation: "CreateAlias", input: ["AliasName": "alias/aws/mine", "TargetKeyId": .string(id)], context: ctx)
        }
        for name in ["alias/app", "arn:aws:kms:us-east-1:111111111111:alias/app"] {
            let m = try await s.handle(operation: "DescribeKey", input: ["KeyId": .string(name)], context: ctx)["KeyMetadata"]!
            #expect(m["KeyId"] == .string(id))
        }
        let managed = try await s.handle(operation: "DescribeKey", input: ["KeyId": "alias/aws/s3"], context: ctx)["KeyMetadata"]!
        #expect(managed["KeyManager"] == "AWS")
        #expect(managed["Description"] == "Default key that protects my S3 objects when no other key is defined")
        let again = try await s.handle(operation: "DescribeKey", input: ["KeyId": "alias/aws/s3"], context: ctx)["KeyMetadata"]!
        #expect(again["KeyId"] == managed["KeyId"])
        let policy = try await s.handle(operation: "GetKeyPolicy", input: ["KeyId": "alias/aws/s3"], context: ctx)["Policy"]!.stringValue!
        #expect(policy.contains("s3.us-east-1.amazonaws.com"))
        #expect(policy.contains("kms:CallerAccount"))
        _ = await expectError("NotFoundException") { try await s.handle(operation: "DescribeKey", input: ["KeyId": "alias/aws/unknown"], context: ctx) }
        let aliases = try await s.handle(operation: "ListAliases", input: ["KeyId": .string(id)], context: ctx)["Aliases"]!.listValue!
        #expect(aliases.map { $0["AliasName"] } == ["alias/app"])
    }

    @Test func dataKeysAndRandom() async throws {
        let s = service()
        let (id, _) = try await createKey(s)
        let dk = try await s.handle(operation: "GenerateDataKey", input: ["KeyId": .string(id), "KeySpec": "AES_128"], context: ctx)
        guard case .blob(let plain)? = dk["Plaintext"] else { Issue.record("no plaintext"); return }
        #expect(plain.count == 16)
        let dec = try await s.handle(operation: "Decrypt", input: ["CiphertextBlob": dk["CiphertextBlob"]!], context: ctx)
        #expect(dec["Plaintext"] == .blob(plain))
        let wp = try await s.handle(operation: "GenerateDataKeyWithoutPlaintext", input: ["KeyId": .string(id), "NumberOfBytes": 64], context: ctx)
        #expect(wp["Plaintext"] == nil)
        _ = await expectError("ValidationException") { try await s.handle(operation: "GenerateDataKey", input: ["KeyId": .string(id)], context: ctx) }
        let r = try await s.handle(operation: "GenerateRandom", input: ["NumberOfBytes": 12], context: ctx)
        #expect(r["Plaintext"].map { if case .blob(let b) = $0 { return b.count } else { return 0 } } == 12)
        let e = await expectError("ValidationException") { try await s.handle(operation: "GenerateRandom", input: [:], context: ctx) }
        #expect(e?.message == "NumberOfBytes is required.")
    }

    @Test func reEncryptMovesBetweenKeys() async throws {
        let s = service()
        let (a, aArn) = try await createKey(s)
        let (b, bArn) = try await createKey(s)
        let blob = try await s.handle(operation: "Encrypt", input: ["KeyId": .string(a), "Plaintext": .blob([9, 9])], context: ctx)["CiphertextBlob"]!
        let re = try await s.handle(operation: "ReEncrypt", input: [
            "CiphertextBlob": blob, "DestinationKeyId": .string(b), "DestinationEncryptionContext": ["x": "y"],
        ], context: ctx)
        #expect(re["SourceKeyId"] == .string(aArn))
        #expect(re["KeyId"] == .string(bArn))
        let dec = try await s.handle(operation: "Decrypt", input: ["CiphertextBlob": re["CiphertextBlob"]!, "EncryptionContext": ["x": "y"]], context: ctx)
        #expect(dec["Plaintext"] == .blob([9, 9]))
        #expect(dec["KeyId"] == .string(bArn))
    }

    @Test func tagsAndPolicies() async throws {
        let s = service()
        let (id, arn) = try await createKey(s, ["Tags": [["TagKey": "team", "TagValue": "a"]]])
        _ = try await s.handle(operation: "TagResource", input: ["KeyId": .string(id), "Tags": [["TagKey": "env", "TagValue": "dev"]]], context: ctx)
        let tags = try await s.handle(operation: "ListResourceTags", input: ["KeyId": .string(id)], context: ctx)["Tags"]!
        #expect(tags == [["TagKey": "env", "TagValue": "dev"], ["TagKey": "team", "TagValue": "a"]])
        let e = await expectError("TagException") {
            try await s.handle(operation: "TagResource", input: ["KeyId": .string(id), "Tags": [["TagKey": "aws:x", "TagValue": "1"]]], context: ctx)
        }
        #expect(e?.message == "Tags beginning with aws: are reserved")
        _ = try await s.handle(operation: "UntagResource", input: ["KeyId": .string(id), "TagKeys": ["team"]], context: ctx)
        #expect(s.resourceTags(forResource: arn, context: ctx) == ["env": "dev"])

        let policy = try await s.handle(operation: "GetKeyPolicy", input: ["KeyId": .string(id)], context: ctx)["Policy"]!.stringValue!
        #expect(policy.contains("Enable IAM User Permissions"))
        #expect(policy.contains("arn:aws:iam::111111111111:root"))
        let doc = try #require(s.resourcePolicy(forResource: arn, context: ctx))
        #expect(doc.mustAllow)
        #expect(doc.ownerAccount == "111111111111")
        _ = await expectError("MalformedPolicyDocumentException") {
            try await s.handle(operation: "PutKeyPolicy", input: ["KeyId": .string(id), "Policy": "{not json"], context: ctx)
        }
        let custom = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"kms:*","Resource":"*"}]}"#
        // The lockout safety check: the root would lose the right to change the policy.
        let lockout = await expectError("MalformedPolicyDocumentException") {
            try await s.handle(operation: "PutKeyPolicy", input: ["KeyId": .string(id), "Policy": .string(custom)], context: ctx)
        }
        #expect(lockout?.message == "The new key policy will not allow you to update the key policy in the future.")
        // Alice herself may set it: she keeps the right.
        _ = try await s.handle(operation: "PutKeyPolicy", input: ["KeyId": .string(id), "Policy": .string(custom)],
                               context: context(principal: "arn:aws:iam::111111111111:user/alice"))
        #expect(s.resourcePolicy(forResource: arn, context: ctx)?.document == custom)
        _ = try await s.handle(operation: "PutKeyPolicy", input: [
            "KeyId": .string(id), "Policy": .string(custom), "BypassPolicyLockoutSafetyCheck": true,
        ], context: ctx)
        #expect(s.resourcePolicy(forResource: arn, context: ctx)?.document == custom)
    }

    @Test func grantsBecomeAllowStatementsAndCanBeRetired() async throws {
        let s = service()
        let (id, arn) = try await createKey(s)
        let g = try await s.handle(operation: "CreateGrant", input: [
            "KeyId": .string(id), "GranteePrincipal": "arn:aws:iam::111111111111:role/app",
            "RetiringPrincipal": "arn:aws:iam::111111111111:user/ops", "Operations": ["Encrypt", "Decrypt"],
            "Constraints": ["EncryptionContextSubset": ["tenant": "t1"]],
        ], context: ctx)
        let grantId = g["GrantId"]!.stringValue!
        let doc = try #require(s.resourcePolicy(forResource: arn, context: ctx))
        #expect(doc.additionalDocuments.count == 1)
        let parsed = try JSONReader.parse(Array(doc.additionalDocuments[0].utf8))
        let policy = try Policy(parsing: parsed, kind: .resource)
        #expect(policy.statements.count == 1)
        #expect(doc.additionalDocuments[0].contains("kms:EncryptionContext:tenant"))

        let list = try await s.handle(operation: "ListGrants", input: ["KeyId": .string(id)], context: ctx)["Grants"]!.listValue!
        #expect(list.count == 1)
        #expect(list[0]["GrantId"] == .string(grantId))
        let retirable = try await s.handle(operation: "ListRetirableGrants", input: ["RetiringPrincipal": "arn:aws:iam::111111111111:user/ops"], context: ctx)
        #expect(retirable["Grants"]?.listValue?.count == 1)
        _ = await expectError("AccessDeniedException") {
            try await s.handle(operation: "RetireGrant", input: ["GrantToken": g["GrantToken"]!],
                               context: context(principal: "arn:aws:iam::111111111111:user/mallory"))
        }
        _ = try await s.handle(operation: "RetireGrant", input: ["GrantToken": g["GrantToken"]!],
                               context: context(principal: "arn:aws:iam::111111111111:user/ops"))
        #expect(s.resourcePolicy(forResource: arn, context: ctx)?.additionalDocuments.isEmpty == true)
    }

    @Test func authorizationNamesKeyArnsAndConditionKeys() async throws {
        let s = service()
        let (id, arn) = try await createKey(s)
        _ = try await s.handle(operation: "CreateAlias", input: ["AliasName": "alias/x", "TargetKeyId": .string(id)], context: ctx)
        let enc = try #require(s.authorization(operation: "Encrypt", input: ["KeyId": "alias/x", "Plaintext": .blob([1]), "EncryptionContext": ["Dept": "a"]], context: ctx))
        #expect(enc.count == 1)
        #expect(enc[0].action == "kms:Encrypt")
        #expect(enc[0].resources == [arn])
        #expect(enc[0].conditionKeys["kms:encryptioncontext:dept"] == ["a"])
        #expect(enc[0].conditionKeys["kms:encryptioncontextkeys"] == ["Dept"])
        #expect(enc[0].conditionKeys["kms:calleraccount"] == ["111111111111"])
        #expect(enc[0].conditionKeys["kms:requestalias"] == ["alias/x"])
        #expect(enc[0].conditionKeys["kms:resourcealiases"] == ["alias/x"])
        let blob = try await s.handle(operation: "Encrypt", input: ["KeyId": .string(id), "Plaintext": .blob([1])], context: ctx)["CiphertextBlob"]!
        let dec = try #require(s.authorization(operation: "Decrypt", input: ["CiphertextBlob": blob], context: ctx))
        #expect(dec[0].resources == [arn])
        let alias = try #require(s.authorization(operation: "CreateAlias", input: ["AliasName": "alias/y", "TargetKeyId": .string(id)], context: ctx))
        #expect(alias.flatMap(\.resources) == ["arn:aws:kms:us-east-1:111111111111:alias/y", arn])
        let re = try #require(s.authorization(operation: "ReEncrypt", input: ["CiphertextBlob": blob, "DestinationKeyId": .string(id)], context: ctx))
        #expect(re.map(\.action) == ["kms:ReEncryptFrom", "kms:ReEncryptTo"])
        let create = try #require(s.authorization(operation: "CreateKey", input: ["KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"], context: ctx))
        #expect(create[0].conditionKeys["kms:keyspec"] == ["HMAC_256"])
        #expect(create[0].resources.isEmpty)
        #expect(s.authorization(operation: "RetireGrant", input: [:], context: ctx) == nil)
    }

    @Test func automaticRotationOnTheClockReachesReplicas() async throws {
        let s = service()
        let (id, _) = try await createKey(s, ["MultiRegion": true])
        #expect(id.hasPrefix("mrk-"))
        _ = try await s.handle(operation: "ReplicateKey", input: ["KeyId": .string(id), "ReplicaRegion": "eu-west-1"], context: ctx)
        let eu = context(region: "eu-west-1")
        let old = try await s.handle(operation: "Encrypt", input: ["KeyId": .string(id), "Plaintext": .blob([1])], context: ctx)["CiphertextBlob"]!
        _ = try await s.handle(operation: "EnableKeyRotation", input: ["KeyId": .string(id), "RotationPeriodInDays": 90], context: ctx)
        let first = try await s.handle(operation: "DescribeKey", input: ["KeyId": .string(id)], context: ctx)["KeyMetadata"]!["CurrentKeyMaterialId"]
        clock.advance(90 * 86400 + 1)
        let second = try await s.handle(operation: "DescribeKey", input: ["KeyId": .string(id)], context: ctx)["KeyMetadata"]!["CurrentKeyMaterialId"]
        #expect(first != second)
        let rotations = try await s.handle(operation: "ListKeyRotations", input: ["KeyId": .string(id)], context: ctx)["Rotations"]!
        #expect(rotations.listValue?.map { $0["RotationType"] } == ["AUTOMATIC"])
        let status = try await s.handle(operation: "GetKeyRotationStatus", input: ["KeyId": .string(id)], context: ctx)
        #expect(status["NextRotationDate"] == .timestamp(clock.now() + 90 * 86400))
        // The replica has the new material: what the primary encrypts now decrypts there, and so does the old.
        let new = try await s.handle(operation: "Encrypt", input: ["KeyId": .string(id), "Plaintext": .blob([2])], context: ctx)["CiphertextBlob"]!
        #expect(try await s.handle(operation: "Decrypt", input: ["CiphertextBlob": new], context: eu)["Plaintext"] == .blob([2]))
        #expect(try await s.handle(operation: "Decrypt", input: ["CiphertextBlob": old], context: eu)["Plaintext"] == .blob([1]))
        #expect(try await s.handle(operation: "DescribeKey", input: ["KeyId": .string(id)], context: eu)["KeyMetadata"]!["CurrentKeyMaterialId"] == second)
        _ = await expectError("UnsupportedOperationException") {
            try await s.handle(operation: "RotateKeyOnDemand", input: ["KeyId": .string(id)], context: eu)
        }
        let (rsa, _) = try await createKey(s, ["KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"])
        let e = await expectError("UnsupportedOperationException") {
            try await s.handle(operation: "RotateKeyOnDemand", input: ["KeyId": .string(rsa)], context: ctx)
        }
        #expect(e?.message == "")
    }

    @Test func asymmetricAndMacKeys() async throws {
        let s = service()
        let (ec, ecArn) = try await createKey(s, ["KeySpec": "ECC_NIST_P384", "KeyUsage": "SIGN_VERIFY"])
        let sig = try await s.handle(operation: "Sign", input: ["KeyId": .string(ec), "Message": .blob([1, 2]), "SigningAlgorithm": "ECDSA_SHA_384"], context: ctx)
        #expect(sig["KeyId"] == .string(ecArn))
        let ok = try await s.handle(operation: "Verify", input: [
            "KeyId": .string(ec), "Message": .blob([1, 2]), "Signature": sig["Signature"]!, "SigningAlgorithm": "ECDSA_SHA_384",
        ], context: ctx)
        #expect(ok["SignatureValid"] == true)
        _ = await expectError("KMSInvalidSignatureException") {
            try await s.handle(operation: "Verify", input: [
                "KeyId": .string(ec), "Message": .blob([1, 3]), "Signature": sig["Signature"]!, "SigningAlgorithm": "ECDSA_SHA_384",
            ], context: ctx)
        }
        _ = await expectError("InvalidKeyUsageException") {
            try await s.handle(operation: "Sign", input: ["KeyId": .string(ec), "Message": .blob([1]), "SigningAlgorithm": "ECDSA_SHA_256"], context: ctx)
        }
        let (mac, _) = try await createKey(s, ["KeySpec": "HMAC_224", "KeyUsage": "GENERATE_VERIFY_MAC"])
        let m = try await s.handle(operation: "GenerateMac", input: ["KeyId": .string(mac), "Message": .blob([7]), "MacAlgorithm": "HMAC_SHA_224"], context: ctx)
        guard case .blob(let bytes)? = m["Mac"] else { Issue.record("no mac"); return }
        #expect(bytes.count == 28)
        _ = await expectError("ValidationException") {
            try await s.handle(operation: "CreateKey", input: ["KeySpec": "HMAC_256"], context: ctx)
        }
        _ = await expectError("ValidationException") {
            try await s.handle(operation: "CreateKey", input: ["KeySpec": "RSA_2048", "KeyUsage": "KEY_AGREEMENT"], context: ctx)
        }
    }

    /// RFC 4231 test case 2 for HMAC-SHA-224 (swift-crypto has no SHA-224; ours is checked here).
    @Test func hmacSHA224MatchesRFC4231() {
        let mac = MAC.hmacSHA224(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44")
        #expect(SHA224.hash([]).map { String(format: "%02x", $0) }.joined() == "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f")
    }

    @Test func persistsSealedMaterialAndRestores() async throws {
        let store = InMemoryRecords()
        let s = service(store)
        let (id, arn) = try await createKey(s, ["Description": "persisted"])
        _ = try await s.handle(operation: "CreateAlias", input: ["AliasName": "alias/p", "TargetKeyId": .string(id)], context: ctx)
        _ = try await s.handle(operation: "CreateGrant", input: ["KeyId": .string(id), "GranteePrincipal": "arn:aws:iam::111111111111:role/r", "Operations": ["Decrypt"]], context: ctx)
        let blob = try await s.handle(operation: "Encrypt", input: ["KeyId": "alias/p", "Plaintext": .blob(Array("keep me".utf8))], context: ctx)["CiphertextBlob"]!
        let material = s.state.withLock { $0.keys.values.first!.materials[0].bytes }
        for r in try store.loadAll() {
            #expect(!contains(r.data, Array(material.prefix(8))))
        }
        let restored = service(store)
        try restored.restore()
        let dec = try await restored.handle(operation: "Decrypt", input: ["CiphertextBlob": blob], context: ctx)
        #expect(dec["Plaintext"] == .blob(Array("keep me".utf8)))
        let m = try await restored.handle(operation: "DescribeKey", input: ["KeyId": "alias/p"], context: ctx)["KeyMetadata"]!
        #expect(m["Arn"] == .string(arn))
        #expect(m["Description"] == "persisted")
        let grants = try await restored.handle(operation: "ListGrants", input: ["KeyId": .string(id)], context: ctx)["Grants"]!.listValue!
        #expect(grants.count == 1)

        try await restored.removeAccount("111111111111")
        #expect(try store.loadAll().isEmpty)
    }
}

func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, hay.count >= needle.count else { return false }
    for i in 0...(hay.count - needle.count) where Array(hay[i..<i + needle.count]) == needle { return true }
    return false
}
