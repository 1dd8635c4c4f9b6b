import SimfraCore
import Testing

@testable import SimfraSSM

@Suite struct PutGetTests {
    @Test func createsReadsAndOverwrites() async throws {
        let h = Harness()
        let out = try await h.put("/app/db/host", "db1")
        #expect(out["Version"] == 1)
        #expect(out["Tier"] == "Standard")
        let got = try await h.call("GetParameter", ["Name": "/app/db/host"])["Parameter"]
        #expect(got?["Value"] == "db1")
        #expect(got?["Type"] == "String")
        #expect(got?["DataType"] == "text")
        #expect(got?["ARN"] == "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/host")
        #expect(got?["Selector"] == nil)

        #expect(await h.error("PutParameter", ["Name": "/app/db/host", "Value": "x", "Type": "String"])?.code == "ParameterAlreadyExists")
        let v2 = try await h.call("PutParameter", ["Name": "/app/db/host", "Value": "db2", "Overwrite": true])
        #expect(v2["Version"] == 2)
        #expect(try await h.value("/app/db/host") == "db2")
    }

    @Test func singleLevelNamesWithAndWithoutSlashAreOneParameter() async throws {
        let h = Harness()
        try await h.put("plain", "v")
        #expect(try await h.value("/plain") == "v")
        let got = try await h.call("GetParameter", ["Name": "plain"])["Parameter"]
        #expect(got?["ARN"] == "arn:aws:ssm:us-east-1:000000000000:parameter/plain")
        #expect(await h.error("PutParameter", ["Name": "/plain", "Value": "x", "Type": "String"])?.code == "ParameterAlreadyExists")
    }

    @Test func missingParameterIsParameterNotFoundWithAnEmptyMessage() async throws {
        let h = Harness()
        let e = await h.error("GetParameter", ["Name": "/nope"])
        #expect(e?.code == "ParameterNotFound")
        #expect(e?.message == "")
        #expect(await h.error("DeleteParameter", ["Name": "/nope"])?.code == "ParameterNotFound")
    }

    @Test func nameRules() async throws {
        let h = Harness()
        func code(_ name: String) async -> String? {
            await h.error("PutParameter", ["Name": .string(name), "Value": "v", "Type": "String"])?.code
        }
        #expect(await code("awsThing") == "ValidationException")
        #expect(await code("/ssm/x") == "ValidationException")
        #expect(await code("/aws/service/mine") == "AccessDeniedException")
        #expect(await code("a/b") == "ValidationException")
        #expect(await code("/a b") == "ValidationException")
        #expect(await code("/a//b") == "ValidationException")
        let deep = "/" + (1...16).map { "l\($0)" }.joined(separator: "/")
        #expect(await code(deep) == "HierarchyLevelLimitExceededException")
        let ok = "/" + (1...15).map { "l\($0)" }.joined(separator: "/")
        #expect(await code(ok) == nil)
        #expect(await code("/" + String(repeating: "x", count: 1000)) == "ValidationException")
        // Surrounding spaces are removed, as AWS does.
        try await h.put("  /trim/me ", "v")
        #expect(try await h.value("/trim/me") == "v")
    }

    @Test func typeIsRequiredOnCreateAndKeptOnOverwrite() async throws {
        let h = Harness()
        let e = await h.error("PutParameter", ["Name": "/t", "Value": "v"])
        #expect(e?.code == "ValidationException")
        #expect(e?.message == "A parameter type is required when you create a parameter.")
        try await h.put("/t", "a,b", type: "StringList")
        try await h.call("PutParameter", ["Name": "/t", "Value": "c,d", "Overwrite": true])
        #expect(try await h.call("GetParameter", ["Name": "/t"])["Parameter"]?["Type"] == "StringList")
    }

    @Test func tagsWithOverwriteAreRejected() async throws {
        let h = Harness()
        let e = await h.error("PutParameter", [
            "Name": "/t", "Value": "v", "Type": "String", "Overwrite": true, "Tags": [["Key": "a", "Value": "b"]],
        ])
        #expect(e?.code == "ValidationException")
        #expect(e?.message.hasPrefix("Invalid request: tags and overwrite can't be used together.") == true)
    }

