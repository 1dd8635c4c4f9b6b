import SimfraCore
import Testing

@testable import SimfraSNS

/// What delivery decides without I/O: filter policies per scope, Lambda failures recorded,
/// pending subscriptions skipped, one signature shared by every subscriber of a message.
@Suite struct DeliveryTests {
    let t = TopicTests()

    func delivery(_ message: String, _ attributes: [String: Value] = [:]) -> Delivery {
        Delivery(topicArn: "arn:aws:sns:us-east-1:000000000000:t", messageId: "m", subject: nil, message: message,
                 attributes: attributes, timestamp: "2026-01-01T00:00:00.000Z", groupId: nil, dedupId: nil,
                 sequence: nil)
    }

    func sub(_ proto: String = "sqs", _ attributes: [String: String] = [:]) -> Subscription {
        Subscription(arn: "arn:aws:sns:us-east-1:000000000000:t:1", topicArn: "arn:aws:sns:us-east-1:000000000000:t",
                     owner: "000000000000", principal: "p", protocol: proto,
                     endpoint: "arn:aws:sqs:us-east-1:000000000000:q", attributes: attributes)
    }

    @Test func filterPoliciesByScope() {
        let s = SNSService()
        let red = sub("sqs", ["FilterPolicy": #"{"color":["red"],"n":[{"numeric":[">",10]}]}"#])
        #expect(s.passes(delivery("x", ["color": ["DataType": "String", "StringValue": "red"],
                                        "n": ["DataType": "Number", "StringValue": "11"]]), red))
        #expect(!s.passes(delivery("x", ["color": ["DataType": "String", "StringValue": "red"],
                                         "n": ["DataType": "Number", "StringValue": "10"]]), red))
        #expect(!s.passes(delivery("x"), red))
        let body = sub("sqs", ["FilterPolicy": #"{"order":{"kind":["return"]}}"#, "FilterPolicyScope": "MessageBody"])
        #expect(s.passes(delivery(#"{"order":{"kind":"return"}}"#), body))
        #expect(!s.passes(delivery(#"{"order":{"kind":"sale"}}"#), body))
        #expect(!s.passes(delivery("not json"), body))
        #expect(s.passes(delivery("anything"), sub()))
    }

    @Test func lambdaDeliveryIsRecordedAsFailed() async throws {
        let s = SNSService()
        var lambda = sub("lambda")
        lambda.endpoint = "arn:aws:lambda:us-east-1:000000000000:function:f"
        var pending = sub("http")
        pending.pending = true
        await s.deliver(delivery("m"), to: [lambda, pending], context: t.context())
        let failures = s.failures.withLock { $0 }
        #expect(failures.map(\.reason) == [SNSService.lambdaUnavailable])
        #expect(failures.first?.subscriptionArn == lambda.arn)
    }

    @Test func oneSignaturePerMessageText() throws {
        let key = try SigningKey.generate(region: "us-east-1")
        var d = delivery("shared")
        let signature = d.signature(of: "shared", key: key)
        d.signatures["shared"] = signature
        var other = sub()
        other.arn += "2"
        // Both envelopes carry the precomputed signature: it does not depend on the subscriber.
        #expect(d.envelope(sub(), context: t.context(), key: key).contains(signature))
        #expect(d.envelope(other, context: t.context(), key: key).contains(signature))
    }
}
