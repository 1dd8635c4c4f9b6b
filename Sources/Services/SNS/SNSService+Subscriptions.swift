import Foundation
import SimfraCore

/// Subscribe, Unsubscribe, the two listings and subscription attributes. Only the `sqs`
/// protocol is accepted for now (delivery itself comes with Publish).
extension SNSService {
    func subscribe(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let topicArn = input.string("TopicArn") ?? ""
        try SNSError.checkArn(topicArn, member: "TopicArn")
        let parts = topicArn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts[3] == context.region else { throw SNSError.invalidParameter("TopicArn") }
        let proto = input.string("Protocol") ?? "", endpoint = input.string("Endpoint") ?? ""
        switch proto {
        case "sqs":
            guard Subscription.isQueueArn(endpoint) else { throw SNSError.invalidParameter("SQS endpoint ARN") }
        case "http", "https", "email", "email-json", "sms", "lambda", "firehose", "application":
            throw SNSError.invalidParameter("Protocol Reason: Simfra does not deliver to \(proto) endpoints yet")
        default:
            throw SNSError.invalidParameter("Amazon SNS does not support this protocol string: \(proto)")
        }
        let attributes = input.stringMap("Attributes") ?? [:]
        for (name, value) in attributes { try Subscription.validate(name, value, prefix: "Attributes Reason: ") }
        return try topics.withLock { (all: inout [String: Topic]) throws(AWSError) -> Value in
            guard var topic = all[topicArn] else { throw SNSError.topicNotFound }
            if !topic.isFifo, endpoint.hasSuffix(".fifo") {
                throw SNSError.invalidParameter(
                    "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
            }
            if let existing = topic.subscriptions.first(where: { $0.protocol == proto && $0.endpoint == endpoint }) {
                let current = existing.allAttributes()
                if attributes.contains(where: { current[$0.key] != $0.value }) {
                    throw SNSError.invalidParameter("Attributes Reason: Subscription already exists with different attributes")
                }
                return ["SubscriptionArn": .string(existing.arn)]
            }
            let arn = topicArn + ":" + UUID().uuidString.lowercased()
            topic.subscriptions.append(Subscription(
                arn: arn, topicArn: topicArn, owner: context.accountId, principal: context.principalArn,
                protocol: proto, endpoint: endpoint, attributes: attributes))
            all[topicArn] = topic
            return ["SubscriptionArn": .string(arn)]
        }
    }

    /// The topic ARN inside a subscription ARN, after AWS's format checks.
    static func topicArn(ofSubscription arn: String) throws(AWSError) -> String {
        if arn.isEmpty { throw SNSError.invalidParameter("SubscriptionArn Reason: no value for required parameter") }
        try SNSError.checkArn(arn, member: "SubscriptionArn")
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 7, UUID(uuidString: String(parts[6])) != nil else {
            throw SNSError.invalidParameter("SubscriptionId")
        }
        return parts[0..<6].joined(separator: ":")
    }

    func unsubscribe(_ input: Value) throws(AWSError) -> Value {
        let arn = input.string("SubscriptionArn") ?? ""
        let topicArn = try Self.topicArn(ofSubscription: arn)
        // Unsubscribing twice succeeds, as deleting a missing topic does.
        topics.withLock { all in all[topicArn]?.subscriptions.removeAll { $0.arn == arn } }
        return .empty
    }

    func subscription(_ arn: String) throws(AWSError) -> Subscription {
        let topicArn = try Self.topicArn(ofSubscription: arn)
        guard let sub = topics.withLock({ $0[topicArn]?.subscriptions.first { $0.arn == arn } }) else {
            throw AWSError(code: "NotFound", message: "Subscription does not exist", status: 404)
        }
        return sub
    }

    func setSubscriptionAttributes(_ input: Value) throws(AWSError) -> Value {
        let arn = input.string("SubscriptionArn") ?? ""
        let name = input.string("AttributeName") ?? "", value = input.string("AttributeValue") ?? ""
        let sub = try subscription(arn)
        try Subscription.validate(name, value, prefix: "")
        topics.withLock { all in
            guard let i = all[sub.topicArn]?.subscriptions.firstIndex(where: { $0.arn == arn }) else { return }
            if value.isEmpty {
                all[sub.topicArn]?.subscriptions[i].attributes.removeValue(forKey: name)
            } else {
                all[sub.topicArn]?.subscriptions[i].attributes[name] = value
            }
        }
        return .empty
    }

    /// Pages of 100 in ARN order; the token is the last subscription ARN returned.
    static func page(_ subs: [Subscription], after: String?) -> Value {
        let rest = subs.sorted { $0.arn < $1.arn }.filter { after == nil || after!.isEmpty || $0.arn > after! }
        let page = rest.prefix(100)
        var out: [String: Value] = ["Subscriptions": .list(page.map(\.summary))]
        if rest.count > 100, let last = page.last { out["NextToken"] = .string(last.arn) }
        return .object(out)
    }

    func listSubscriptions(_ input: Value, _ context: RequestContext) -> Value {
        let subs = topics.withLock { all in
            all.values.filter { $0.region == context.region }.flatMap(\.subscriptions)
                .filter { $0.owner == context.accountId }
        }
        return Self.page(subs, after: input.string("NextToken"))
    }

    func listSubscriptionsByTopic(_ input: Value) throws(AWSError) -> Value {
        let topic = try find(input.string("TopicArn") ?? "")
        return Self.page(topic.subscriptions, after: input.string("NextToken"))
    }
}
