import SimfraCore
import Synchronization
import Testing

@testable import SimfraSNS

/// AWS/SNS metrics: publishes, sizes, deliveries and filtered-out messages per TopicName,
/// summed until the flush; nothing counted while no CloudWatch is connected.
@Suite struct SNSMetricsTests {
    let t = TopicTests()
    let d = DeliveryTests()

    final class Sink: MetricSink {
        let points = Mutex<[MetricDatum]>([])
        func publish(accountId: String, region: String, _ data: [MetricDatum]) { points.withLock { $0 += data } }
    }

    @Test func publishedDeliveredFailedAndFilteredOut() async throws {
        let s = SNSService()
        let sink = Sink()
        s.metrics.connect(sink)
        let arn = try await t.call(s, "CreateTopic", ["Name": "t"]).string("TopicArn") ?? ""
        _ = try await t.call(s, "Publish", ["TopicArn": .string(arn), "Message": "hello"])
        _ = try await t.call(s, "Publish", ["TopicArn": .string(arn), "Message": "hi", "MessageAttributes": [
            "k": ["DataType": "String", "StringValue": "v"]]])
        var lambda = d.sub("lambda")
        lambda.endpoint = "arn:aws:lambda:us-east-1:000000000000:function:f"
        let email = d.sub("email-json")
        let byAttributes = d.sub("sqs", ["FilterPolicy": #"{"color":["red"]}"#])
        let byBody = d.sub("sqs", ["FilterPolicy": #"{"a":["b"]}"#, "FilterPolicyScope": "MessageBody"])
        await s.deliver(d.delivery("m"), to: [lambda, email, byAttributes, byBody], context: t.context())
        s.metrics.flushNow()
        let points = sink.points.withLock { $0 }
        func sum(_ name: String) -> Double? { points.first { $0.name == name }?.statistics?.sum }
        #expect(sum("NumberOfMessagesPublished") == 2)
        #expect(points.first { $0.name == "PublishSize" }?.statistics
            == .init(sampleCount: 2, sum: 5 + 2 + 1 + 6 + 1, minimum: 5, maximum: 10))
        #expect(points.first { $0.name == "PublishSize" }?.unit == "Bytes")
        #expect(sum("NumberOfNotificationsDelivered") == 1)
        #expect(sum("NumberOfNotificationsFailed") == 1)
        #expect(sum("NumberOfNotificationsFilteredOut") == 2)
        #expect(sum("NumberOfNotificationsFilteredOut-MessageAttributes") == 1)
        #expect(sum("NumberOfNotificationsFilteredOut-MessageBody") == 1)
        #expect(points.allSatisfy { $0.namespace == "AWS/SNS" && $0.dimensions.map(\.name) == ["TopicName"]
            && $0.dimensions[0].value == "t" })
    }

    @Test func nothingWithoutCloudWatch() async throws {
        let s = SNSService()
        let arn = try await t.call(s, "CreateTopic", ["Name": "t"]).string("TopicArn") ?? ""
        _ = try await t.call(s, "Publish", ["TopicArn": .string(arn), "Message": "hello"])
        let sink = Sink()
        s.metrics.connect(sink)
        s.metrics.flushNow()
        #expect(sink.points.withLock { $0 }.isEmpty)
    }
}
