import SimfraCore
import Testing

@testable import SimfraSecretsManager

@Suite struct StagingTests {
    func stages(_ h: Harness, _ id: String, deprecated: Bool = false) async throws -> [String: [String]] {
        let r = try await h.call("ListSecretVersionIds", ["SecretId": .string(id), "IncludeDeprecated": .bool(deprecated)])
        var out: [String: [String]] = [:]
        for v in r["Versions"]?.listValue ?? [] {
            out[v["VersionId"]?.stringValue ?? ""] = v["VersionStages"]?.listValue?.compactMap(\.stringValue) ?? []
        }
        return out
    }

    @Test func currentBecomesPreviousAndOldVersionsAreDeprecated() async throws {
        let h = Harness()
        let (v1, v2, v3) = (Harness.token(), Harness.token(), Harness.token())
        try await h.call("CreateSecret", ["Name": "s", "SecretString": "1", "ClientRequestToken": .string(v1)])
        try await h.call("PutSecretValue", ["SecretId": "s", "SecretString": "2", "ClientRequestToken": .string(v2)])
        #expect(try await stages(h, "s") == [v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]])
        try await h.call("PutSecretValue", ["SecretId": "s", "SecretString": "3", "ClientRequestToken": .string(v3)])
        #expect(try await stages(h, "s") == [v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]])
        #expect(try await stages(h, "s", deprecated: true) == [v1: [], v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]])
        // A deprecated version is still readable by id.
        #expect(try await h.call("GetSecretValue", ["SecretId": "s", "VersionId": .string(v1)])["SecretString"] == "1")
        #expect(await h.error("GetSecretValue", ["SecretId": "s", "VersionId": .string(v1), "VersionStage": "AWSCURRENT"])?.message
            == "You provided a VersionStage that is not associated to the provided VersionId.")
        #expect(await h.error("GetSecretValue", ["SecretId": "s", "VersionStage": "AWSPENDING"])?.message
            == "Secrets Manager can't find the specified secret value for staging label: AWSPENDING")
        #expect(await h.error("GetSecretValue", ["SecretId": "s", "VersionId": "00000000-0000-0000-0000-000000000000"])?.message
            == "Secrets Manager can't find the specified secret value for VersionId: 00000000-0000-0000-0000-000000000000")
    }

    @Test func customStagesMoveBetweenVersions() async throws {
        let h = Harness()
        let (v1, v2, v3) = (Harness.token(), Harness.token(), Harness.token())
        try await h.call("CreateSecret", ["Name": "s", "SecretString": "1", "ClientRequestToken": .string(v1)])
        let p = try await h.call("PutSecretValue", ["SecretId": "s", "SecretString": "2", "ClientRequestToken": .string(v2),
                                                    "VersionStages": ["one", "two", "three"]])
        #expect(p["VersionStages"] == ["one", "three", "two"])
        try await h.call("PutSecretValue", ["SecretId": "s", "SecretString": "3", "ClientRequestToken": .string(v3),
                                            "VersionStages": ["one", "two", "three", "four"]])
        #expect(try await stages(h, "s") == [v1: ["AWSCURRENT"], v3: ["four", "one", "three", "two"]])
    }

    @Test func updateSecretVersionStageRules() async throws {
        let h = Harness()
        let (v1, v2) = (Harness.token(), Harness.token())
        try await h.call("CreateSecret", ["Name": "s", "SecretString": "1", "ClientRequestToken": .string(v1)])
        try await h.call("PutSecretValue", ["SecretId": "s", "SecretString": "2", "ClientRequestToken": .string(v2),
                                            "VersionStages": ["AWSPENDING"]])
        #expect(await h.error("UpdateSecretVersionStage", ["SecretId": "s", "VersionStage": "AWSCURRENT", "MoveToVersionId": .string(v2)])?.code
            == "InvalidParameterException")
        #expect(await h.error("UpdateSecretVersionStage", ["SecretId": "s", "VersionStage": "AWSCURRENT", "RemoveFromVersionId": .string(v1)])?.code
            == "InvalidParameterException")
        let r = try await h.call("UpdateSecretVersionStage", ["SecretId": "s", "VersionStage": "AWSCURRENT",
                                                              "MoveToVersionId": .string(v2), "RemoveFromVersionId": .string(v1)])
        #expect(r["Name"] == "s")
        #expect(try await stages(h, "s") == [v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT", "AWSPENDING"]])
        try await h.call("UpdateSecretVersionStage", ["SecretId": "s", "VersionStage": "AWSPENDING", "RemoveFromVersionId": .string(v2)])
        #expect(try await stages(h, "s") == [v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]])
        #expect(try await h.call("GetSecretValue", ["SecretId": "s"])["SecretString"] == "2")
    }

    /// As recorded against AWS (test_update_secret_version_stages_current_pending): a put
    /// that takes AWSCURRENT from a version also carrying AWSPENDING removes that AWSPENDING.
    @Test func putAfterFinishedRotationDropsPending() async throws {
        let h = Harness()
        let (v1, v2, v3) = (Harness.token(), Harness.token(), Harness.token())
        try await h.call("CreateSecret", ["Name": "s", "SecretString": "1", "ClientRequestToken": .string(v1)])
        try await h.call("PutSecretValue", ["SecretId": "s", "SecretString": "2", "ClientRequestToken": .string(v2),
                                            "VersionStages": ["AWSPENDING"]])
        try await h.call("UpdateSecretVersionStage", ["SecretId": "s", "VersionStage": "AWSCURRENT",
                                                      "MoveToVersionId": .string(v2), "RemoveFromVersionId": .string(v1)])
        #expect(try await stages(h, "s") == [v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT", "AWSPENDING"]])
        try await h.call("PutSecretValue", ["SecretId": "s", "SecretString": "3", "ClientRequestToken": .string(v3)])
        #expect(try await stages(h, "s") == [v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]])
    }

    /// As recorded (…_custom_stages_1): a new AWSPENDING version leaves the current one's
    /// other labels alone, and moving AWSCURRENT keeps the target's AWSPENDING.
    @Test func customLabelsSurviveARotationCycle() async throws {
        let h = Harness()
        let (v1, v2, v3) = (Harness.token(), Harness.token(), Harness.token())
        try await h.call("CreateSecret", ["Name": "s", "SecretString": "S1", "ClientRequestToken": .string(v1)])
        try await h.call("PutSecretValue", ["SecretId": "s", "SecretString": "S2", "ClientRequestToken": .string(v2),
                                            "VersionStages": ["AWSPENDING", "AWSSOMETHING", "PUT1"]])
        try await h.call("UpdateSecretVersionStage", ["SecretId": "s", "VersionStage": "AWSCURRENT",
                                                      "MoveToVersionId": .string(v2), "RemoveFromVersionId": .string(v1)])
        #expect(try await stages(h, "s") == [v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT", "AWSPENDING", "AWSSOMETHING", "PUT1"]])
        try await h.call("PutSecretValue", ["SecretId": "s", "SecretString": "S3", "ClientRequestToken": .string(v3),
                                            "VersionStages": ["AWSPENDING", "PUT2"]])
        #expect(try await stages(h, "s") == [v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT", "AWSSOMETHING", "PUT1"],
                                             v3: ["AWSPENDING", "PUT2"]])
        try await h.call("UpdateSecretVersionStage", ["SecretId": "s", "VersionStage": "AWSCURRENT",
                                                      "MoveToVersionId": .string(v3), "RemoveFromVersionId": .string(v2)])
        #expect(try await stages(h, "s") == [v2: ["AWSPREVIOUS", "AWSSOMETHING", "PUT1"], v3: ["AWSCURRENT", "AWSPENDING", "PUT2"]])
    }

    @Test func deprecatedVersionsArePrunedBeyondTheLimit() {
        var s = Secret(name: "n", arn: "arn", account: "a", region: "r", created: 0, lastChanged: 0)
        func v(_ i: Int, _ t: Double) -> SecretVersion {
            SecretVersion(id: "v\(i)", stages: ["AWSCURRENT"], created: t, kmsKeyId: nil, encryptedDataKey: [], ciphertext: [],
                          isBinary: false)
        }
        for i in 0..<100 { s.add(v(i, Double(i)), now: Double(i)) }
        #expect(s.versions.count == 100)
        // Versions from the last day are kept even beyond the limit.
        s.add(v(100, 100), now: 100)
        #expect(s.versions.count == 101)
        s.add(v(101, 200_000), now: 200_000)
        #expect(s.versions.count == 100)
        #expect(s.version(id: "v0") == nil && s.version(id: "v1") == nil)
        #expect(s.version(stage: "AWSCURRENT")?.id == "v101")
        #expect(s.version(stage: "AWSPREVIOUS")?.id == "v100")
    }
}
