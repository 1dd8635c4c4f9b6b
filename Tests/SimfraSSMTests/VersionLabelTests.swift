import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraSSM

@Suite struct VersionLabelTests {
    func threeVersions() async throws -> Harness {
        let h = Harness()
        try await h.put("/v", "one", ["Description": "first"])
        try await h.call("PutParameter", ["Name": "/v", "Value": "two", "Overwrite": true])
        try await h.call("PutParameter", ["Name": "/v", "Value": "three", "Overwrite": true])
        return h
    }

    @Test func versionSelector() async throws {
        let h = try await threeVersions()
        let got = try await h.call("GetParameter", ["Name": "/v:2"])["Parameter"]
        #expect(got?["Value"] == "two")
        #expect(got?["Version"] == 2)
        #expect(got?["Selector"] == ":2")
        #expect(got?["Name"] == "/v")
        let e = await h.error("GetParameter", ["Name": "/v:7"])
        #expect(e?.code == "ParameterVersionNotFound")
        #expect(e?.message == "Systems Manager could not find version 7 of /v. Verify the version and try again.")
    }

    @Test func labelsMoveBetweenVersionsAndSelect() async throws {
        let h = try await threeVersions()
        let out = try await h.call("LabelParameterVersion", ["Name": "/v", "ParameterVersion": 1, "Labels": ["prod", "1bad", "awsx"]])
        #expect(out["InvalidLabels"] == ["1bad", "awsx"])
        #expect(out["ParameterVersion"] == 1)
        #expect(try await h.value("/v:prod") == "one")
        // Labelling version 3 with the same label moves it.
        let latest = try await h.call("LabelParameterVersion", ["Name": "/v", "Labels": ["prod"]])
        #expect(latest["ParameterVersion"] == 3)
        #expect(try await h.value("/v:prod") == "three")
        #expect(await h.error("GetParameter", ["Name": "/v:nolabel"])?.code == "ParameterVersionNotFound")
        let history = try await h.call("GetParameterHistory", ["Name": "/v"])["Parameters"]?.listValue ?? []
        #expect(history.map { $0["Labels"] } == [[], [], ["prod"]])
        #expect(history.first?["Description"] == "first")
        // Overwrites without a description keep it.
        #expect(history.last?["Description"] == "first")
        #expect(history.first?["LastModifiedUser"] == "arn:aws:iam::000000000000:root")

        let un = try await h.call("UnlabelParameterVersion", ["Name": "/v", "ParameterVersion": 3, "Labels": ["prod", "other"]])
        #expect(un["RemovedLabels"] == ["prod"])
        #expect(un["InvalidLabels"] == ["other"])
        #expect(await h.error("UnlabelParameterVersion", ["Name": "/v", "ParameterVersion": 9, "Labels": ["x"]])?.code
            == "ParameterVersionNotFound")
        #expect(await h.error("LabelParameterVersion", ["Name": "/none", "Labels": ["x"]])?.code == "ParameterNotFound")
    }

    @Test func tenLabelsPerVersion() async throws {
        let h = try await threeVersions()
        try await h.call("LabelParameterVersion", ["Name": "/v", "Labels": .list((1...10).map { .string("l\($0)") })])
        #expect(await h.error("LabelParameterVersion", ["Name": "/v", "Labels": ["l11"]])?.code == "ParameterVersionLabelLimitExceeded")
    }

    @Test func oldestVersionIsDroppedUnlessLabelled() async throws {
        let h = Harness(limits: SSMService.Limits(versions: 3))
        try await h.put("/v", "1")
        try await h.call("PutParameter", ["Name": "/v", "Value": "2", "Overwrite": true])
        try await h.call("PutParameter", ["Name": "/v", "Value": "3", "Overwrite": true])
        try await h.call("PutParameter", ["Name": "/v", "Value": "4", "Overwrite": true])
        let history = try await h.call("GetParameterHistory", ["Name": "/v"])["Parameters"]?.listValue ?? []
        #expect(history.map { $0["Version"] } == [2, 3, 4])
        try await h.call("LabelParameterVersion", ["Name": "/v", "ParameterVersion": 2, "Labels": ["keep"]])
        let e = await h.error("PutParameter", ["Name": "/v", "Value": "5", "Overwrite": true])
        #expect(e?.code == "ParameterMaxVersionLimitExceeded")
        #expect(e?.message.contains("Version 2, the oldest version, can't be deleted") == true)
    }

    @Test func historyPaginates() async throws {
        let h = try await threeVersions()
        let first = try await h.call("GetParameterHistory", ["Name": "/v", "MaxResults": 2])
        #expect(first["Parameters"]?.listValue?.count == 2)
        let token = try #require(first["NextToken"]?.stringValue)
        let second = try await h.call("GetParameterHistory", ["Name": "/v", "MaxResults": 2, "NextToken": .string(token)])
        #expect(second["Parameters"]?.listValue?.map { $0["Value"] } == ["three"])
        #expect(second["NextToken"] == nil)
        #expect(await h.error("GetParameterHistory", ["Name": "/v", "NextToken": "!!"])?.code == "InvalidNextToken")
    }

    @Test func tags() async throws {
        let h = Harness()
        try await h.put("/t", "v", ["Tags": [["Key": "team", "Value": "a"]]])
        try await h.call("AddTagsToResource", ["ResourceType": "Parameter", "ResourceId": "/t",
                                               "Tags": [["Key": "env", "Value": "dev"], ["Key": "team", "Value": "b"]]])
        let listed = try await h.call("ListTagsForResource", ["ResourceType": "Parameter", "ResourceId": "/t"])
        #expect(listed["TagList"] == [["Key": "team", "Value": "b"], ["Key": "env", "Value": "dev"]])
        try await h.call("RemoveTagsFromResource", ["ResourceType": "Parameter", "ResourceId": "/t", "TagKeys": ["team"]])
        let after = try await h.call("ListTagsForResource", ["ResourceType": "Parameter", "ResourceId": "/t"])
        #expect(after["TagList"] == [["Key": "env", "Value": "dev"]])
        #expect(await h.error("ListTagsForResource", ["ResourceType": "Parameter", "ResourceId": "/none"])?.code == "InvalidResourceId")
        #expect(await h.error("ListTagsForResource", ["ResourceType": "Document", "ResourceId": "d"])?.code == "InvalidResourceId")
    }
}