    @Test func allowedPattern() async throws {
        let h = Harness()
        try await h.put("/n", "123", ["AllowedPattern": "^\\d+$"])
        let e = await h.error("PutParameter", ["Name": "/n", "Value": "abc", "Overwrite": true])
        #expect(e?.code == "ParameterPatternMismatchException")
        #expect(e?.message == "Parameter value, cannot be validated against allowedPattern: ^\\d+$")
        // The whole value must match, anchors or not.
        #expect(await h.error("PutParameter", ["Name": "/w", "Value": "12a", "Type": "String", "AllowedPattern": "\\d+"])?.code
            == "ParameterPatternMismatchException")
        try await h.put("/w", "12", ["AllowedPattern": "\\d+"])
        #expect(await h.error("PutParameter", ["Name": "/m", "Value": "v", "Type": "String", "AllowedPattern": "(["])?.code
            == "InvalidAllowedPatternException")
    }

    @Test func dataTypes() async throws {
        let h = Harness()
        try await h.put("/ami", "ami-0123456789abcdef0", ["DataType": "aws:ec2:image"])
        #expect(try await h.call("GetParameter", ["Name": "/ami"])["Parameter"]?["DataType"] == "aws:ec2:image")
        #expect(await h.error("PutParameter", ["Name": "/ami2", "Value": "not-an-ami", "Type": "String", "DataType": "aws:ec2:image"])?.code
            == "ValidationException")
        #expect(await h.error("PutParameter", ["Name": "/x", "Value": "1", "Type": "String", "DataType": "integer"])?.code
            == "ValidationException")
        #expect(SSMService.isImageId("ami-12345678"))
        #expect(!SSMService.isImageId("ami-1234567"))
    }

    @Test func tiersAndSizes() async throws {
        let h = Harness()
        let big = String(repeating: "x", count: 5000)
        #expect(await h.error("PutParameter", ["Name": "/big", "Value": .string(big), "Type": "String"])?.code == "ValidationException")
        let adv = try await h.put("/big", big, ["Tier": "Advanced"])
        #expect(adv["Tier"] == "Advanced")
        #expect(await h.error("PutParameter", ["Name": "/huge", "Value": .string(String(repeating: "x", count: 8193)),
                                               "Type": "String", "Tier": "Advanced"])?.code == "ValidationException")
        // Intelligent-Tiering picks the tier the value needs.
        #expect(try await h.put("/it1", "small", ["Tier": "Intelligent-Tiering"])["Tier"] == "Standard")
        #expect(try await h.put("/it2", big, ["Tier": "Intelligent-Tiering"])["Tier"] == "Advanced")
        // Advanced never goes back to Standard, and an overwrite without Tier keeps it.
        let down = await h.error("PutParameter", ["Name": "/big", "Value": "x", "Overwrite": true, "Tier": "Standard"])
        #expect(down?.code == "ValidationException")
        #expect(try await h.call("PutParameter", ["Name": "/big", "Value": "y", "Overwrite": true])["Tier"] == "Advanced")
    }

    @Test func standardParameterQuota() async throws {
        let h = Harness(limits: SSMService.Limits(standardParameters: 2))
        try await h.put("/a", "1")
        try await h.put("/b", "1")
        #expect(await h.error("PutParameter", ["Name": "/c", "Value": "1", "Type": "String"])?.code == "ParameterLimitExceeded")
        // Overwrites do not count; Intelligent-Tiering moves to Advanced when Standard is full.
        try await h.call("PutParameter", ["Name": "/a", "Value": "2", "Overwrite": true])
        #expect(try await h.put("/c", "1", ["Tier": "Intelligent-Tiering"])["Tier"] == "Advanced")
    }

    @Test func policiesAreValidatedAndStored() async throws {
        let h = Harness()
        let policies = #"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00.000Z"}},{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"20","Unit":"Days"}}]"#
        let out = try await h.put("/p", "v", ["Policies": .string(policies), "Tier": "Intelligent-Tiering"])
        #expect(out["Tier"] == "Advanced")
        let d = try await h.call("DescribeParameters", [:])["Parameters"]?.listValue?.first
        let stored = d?["Policies"]?.listValue ?? []
        #expect(stored.count == 2)
        #expect(stored.first?["PolicyType"] == "Expiration")
        #expect(stored.first?["PolicyStatus"] == "Pending")
        func code(_ p: String) async -> String? {
            await h.error("PutParameter", ["Name": "/q", "Value": "v", "Type": "String", "Tier": "Advanced", "Policies": .string(p)])?.code
        }
        #expect(await code(#"[{"Type":"Bogus","Version":"1.0","Attributes":{}}]"#) == "InvalidPolicyTypeException")
        #expect(await code(#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"soon"}}]"#) == "InvalidPolicyAttributeException")
        #expect(await code(#"[{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"5","Unit":"Weeks"}}]"#) == "InvalidPolicyAttributeException")
        let twice = #"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Days"}},{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"2","Unit":"Days"}}]"#
        #expect(await code(twice) == "IncompatiblePolicyException")
        // Policies need the advanced tier.
        #expect(await h.error("PutParameter", ["Name": "/q", "Value": "v", "Type": "String", "Tier": "Standard",
                                               "Policies": .string(policies)])?.code == "ValidationException")
    }

    @Test func getParametersSplitsFoundAndInvalid() async throws {
        let h = Harness()
        try await h.put("/a", "1")
        try await h.put("/b", "2")
        let out = try await h.call("GetParameters", ["Names": ["/a", "/missing", "/b", "/a", "/a:9"]])
        #expect(out["Parameters"]?.listValue?.compactMap { $0["Value"]?.stringValue } == ["1", "2"])
        #expect(out["InvalidParameters"] == ["/missing", "/a:9"])
    }

    @Test func getByArn() async throws {
        let h = Harness()
        try await h.put("/x/y", "1")
        try await h.put("flat", "2")
        #expect(try await h.value("arn:aws:ssm:us-east-1:000000000000:parameter/x/y") == "1")
        #expect(try await h.value("arn:aws:ssm:us-east-1:000000000000:parameter/flat") == "2")
    }

    @Test func deleteParameters() async throws {
        let h = Harness()
        try await h.put("/a", "1")
        try await h.put("/b", "1")
        let out = try await h.call("DeleteParameters", ["Names": ["/a", "/zzz", "/b"]])
        #expect(out["DeletedParameters"] == ["/a", "/b"])
        #expect(out["InvalidParameters"] == ["/zzz"])
        #expect(h.records.count == 0)
    }
}
