import Crypto
import Foundation
import SimfraCore
import SimfraProtocols

/// Publish to a topic's SQS subscribers. The answer comes first; delivery runs afterwards in
/// a task, as in AWS, through the invoker as the SNS service principal with the topic as
/// `aws:SourceArn`, so only a queue whose policy allows the topic receives anything.
extension SNSService {
    func publish(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        if input.string("TopicArn") == nil, input.string("TargetArn") == nil, let phone = input.string("PhoneNumber") {
            return try publishSMS(to: phone, input, context)
        }
        if input.string("TopicArn") == nil, let target = input.string("TargetArn"), target.contains(":endpoint/") {
            return try publishPush(target, input, context)
        }
        guard let topicArn = input.string("TopicArn") ?? input.string("TargetArn") else {
            throw SNSError.invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
        }
        try SNSError.checkArn(topicArn, member: "TopicArn")
        var message = input.string("Message") ?? ""
        if message.isEmpty { throw SNSError.invalidParameter("Empty message") }
        if message.utf8.count > 262_144 { throw SNSError.invalidParameter("Message too long") }
        if let subject = input.string("Subject"),
            subject.isEmpty || subject.utf8.count > 100 || subject.contains(where: { $0.isNewline })
        {
            throw SNSError.invalidParameter("Subject")
        }
        var perProtocol: [String: String] = [:]
        if input.string("MessageStructure") == "json" {
            guard let doc = try? JSONReader.parse(Array(message.utf8)), case .object(let members) = doc else {
                throw SNSError.invalidParameter("Message Structure - JSON message body failed to parse")
            }
            guard let text = doc["default"]?.stringValue else {
                throw SNSError.invalidParameter("Message Structure - No default entry in JSON message body")
            }
            message = text
            for (proto, value) in members { if let v = value.stringValue { perProtocol[proto] = v } }
        }
        let groupId = input.string("MessageGroupId")
        var dedupId = input.string("MessageDeduplicationId")
        let topic = try find(topicArn)
        if topic.isFifo {
            guard groupId != nil else {
                throw SNSError.invalidParameter("The MessageGroupId parameter is required for FIFO topics")
            }
            if dedupId == nil {
                guard topic.attributes["ContentBasedDeduplication"]?.lowercased() == "true" else {
                    throw SNSError.invalidParameter(
                        "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
                }
                // The envelope differs per publish (MessageId), so the hash is of the message.
                dedupId = Hex.encode(SHA256.hash(data: Array(message.utf8)))
            }
        } else if dedupId != nil {
            throw SNSError.invalidParameter(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
        }
        // Numbered only once the publish is accepted: a refused one takes no number.
        let sequence = topic.isFifo ? topics.withLock { all -> UInt64 in
            all[topicArn]?.sequence += 1
            return all[topicArn]?.sequence ?? 0
        } : 0
        let messageId = UUID().uuidString.lowercased()
        let attributes = input["MessageAttributes"]?.objectValue ?? [:]
        let delivery = Delivery(
            topicArn: topicArn, messageId: messageId, subject: input.string("Subject"), message: message,
            attributes: attributes, timestamp: Self.timestamp(), groupId: groupId, dedupId: dedupId,
            sequence: topic.isFifo ? Self.sequenceNumber(sequence) : nil,
            signatureVersion: topic.attributes["SignatureVersion"] == "2" ? "2" : "1", perProtocol: perProtocol)
        let subscriptions = topic.subscriptions
        notePublished(delivery, context)
        Task { await self.deliver(delivery, to: subscriptions, context: context) }
        var out: [String: Value] = ["MessageId": .string(messageId)]
        if let seq = delivery.sequence { out["SequenceNumber"] = .string(seq) }
        return .object(out)
    }

    /// A text straight to a phone number: captured in the inbox, as every SMS is.
    func publishSMS(to phone: String, _ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        guard Self.isPhoneNumber(phone) else {
            throw SNSError.invalidParameter("PhoneNumber Reason: \(phone) is not valid to publish to")
        }
        let message = input.string("Message") ?? ""
        if message.isEmpty { throw SNSError.invalidParameter("Empty message") }
        if message.utf8.count > 262_144 { throw SNSError.invalidParameter("Message too long") }
        let messageId = UUID().uuidString.lowercased()
        _ = inbox.add(InboxMessage(type: "sms", source: "sns", accountId: context.accountId, region: context.region,
                                   to: phone, body: message))
        return ["MessageId": .string(messageId)]
    }

    static func unsubscribeURL(_ subscriptionArn: String, endpoint: String) -> String {
        "\(endpoint)/?Action=Unsubscribe&SubscriptionArn=\(subscriptionArn)"
    }

    static func sequenceNumber(_ n: UInt64) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// ISO 8601 with milliseconds, UTC, as AWS writes `Timestamp`.
    /// A value type, built once: a formatter per publish cost more than the rest of it.
    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    static func timestamp() -> String { timestampStyle.format(Date()) }
}

/// One published message, turned into an SQS SendMessage per subscriber.
struct Delivery: Sendable {
    var topicArn: String
    var messageId: String
    var subject: String?
    var message: String
    var attributes: [String: Value]
    var timestamp: String
    var groupId: String?
    var dedupId: String?
    var sequence: String?
    /// The topic's SignatureVersion ("1" unless set to "2").
    var signatureVersion = "1"
    /// With MessageStructure=json: the message per protocol; `message` is the "default" one.
    var perProtocol: [String: String] = [:]

    func message(for proto: String) -> String { perProtocol[proto] ?? message }
    /// Signatures by message text, made once before the fan-out: the signed string does not
    /// name the subscriber, so ten subscribers share one RSA operation.
    var signatures: [String: String] = [:]

    func signature(of text: String, key: SigningKey) -> String {
        var signed: [String: String] = ["Type": "Notification", "MessageId": messageId, "TopicArn": topicArn,
                                        "Message": text, "Timestamp": timestamp]
        if let subject { signed["Subject"] = subject }
        return key.sign(SigningKey.canonical(signed, type: "Notification"), version: signatureVersion)
    }

    func call(to sub: Subscription, context: RequestContext, key: SigningKey) -> InternalCall {
        let parts = sub.endpoint.split(separator: ":", omittingEmptySubsequences: false)
        var input: [String: Value] = [
            "QueueUrl": .string("\(context.endpoint)/\(parts[4])/\(parts[5])"),
        ]
        if sub.attributes["RawMessageDelivery"]?.lowercased() == "true" {
            input["MessageBody"] = .string(message(for: sub.protocol))
            // Raw delivery hands the message attributes over as SQS message attributes.
            if !attributes.isEmpty { input["MessageAttributes"] = .object(attributes) }
        } else {
            input["MessageBody"] = .string(envelope(sub, context: context, key: key))
        }
        if sub.endpoint.hasSuffix(".fifo") {
            if let groupId { input["MessageGroupId"] = .string(groupId) }
            if let dedupId { input["MessageDeduplicationId"] = .string(dedupId) }
        }
        return InternalCall(service: "sqs", operation: "SendMessage", input: .object(input), onBehalfOf: context,
                            via: nil, asService: "sns.amazonaws.com", sourceArn: topicArn)
    }

    /// AWS's notification JSON, members in AWS's order, signed with the region's key over
    /// AWS's canonical string (SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA).
    func envelope(_ sub: Subscription, context: RequestContext, key: SigningKey) -> String {
        let text = message(for: sub.protocol)
        var out = "{"
        func member(_ name: String, _ value: String) {
            if out.count > 1 { out += "," }
            out += JSONText.quoted(name) + ":" + JSONText.quoted(value)
        }
        member("Type", "Notification")
        member("MessageId", messageId)
        if let sequence { member("SequenceNumber", sequence) }
        member("TopicArn", topicArn)
        if let subject { member("Subject", subject) }
        member("Message", text)
        member("Timestamp", timestamp)
        member("SignatureVersion", signatureVersion)
        member("Signature", signatures[text] ?? signature(of: text, key: key))
        member("SigningCertURL", SNSService.certificateURL(key, endpoint: context.endpoint))
        member("UnsubscribeURL", SNSService.unsubscribeURL(sub.arn, endpoint: context.endpoint))
        if !attributes.isEmpty {
            out += "," + JSONText.quoted("MessageAttributes") + ":{"
            out += attributes.keys.sorted().map { name in
                let a = attributes[name] ?? .empty
                let type = a.string("DataType") ?? "String"
                let value = a.string("StringValue")
                    ?? a.blob("BinaryValue").map { Data($0).base64EncodedString() } ?? ""
                return JSONText.quoted(name) + #":{"Type":"# + JSONText.quoted(type) + #","Value":"#
                    + JSONText.quoted(value) + "}"
            }.joined(separator: ",")
            out += "}"
        }
        return out + "}"
    }
}