@Suite struct ExpirationTests {
    @Test func anExpiredParameterIsGoneAndCanBeCreatedAgain() async throws {
        let h = Harness()
        // ManualClock starts at 2023-11-14; the policy expires the parameter a day later.
        let policy = #"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2023-11-15T22:13:20.000Z"}}]"#
        try await h.put("/exp/p", "v", ["Tier": "Advanced", "Policies": .string(policy)])
        try await h.put("/exp/keep", "k")
        #expect(try await h.value("/exp/p") == "v")
        h.clock.advance(2 * 86400)
        #expect(await h.error("GetParameter", ["Name": "/exp/p"])?.code == "ParameterNotFound")
        let listed = try await h.call("GetParametersByPath", ["Path": "/exp"])["Parameters"]?.listValue ?? []
        #expect(listed.map { $0["Name"] } == ["/exp/keep"])
        #expect(try await h.call("DescribeParameters", [:])["Parameters"]?.listValue?.count == 1)
        #expect(await h.error("LabelParameterVersion", ["Name": "/exp/p", "Labels": ["x"]])?.code == "ParameterNotFound")
        // The name is free: a new parameter starts at version 1 without Overwrite.
        let again = try await h.put("/exp/p", "new")
        #expect(again["Version"] == 1)
        #expect(try await h.value("/exp/p") == "new")
    }

    @Test func deletingAnExpiredParameterIsNotFoundButRemovesIt() async throws {
        let h = Harness()
        let policy = #"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2023-11-15T22:13:20Z"}}]"#
        try await h.put("/exp/p", "v", ["Tier": "Advanced", "Policies": .string(policy)])
        h.clock.advance(2 * 86400)
        #expect(await h.error("DeleteParameter", ["Name": "/exp/p"])?.code == "ParameterNotFound")
        #expect(h.records.count == 0)
    }
}
