import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraSSM

@Suite struct ActionTableTests {
    let ssm = SSMService(records: InMemoryRecords())
    let ctx = TestContext.make()

    @Test func everyOperationHasAnAction() {
        for op in ssm.implementedOperations {
            let reqs = ssm.authorization(operation: op, input: ["Name": "/a", "Names": ["/a"], "Path": "/a",
                                                                "ResourceType": "Parameter", "ResourceId": "/a"], context: ctx)
            #expect(reqs?.first?.action == "ssm:" + op)
        }
    }

    @Test func resourcesAndConditionKeys() {
        let put = ssm.authorization(operation: "PutParameter", input: [
            "Name": "/app/x", "Overwrite": true, "Tags": [["Key": "team", "Value": "a"]],
        ], context: ctx)?.first
        #expect(put?.resources == ["arn:aws:ssm:us-east-1:000000000000:parameter/app/x"])
        #expect(put?.conditionKeys["ssm:overwrite"] == ["true"])
        #expect(put?.conditionKeys["aws:requesttag/team"] == ["a"])
        #expect(put?.conditionKeys["aws:tagkeys"] == ["team"])

        let get = ssm.authorization(operation: "GetParameter", input: ["Name": "/app/x:3"], context: ctx)?.first
        #expect(get?.resources == ["arn:aws:ssm:us-east-1:000000000000:parameter/app/x"])
        let flat = ssm.authorization(operation: "GetParameter", input: ["Name": "flat"], context: ctx)?.first
        #expect(flat?.resources == ["arn:aws:ssm:us-east-1:000000000000:parameter/flat"])
        let pub = ssm.authorization(operation: "GetParameter", input: ["Name": "/aws/service/x/y"], context: ctx)?.first
        #expect(pub?.resources == ["arn:aws:ssm:us-east-1::parameter/aws/service/x/y"])

        let path = ssm.authorization(operation: "GetParametersByPath", input: ["Path": "/app/", "Recursive": true], context: ctx)?.first
        #expect(path?.resources == ["arn:aws:ssm:us-east-1:000000000000:parameter/app"])
        #expect(path?.conditionKeys["ssm:recursive"] == ["true"])

        let many = ssm.authorization(operation: "GetParameters", input: ["Names": ["/a", "/b:1", "/a"]], context: ctx)?.first
        #expect(many?.resources == ["arn:aws:ssm:us-east-1:000000000000:parameter/a", "arn:aws:ssm:us-east-1:000000000000:parameter/b"])
        #expect(ssm.authorization(operation: "DescribeParameters", input: [:], context: ctx)?.first?.resources == [])
    }

    @Test func resourceTagsForConditions() async throws {
        let h = Harness()
        try await h.put("/t", "v", ["Tags": [["Key": "env", "Value": "prod"]]])
        #expect(h.ssm.resourceTags(forResource: "arn:aws:ssm:us-east-1:000000000000:parameter/t", context: ctx) == ["env": "prod"])
    }

    @Test func removeAccountDropsOnlyThatAccount() async throws {
        let h = Harness()
        let other = TestContext.make(account: "111111111111")
        try await h.put("/a", "1")
        try await h.call("PutParameter", ["Name": "/a", "Value": "1", "Type": "String"], other)
        try await h.ssm.removeAccount("000000000000")
        #expect(h.records.count == 1)
        #expect(await h.error("GetParameter", ["Name": "/a"])?.code == "ParameterNotFound")
        #expect(try await h.value("/a", other) == "1")
    }
}
