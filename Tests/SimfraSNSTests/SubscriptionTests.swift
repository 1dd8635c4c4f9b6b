import SimfraCore
import Testing

@testable import SimfraSNS

/// SQS subscriptions: confirmed at once, idempotent, attributes checked as AWS does, and
/// gone with their topic.
@Suite struct SubscriptionTests {
    let t = TopicTests()

    @Test func subscribeListAttributesUnsubscribe() async throws {
        let s = SNSService()
        let topic = try #require(try await t.call(s, "CreateTopic", ["Name": "t"]).string("TopicArn"))
        let queue: Value = "arn:aws:sqs:us-east-1:000000000000:q"
        let input: Value = ["TopicArn": .string(topic), "Protocol": "sqs", "Endpoint": queue,
                            "Attributes": ["RawMessageDelivery": "true"]]
        let arn = try #require(try await t.call(s, "Subscribe", input).string("SubscriptionArn"))
        #expect(arn.hasPrefix(topic + ":"))
        #expect(try await t.call(s, "Subscribe", input).string("SubscriptionArn") == arn)
        let attrs = try await t.call(s, "GetSubscriptionAttributes", ["SubscriptionArn": .string(arn)]).stringMap("Attributes")
        #expect(attrs?["PendingConfirmation"] == "false")
        #expect(attrs?["RawMessageDelivery"] == "true")
        #expect(attrs?["Endpoint"] == "arn:aws:sqs:us-east-1:000000000000:q")
        #expect(try await t.call(s, "GetTopicAttributes", ["TopicArn": .string(topic)]).stringMap("Attributes")?[
            "SubscriptionsConfirmed"] == "1")
        #expect(await t.error(s, "Subscribe", ["TopicArn": .string(topic), "Protocol": "sqs", "Endpoint": queue,
                                              "Attributes": ["RawMessageDelivery": "false"]])?.message
            == "Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
        #expect(await t.error(s, "SetSubscriptionAttributes", ["SubscriptionArn": .string(arn),
                                                              "AttributeName": "RawMessageDelivery",
                                                              "AttributeValue": "x"])?.message
            == "Invalid parameter: RawMessageDelivery: Invalid value [x]. Must be true or false.")
        _ = try await t.call(s, "SetSubscriptionAttributes", ["SubscriptionArn": .string(arn),
                                                             "AttributeName": "FilterPolicy",
                                                             "AttributeValue": #"{"a":["b"]}"#])
        let listed = try await t.call(s, "ListSubscriptionsByTopic", ["TopicArn": .string(topic)])
        #expect(listed["Subscriptions"]?.listValue?.first?.string("SubscriptionArn") == arn)
        #expect(try await t.call(s, "ListSubscriptions", .empty)["Subscriptions"]?.listValue?.count == 1)
        _ = try await t.call(s, "Unsubscribe", ["SubscriptionArn": .string(arn)])
        #expect(await t.error(s, "GetSubscriptionAttributes", ["SubscriptionArn": .string(arn)])?.code == "NotFound")
        #expect(await t.error(s, "Unsubscribe", ["SubscriptionArn": "x"])?.message
            == "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1")
    }

    @Test func subscribeErrors() async throws {
        let s = SNSService()
        let topic = try #require(try await t.call(s, "CreateTopic", ["Name": "t"]).string("TopicArn"))
        #expect(await t.error(s, "Subscribe", ["TopicArn": .string(topic), "Protocol": "sqs",
                                              "Endpoint": "http://localhost/q"])?.message
            == "Invalid parameter: SQS endpoint ARN")
        #expect(await t.error(s, "Subscribe", ["TopicArn": .string(topic), "Protocol": "pigeon", "Endpoint": "x"])?.message
            == "Invalid parameter: Amazon SNS does not support this protocol string: pigeon")
        #expect(await t.error(s, "Subscribe", ["TopicArn": .string(topic), "Protocol": "sqs",
                                              "Endpoint": "arn:aws:sqs:us-east-1:000000000000:q.fifo"])?.message
            == "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
        #expect(await t.error(s, "Subscribe", ["TopicArn": "arn:aws:sns:us-east-1:000000000000:none", "Protocol": "sqs",
                                              "Endpoint": "arn:aws:sqs:us-east-1:000000000000:q"])?.code == "NotFound")
        let sub = try #require(try await t.call(s, "Subscribe", ["TopicArn": .string(topic), "Protocol": "sqs",
                                                                 "Endpoint": "arn:aws:sqs:us-east-1:000000000000:q"])
            .string("SubscriptionArn"))
        _ = try await t.call(s, "DeleteTopic", ["TopicArn": .string(topic)])
        #expect(await t.error(s, "GetSubscriptionAttributes", ["SubscriptionArn": .string(sub)])?.code == "NotFound")
    }
}
