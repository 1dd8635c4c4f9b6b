import Foundation
import SimfraCore
import Testing

@testable import SimfraSNS

/// Topics through the service's `handle` entry point, with inputs shaped as the awsQuery
/// codec produces them.
@Suite struct TopicTests {
    func context(_ account: String = "000000000000", region: String = "us-east-1") -> RequestContext {
        RequestContext(
            requestId: "req", accountId: account, region: region, principalArn: "arn:aws:iam::\(account):root",
            userId: account, accessKeyId: "AKIAIOSFODNN7EXAMPLE", service: "sns", operation: "",
            endpoint: "http://localhost:4599", host: "localhost:4599")
    }

    func call(_ s: SNSService, _ op: String, _ input: Value, account: String = "000000000000") async throws -> Value {
        try await s.handle(operation: op, input: input, context: context(account))
    }

    func error(_ s: SNSService, _ op: String, _ input: Value) async -> AWSError? {
        do {
            _ = try await call(s, op, input)
            return nil
        } catch let e as AWSError { return e } catch { return nil }
    }

    @Test func createGetDeleteWithDefaultPolicy() async throws {
        let s = SNSService()
        let arn = try #require(try await call(s, "CreateTopic", ["Name": "orders"]).string("TopicArn"))
        #expect(arn == "arn:aws:sns:us-east-1:000000000000:orders")
        // Idempotent with nothing restated.
        #expect(try await call(s, "CreateTopic", ["Name": "orders"]).string("TopicArn") == arn)
        let attrs = try #require(try await call(s, "GetTopicAttributes", ["TopicArn": .string(arn)]).stringMap("Attributes"))
        #expect(attrs["Owner"] == "000000000000")
        #expect(attrs["DisplayName"] == "")
        #expect(attrs["SubscriptionsConfirmed"] == "0")
        #expect(attrs["FifoTopic"] == nil)
        let policy = try #require(attrs["Policy"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(policy.utf8)) as? [String: Any])
        #expect(doc["Id"] as? String == "__default_policy_ID")
        let statement = try #require((doc["Statement"] as? [[String: Any]])?.first)
        #expect(statement["Resource"] as? String == arn)
        #expect((statement["Action"] as? [String])?.count == 8)
        #expect(try JSONSerialization.jsonObject(with: Data(try #require(attrs["EffectiveDeliveryPolicy"]).utf8)) is [String: Any])
        _ = try await call(s, "DeleteTopic", ["TopicArn": .string(arn)])
        #expect(await error(s, "GetTopicAttributes", ["TopicArn": .string(arn)])?.code == "NotFound")
        // Deleting again succeeds, as in AWS.
        _ = try await call(s, "DeleteTopic", ["TopicArn": .string(arn)])
    }

    @Test func fifoTopicsAndNameRules() async throws {
        let s = SNSService()
        let fifo: Value = ["Name": "o.fifo", "Attributes": ["FifoTopic": "true", "ContentBasedDeduplication": "true"]]
        let arn = try #require(try await call(s, "CreateTopic", fifo).string("TopicArn"))
        let attrs = try await call(s, "GetTopicAttributes", ["TopicArn": .string(arn)]).stringMap("Attributes")
        #expect(attrs?["FifoTopic"] == "true")
        #expect(attrs?["ContentBasedDeduplication"] == "true")
        #expect(try await call(s, "CreateTopic", fifo).string("TopicArn") == arn)
        let different: Value = ["Name": "o.fifo", "Attributes": ["FifoTopic": "true", "ContentBasedDeduplication": "false"]]
        #expect(await error(s, "CreateTopic", different)?.message
            == "Invalid parameter: Attributes Reason: Topic already exists with different attributes")
        for bad: Value in [["Name": "x.fifo"], ["Name": "x", "Attributes": ["FifoTopic": "true"]], ["Name": "a b"],
                           ["Name": ""], ["Name": .string(String(repeating: "a", count: 257))]] {
            let e = await error(s, "CreateTopic", bad)
            #expect(e?.code == "InvalidParameter" && e?.message == "Invalid parameter: Topic Name")
        }
        #expect(await error(s, "SetTopicAttributes", ["TopicArn": .string(arn), "AttributeName": "FifoTopic",
                                                       "AttributeValue": "false"])?.message == "Invalid parameter: AttributeName")
        let malformed = await error(s, "GetTopicAttributes", ["TopicArn": "nope"])
        #expect(malformed?.message == "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
        #expect(malformed?.status == 400)
    }

    @Test func setAttributesTagsAndPaging() async throws {
        let s = SNSService()
        let arn = try #require(try await call(s, "CreateTopic", ["Name": "t", "Tags": [["Key": "k1", "Value": "v1"]]])
            .string("TopicArn"))
        _ = try await call(s, "SetTopicAttributes", ["TopicArn": .string(arn), "AttributeName": "DisplayName",
                                                     "AttributeValue": "Shown"])
        #expect(try await call(s, "GetTopicAttributes", ["TopicArn": .string(arn)]).stringMap("Attributes")?["DisplayName"]
            == "Shown")
        #expect(await error(s, "CreateTopic", ["Name": "t", "Tags": [["Key": "k1", "Value": "other"]]])?.message
            == "Invalid parameter: Tags Reason: Topic already exists with different tags")
        _ = try await call(s, "TagResource", ["ResourceArn": .string(arn), "Tags": [["Key": "k2", "Value": "v2"],
                                                                                    ["Key": "k1", "Value": "v1b"]]])
        _ = try await call(s, "UntagResource", ["ResourceArn": .string(arn), "TagKeys": ["k2"]])
        let tags = try await call(s, "ListTagsForResource", ["ResourceArn": .string(arn)])["Tags"]
        #expect(tags == Value.list([["Key": "k1", "Value": "v1b"]]))
        #expect(await error(s, "TagResource", ["ResourceArn": .string(arn), "Tags": [["Key": "a", "Value": "1"],
                                                                                     ["Key": "a", "Value": "2"]]])?.message
            == "Invalid parameter: Duplicated keys are not allowed.")
        for i in 0..<150 { _ = try await call(s, "CreateTopic", ["Name": .string("p\(i)")]) }
        _ = try await call(s, "CreateTopic", ["Name": "elsewhere"], account: "111111111111")
        let first = try await call(s, "ListTopics", .empty)
        #expect(first["Topics"]?.listValue?.count == 100)
        let token = try #require(first.string("NextToken"))
        let second = try await call(s, "ListTopics", ["NextToken": .string(token)])
        #expect(second["Topics"]?.listValue?.count == 51)
        #expect(second.string("NextToken") == nil)
        try await s.removeAccount("000000000000")
        #expect(try await call(s, "ListTopics", .empty)["Topics"]?.listValue?.count == 0)
        #expect(try await call(s, "ListTopics", .empty, account: "111111111111")["Topics"]?.listValue?.count == 1)
    }

    @Test func actionTable() {
        let s = SNSService()
        let create = s.authorization(operation: "CreateTopic", input: ["Name": "t", "Tags": [["Key": "a", "Value": "b"]]],
                                     context: context())
        #expect(create?.map(\.action) == ["sns:CreateTopic", "sns:TagResource"])
        #expect(create?.first?.resources == ["arn:aws:sns:us-east-1:000000000000:t"])
        for op in s.implementedOperations {
            #expect(s.authorization(operation: op, input: ["TopicArn": "arn:aws:sns:us-east-1:0:t"], context: context())?
                .isEmpty == false)
        }
    }
}
