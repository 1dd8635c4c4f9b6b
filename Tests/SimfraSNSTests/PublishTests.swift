import Crypto
import Foundation
import SimfraCore
import _CryptoExtras
import Testing

@testable import SimfraSNS

/// Publish's checks and the SendMessage it turns into per subscriber.
@Suite struct PublishTests {
    let t = TopicTests()

    @Test func envelopeAndRawCalls() throws {
        let sub = Subscription(arn: "arn:aws:sns:us-east-1:000000000000:t:1", topicArn: "arn:aws:sns:us-east-1:000000000000:t",
                               owner: "000000000000", principal: "p", protocol: "sqs",
                               endpoint: "arn:aws:sqs:us-east-1:000000000000:q", attributes: [:])
        let d = Delivery(topicArn: sub.topicArn, messageId: "m", subject: "s", message: "hi \"x\"",
                         attributes: ["a": ["DataType": "String", "StringValue": "v"]],
                         timestamp: "2026-01-01T00:00:00.000Z", groupId: nil, dedupId: nil, sequence: nil)
        let key = try SigningKey.generate(region: "us-east-1")
        let call = d.call(to: sub, context: t.context(), key: key)
        #expect(call.service == "sqs" && call.operation == "SendMessage")
        #expect(call.asService == "sns.amazonaws.com" && call.sourceArn == sub.topicArn)
        #expect(call.input.string("QueueUrl") == "http://localhost:4599/000000000000/q")
        let body = try #require(call.input.string("MessageBody"))
        let env = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(env["Type"] as? String == "Notification")
        #expect(env["Message"] as? String == "hi \"x\"")
        #expect((env["MessageAttributes"] as? [String: [String: String]])?["a"] == ["Type": "String", "Value": "v"])
        // The signature verifies with the certificate's public key over AWS's canonical string.
        let canonical = "Message\nhi \"x\"\nMessageId\nm\nSubject\ns\nTimestamp\n2026-01-01T00:00:00.000Z\nTopicArn\n\(sub.topicArn)\nType\nNotification\n"
        let sigText = try #require(env["Signature"] as? String)
        let sig = try #require(Data(base64Encoded: sigText))
        #expect(key.privateKey.publicKey.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: sig), for: Insecure.SHA1.hash(data: Array(canonical.utf8)),
            padding: .insecurePKCS1v1_5))
        #expect((env["SigningCertURL"] as? String)?.hasPrefix("http://localhost:4599/_simfra/sns/SimpleNotificationService-") == true)
        var raw = sub
        raw.attributes["RawMessageDelivery"] = "true"
        #expect(d.call(to: raw, context: t.context(), key: key).input.string("MessageBody") == "hi \"x\"")
    }

    @Test func publishChecks() async throws {
        let s = SNSService()
        let fifo = try #require(try await t.call(s, "CreateTopic", ["Name": "f.fifo", "Attributes": ["FifoTopic": "true"]])
            .string("TopicArn"))
        #expect(await t.error(s, "Publish", ["TopicArn": .string(fifo), "Message": "m", "MessageGroupId": "g"])?.message
            == "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
        let out = try await t.call(s, "Publish", ["TopicArn": .string(fifo), "Message": "m", "MessageGroupId": "g",
                                                  "MessageDeduplicationId": "d"])
        #expect(out.string("SequenceNumber") == "00000000000000000001")
        let std = try #require(try await t.call(s, "CreateTopic", ["Name": "s"]).string("TopicArn"))
        #expect(await t.error(s, "Publish", ["TopicArn": .string(std), "Message": "{}", "MessageStructure": "json"])?.message
            == "Invalid parameter: Message Structure - No default entry in JSON message body")
        #expect(try await t.call(s, "Publish", ["TopicArn": .string(std), "Message": "m"]).string("MessageId") != nil)
    }

    @Test func publishBatchSplitsEntryFailures() async throws {
        let s = SNSService()
        let std = try #require(try await t.call(s, "CreateTopic", ["Name": "s"]).string("TopicArn"))
        let out = try await t.call(s, "PublishBatch", ["TopicArn": .string(std), "PublishBatchRequestEntries": [
            ["Id": "a", "Message": "m"], ["Id": "b", "Message": ""]]])
        #expect(out["Successful"]?.listValue?.map { $0.string("Id") } == ["a"])
        #expect(out["Failed"]?.listValue?.first?.string("Message") == "Invalid parameter: Empty message")
        #expect(await t.error(s, "PublishBatch", ["TopicArn": .string(std), "PublishBatchRequestEntries": []])?.code
            == "EmptyBatchRequest")
        #expect(await t.error(s, "PublishBatch", ["TopicArn": .string(std), "PublishBatchRequestEntries": [
            ["Id": "a", "Message": "m"], ["Id": "a", "Message": "n"]]])?.code == "BatchEntryIdsNotDistinct")
    }
}
