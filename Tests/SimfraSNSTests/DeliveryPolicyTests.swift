import SimfraCore
import Testing

@testable import SimfraSNS

/// The HTTP/S retry schedule (AWS's four phases) and which policy applies.
@Suite struct DeliveryPolicyTests {
    @Test func defaultIsThreeRetriesTwentySecondsApart() {
        let p = RetryPolicy.effective(topic: nil, subscription: nil)
        #expect((1...4).map { p.delay(beforeRetry: $0) } == [20, 20, 20, nil])
    }

    @Test func phasesInOrder() {
        let p = RetryPolicy.effective(topic: nil, subscription: #"""
            {"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":9,"numRetries":8,"numNoDelayRetries":2,
             "numMinDelayRetries":1,"numMaxDelayRetries":2,"backoffFunction":"linear"}}
            """#)
        // 2 immediate, 1 at min, 3 backing off linearly from min to max, 2 at max.
        #expect((1...9).map { p.delay(beforeRetry: $0) } == [0, 0, 1, 1, 5, 9, 9, 9, nil])
    }

    @Test func topicCanDisableSubscriptionOverrides() {
        let topic = #"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":3,"maxDelayTarget":3,"numRetries":1},"disableSubscriptionOverrides":true}}"#
        let sub = #"{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":5}}"#
        #expect(RetryPolicy.effective(topic: topic, subscription: sub).numRetries == 1)
        let open = topic.replacingOccurrences(of: "true", with: "false")
        #expect(RetryPolicy.effective(topic: open, subscription: sub).numRetries == 5)
        #expect(SNSService.contentType(topic: #"{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"}}}"#,
                                       subscription: nil) == "application/json")
    }

    @Test func httpSubscriptionWaitsForItsToken() async throws {
        let t = TopicTests()
        let s = SNSService()
        let topic = try #require(try await t.call(s, "CreateTopic", ["Name": "t"]).string("TopicArn"))
        let out = try await t.call(s, "Subscribe", ["TopicArn": .string(topic), "Protocol": "https",
                                                    "Endpoint": "https://example.com/hook"])
        #expect(out.string("SubscriptionArn") == "pending confirmation")
        let sub = try #require(s.topics.withLock { $0[topic]?.subscriptions.first })
        #expect(sub.pending && sub.token?.count == 128)
        #expect(await t.error(s, "ConfirmSubscription", ["TopicArn": .string(topic), "Token": "x"])?.message
            == "Invalid token")
        let confirmed = try await t.call(s, "ConfirmSubscription", ["TopicArn": .string(topic), "Token": .string(sub.token!)])
        #expect(confirmed.string("SubscriptionArn") == sub.arn)
        #expect(s.topics.withLock { $0[topic]?.subscriptions.first?.pending } == false)
    }

    @Test func permissionsRewriteThePolicy() async throws {
        let t = TopicTests()
        let s = SNSService()
        let topic = try #require(try await t.call(s, "CreateTopic", ["Name": "t"]).string("TopicArn"))
        _ = try await t.call(s, "AddPermission", ["TopicArn": .string(topic), "Label": "p", "AWSAccountId": ["111122223333"],
                                                  "ActionName": ["Publish"]])
        let policy = s.topics.withLock { $0[topic]!.policy }
        #expect(policy.contains(#"{"Action":"SNS:Publish","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Resource":"\#(topic)","Sid":"p"}"#))
        #expect(await t.error(s, "AddPermission", ["TopicArn": .string(topic), "Label": "p", "AWSAccountId": ["1"],
                                                   "ActionName": ["Publish"]])?.message
            == "Invalid parameter: Statement already exists")
        #expect(await t.error(s, "AddPermission", ["TopicArn": .string(topic), "Label": "q", "AWSAccountId": ["1"],
                                                   "ActionName": ["sqs:SendMessage"]])?.message
            == "Invalid parameter: Policy statement action out of service scope!")
        _ = try await t.call(s, "RemovePermission", ["TopicArn": .string(topic), "Label": "p"])
        #expect(!s.topics.withLock { $0[topic]!.policy }.contains(#""Sid":"p""#))
        #expect(await t.error(s, "SetTopicAttributes", ["TopicArn": .string(topic), "AttributeName": "Policy",
                                                        "AttributeValue": "{"])?.message
            == "Invalid parameter: Policy Error: null")
    }
}
