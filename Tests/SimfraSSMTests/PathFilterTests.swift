import SimfraCore
import Testing

@testable import SimfraSSM

@Suite struct PathFilterTests {
    func tree() async throws -> Harness {
        let h = Harness()
        try await h.put("/app/a", "1", ["Tags": [["Key": "team", "Value": "blue"]]])
        try await h.put("/app/b", "2", type: "StringList")
        try await h.put("/app/sub/c", "3", ["Tier": "Advanced"])
        try await h.put("/app/sub/deeper/d", "4")
        try await h.put("/other/e", "5")
        try await h.put("flat", "6")
        return h
    }

    func names(_ v: Value) -> [String] { v["Parameters"]?.listValue?.compactMap { $0["Name"]?.stringValue } ?? [] }

    @Test func byPathOneLevelAndRecursive() async throws {
        let h = try await tree()
        #expect(names(try await h.call("GetParametersByPath", ["Path": "/app"])) == ["/app/a", "/app/b"])
        #expect(names(try await h.call("GetParametersByPath", ["Path": "/app/", "Recursive": true]))
            == ["/app/a", "/app/b", "/app/sub/c", "/app/sub/deeper/d"])
        #expect(names(try await h.call("GetParametersByPath", ["Path": "/", "Recursive": true])).count == 5)
        #expect(names(try await h.call("GetParametersByPath", ["Path": "/nothing"])).isEmpty)
        #expect(await h.error("GetParametersByPath", ["Path": "app"])?.code == "ValidationException")
    }

    @Test func byPathPaginatesAndFilters() async throws {
        let h = try await tree()
        let p1 = try await h.call("GetParametersByPath", ["Path": "/app", "Recursive": true, "MaxResults": 3])
        #expect(names(p1) == ["/app/a", "/app/b", "/app/sub/c"])
        let token = try #require(p1["NextToken"]?.stringValue)
        let p2 = try await h.call("GetParametersByPath", ["Path": "/app", "Recursive": true, "MaxResults": 3, "NextToken": .string(token)])
        #expect(names(p2) == ["/app/sub/deeper/d"])
        #expect(p2["NextToken"] == nil)

        let typed = try await h.call("GetParametersByPath", [
            "Path": "/app", "Recursive": true, "ParameterFilters": [["Key": "Type", "Values": ["StringList"]]],
        ])
        #expect(names(typed) == ["/app/b"])
        let tagged = try await h.call("GetParametersByPath", [
            "Path": "/app", "ParameterFilters": [["Key": "tag:team", "Values": ["blue"]]],
        ])
        #expect(names(tagged) == ["/app/a"])
        let e = await h.error("GetParametersByPath", ["Path": "/app", "ParameterFilters": [["Key": "Name", "Values": ["x"]]]])
        #expect(e?.code == "InvalidFilterKey")
    }

    @Test func describeWithParameterFilters() async throws {
        let h = try await tree()
        func describe(_ filters: Value) async throws -> [String] {
            names(try await h.call("DescribeParameters", ["ParameterFilters": filters]))
        }
        #expect(try await describe([["Key": "Name", "Option": "BeginsWith", "Values": ["/app/s"]]]) == ["/app/sub/c", "/app/sub/deeper/d"])
        #expect(try await describe([["Key": "Name", "Values": ["flat"]]]) == ["flat"])
        #expect(try await describe([["Key": "Name", "Values": ["/flat"]]]) == ["flat"])
        #expect(try await describe([["Key": "Name", "Option": "Contains", "Values": ["deep"]]]) == ["/app/sub/deeper/d"])
        #expect(try await describe([["Key": "Path", "Values": ["/app"]]]) == ["/app/a", "/app/b"])
        #expect(try await describe([["Key": "Path", "Option": "Recursive", "Values": ["/app/sub"]]]) == ["/app/sub/c", "/app/sub/deeper/d"])
        #expect(try await describe([["Key": "Tier", "Values": ["Advanced"]]]) == ["/app/sub/c"])
        #expect(try await describe([["Key": "Type", "Values": ["StringList"]]]) == ["/app/b"])
        #expect(try await describe([["Key": "DataType", "Values": ["text"]]]).count == 6)
        #expect(try await describe([["Key": "tag:team"]]) == ["/app/a"])

        #expect(await h.error("DescribeParameters", ["ParameterFilters": [["Key": "Label", "Values": ["x"]]]])?.code == "InvalidFilterKey")
        #expect(await h.error("DescribeParameters", ["ParameterFilters": [["Key": "Type", "Values": ["Nope"]]]])?.code == "InvalidFilterValue")
        #expect(await h.error("DescribeParameters", ["ParameterFilters": [["Key": "Type", "Option": "Contains", "Values": ["String"]]]])?.code
            == "InvalidFilterOption")
        #expect(await h.error("DescribeParameters", ["ParameterFilters": [["Key": "Path", "Option": "Equals", "Values": ["/a"]]]])?.code
            == "InvalidFilterOption")
        #expect(await h.error("DescribeParameters", ["ParameterFilters": [
            ["Key": "Type", "Values": ["String"]], ["Key": "Type", "Values": ["String"]],
        ]])?.code == "InvalidFilterKey")
        #expect(await h.error("DescribeParameters", [
            "Filters": [["Key": "Name", "Values": ["/app"]]], "ParameterFilters": [["Key": "Type", "Values": ["String"]]],
        ])?.code == "ValidationException")
    }

    @Test func describeLegacyFiltersAndPagination() async throws {
        let h = try await tree()
        let legacy = try await h.call("DescribeParameters", ["Filters": [["Key": "Name", "Values": ["/app/sub"]]]])
        #expect(names(legacy) == ["/app/sub/c", "/app/sub/deeper/d"])
        let p1 = try await h.call("DescribeParameters", ["MaxResults": 4])
        #expect(names(p1).count == 4)
        let p2 = try await h.call("DescribeParameters", ["MaxResults": 4, "NextToken": p1["NextToken"] ?? .null])
        #expect(names(p2).count == 2)
        #expect(Set(names(p1) + names(p2)).count == 6)
    }

    @Test func publicParameters() async throws {
        let h = Harness()
        let id = try #require(try await h.value("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"))
        #expect(id == PublicImageCatalogue.image(region: "us-east-1", alias: "al2023-ami-kernel-default-x86_64")?.imageId)
        #expect(id.count == 21 && id.hasPrefix("ami-0"))
        let other = try await h.value("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
                                      TestContext.make(region: "eu-west-1"))
        #expect(other != id)
        // Another account reads the same value.
        #expect(try await h.value("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
                                  TestContext.make(account: "111111111111")) == id)
        let arn = try await h.call("GetParameter", ["Name": "/aws/service/global-infrastructure/regions/eu-west-1/longName"])["Parameter"]
        #expect(arn?["Value"] == "Europe (Ireland)")
        #expect(arn?["ARN"] == "arn:aws:ssm:us-east-1::parameter/aws/service/global-infrastructure/regions/eu-west-1/longName")

        let images = try await h.call("GetParametersByPath", ["Path": "/aws/service/ami-amazon-linux-latest"])
        #expect(names(images).count == 10)
        let token = try #require(images["NextToken"]?.stringValue)
        let rest = try await h.call("GetParametersByPath", ["Path": "/aws/service/ami-amazon-linux-latest", "NextToken": .string(token)])
        #expect(names(rest).count == PublicImageCatalogue.images(region: "us-east-1").count - 10)
        let regions = try await h.call("GetParametersByPath", ["Path": "/aws/service/global-infrastructure/regions", "MaxResults": 10])
        #expect(names(regions).allSatisfy { $0.split(separator: "/").count == 5 })
        #expect(names(try await h.call("DescribeParameters", [:])).isEmpty)
        let batch = try await h.call("GetParameters", ["Names": ["/aws/service/global-infrastructure/services/s3/longName"]])
        #expect(batch["Parameters"]?.listValue?.first?["Value"] == "Amazon Simple Storage Service (S3)")
    }

    @Test func catalogueIdsAreStableAndRealistic() {
        let a = PublicImageCatalogue.images(region: "us-east-1")
        #expect(a == PublicImageCatalogue.images(region: "us-east-1"))
        #expect(Set(a.map(\.imageId)).count == a.count)
        for image in a {
            #expect(SSMService.isImageId(image.imageId))
        }
    }
}
