import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraSNS

/// A service restored from the records another wrote sees the same topics, tags and
/// subscriptions; deleted topics and removed accounts leave no record.
@Suite struct PersistenceTests {
    let t = TopicTests()

    @Test func restoreRoundTrip() async throws {
        let records = InMemoryRecords()
        let s = SNSService(records: records)
        let arn = try #require(try await t.call(s, "CreateTopic", ["Name": "t", "Tags": [["Key": "k", "Value": "v"]]])
            .string("TopicArn"))
        let sub = try #require(try await t.call(s, "Subscribe", ["TopicArn": .string(arn), "Protocol": "sqs",
                                                                 "Endpoint": "arn:aws:sqs:us-east-1:000000000000:q"])
            .string("SubscriptionArn"))
        _ = try await t.call(s, "SetTopicAttributes", ["TopicArn": .string(arn), "AttributeName": "DisplayName",
                                                       "AttributeValue": "D"])
        let gone = try #require(try await t.call(s, "CreateTopic", ["Name": "gone"]).string("TopicArn"))
        _ = try await t.call(s, "DeleteTopic", ["TopicArn": .string(gone)])
        let restored = SNSService(records: records)
        try restored.restore()
        let attrs = try await t.call(restored, "GetTopicAttributes", ["TopicArn": .string(arn)]).stringMap("Attributes")
        #expect(attrs?["DisplayName"] == "D")
        #expect(attrs?["SubscriptionsConfirmed"] == "1")
        #expect(try await t.call(restored, "ListTagsForResource", ["ResourceArn": .string(arn)])["Tags"]
            == Value.list([["Key": "k", "Value": "v"]]))
        #expect(try await t.call(restored, "GetSubscriptionAttributes", ["SubscriptionArn": .string(sub)])
            .stringMap("Attributes")?["Endpoint"] == "arn:aws:sqs:us-east-1:000000000000:q")
        #expect(await t.error(restored, "GetTopicAttributes", ["TopicArn": .string(gone)])?.code == "NotFound")
        try await restored.removeAccount("000000000000")
        let empty = SNSService(records: records)
        try empty.restore()
        #expect(try await t.call(empty, "ListTopics", .empty)["Topics"]?.listValue?.isEmpty == true)
    }
}
