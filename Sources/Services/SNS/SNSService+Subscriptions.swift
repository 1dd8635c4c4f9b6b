import Foundation
import SimfraCore
import SimfraProtocols

/// Subscribe, ConfirmSubscription, Unsubscribe, the two listings and subscription attributes.
/// HTTP/S and email endpoints start pending: the returned subscription is the one whose
/// confirmation request must be sent once the change is durable.
extension SNSService {
    func subscribe(_ input: Value, _ context: RequestContext) throws(AWSError) -> (Value, Subscription?) {
        let topicArn = input.string("TopicArn") ?? ""
        try SNSError.checkArn(topicArn, member: "TopicArn")
        let parts = topicArn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts[3] == context.region else { throw SNSError.invalidParameter("TopicArn") }
        let proto = input.string("Protocol") ?? "", endpoint = input.string("Endpoint") ?? ""
        switch proto {
        case "sqs":
            guard Subscription.isQueueArn(endpoint) else { throw SNSError.invalidParameter("SQS endpoint ARN") }
        case "http", "https":
            guard endpoint.lowercased().hasPrefix(proto + "://") else {
                throw SNSError.invalidParameter("Endpoint must match the specified protocol")
            }
        case "email", "email-json":
            guard Self.isEmailAddress(endpoint) else { throw SNSError.invalidParameter("Email address") }
        case "sms":
            guard Self.isPhoneNumber(endpoint) else {
                throw AWSError(code: "InvalidParameter", message: "Invalid SMS endpoint: \(endpoint)", status: 400)
            }
        case "lambda":
            let p = endpoint.split(separator: ":", omittingEmptySubsequences: false)
            guard p.count >= 7, p[0] == "arn", p[2] == "lambda", p[5] == "function" else {
                throw SNSError.invalidParameter("Lambda endpoint ARN")
            }
        case "application":
            _ = try Self.appArn(ofEndpoint: endpoint)
        case "firehose":
            throw SNSError.invalidParameter("Protocol Reason: Simfra does not deliver to \(proto) endpoints yet")
        default:
            throw SNSError.invalidParameter("Amazon SNS does not support this protocol string: \(proto)")
        }
        let attributes = input.stringMap("Attributes") ?? [:]
        for (name, value) in attributes { try Subscription.validate(name, value, prefix: "Attributes Reason: ") }
        if let policy = attributes["FilterPolicy"] {
            try Subscription.checkFilter(policy, scope: attributes["FilterPolicyScope"], inAttributes: true)
        }
        let returnArn = input["ReturnSubscriptionArn"]?.boolValue == true
        return try topics.withLock { (all: inout [String: Topic]) throws(AWSError) -> (Value, Subscription?) in
            guard var topic = all[topicArn] else { throw SNSError.topicNotFound }
            try Self.checkFifoDeadLetter(topic: topic, endpoint: endpoint, redrive: attributes["RedrivePolicy"],
                                         prefix: "Attributes Reason: ")
            if !topic.isFifo, endpoint.hasSuffix(".fifo") {
                throw SNSError.invalidParameter(
                    "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
            }
            if let existing = topic.subscriptions.first(where: { $0.protocol == proto && $0.endpoint == endpoint }) {
                let current = existing.allAttributes()
                if attributes.contains(where: { current[$0.key] != $0.value }) {
                    throw SNSError.invalidParameter("Attributes Reason: Subscription already exists with different attributes")
                }
                // Subscribing a pending endpoint again sends its confirmation again.
                if existing.pending {
                    return (["SubscriptionArn": .string(returnArn ? existing.arn : "pending confirmation")], existing)
                }
                return (["SubscriptionArn": .string(existing.arn)], nil)
            }
            let arn = topicArn + ":" + UUID().uuidString.lowercased()
            var sub = Subscription(
                arn: arn, topicArn: topicArn, owner: context.accountId, principal: context.principalArn,
                protocol: proto, endpoint: endpoint, attributes: attributes)
            if !Subscription.confirmsAtOnce(proto) {
                sub.pending = true
                sub.token = Self.confirmationToken()
            }
            topic.subscriptions.append(sub)
            all[topicArn] = topic
            if sub.pending {
                return (["SubscriptionArn": .string(returnArn ? arn : "pending confirmation")], sub)
            }
            return (["SubscriptionArn": .string(arn)], nil)
        }
    }

    /// A FIFO topic's FIFO queue subscription needs a FIFO DLQ, as AWS requires.
    static func checkFifoDeadLetter(topic: Topic, endpoint: String, redrive: String?, prefix: String) throws(AWSError) {
        guard topic.isFifo, endpoint.hasSuffix(".fifo"), let redrive, !redrive.isEmpty,
            let dlq = (try? JSONReader.parse(Array(redrive.utf8)))?["deadLetterTargetArn"]?.stringValue,
            !dlq.hasSuffix(".fifo")
        else { return }
        throw SNSError.invalidParameter("\(prefix)RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.")
    }

    /// AWS's tokens are long hex strings; this one is 256 bits of randomness.
    static func confirmationToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", g.next() as UInt64) }.joined()
            + (0..<4).map { _ in String(format: "%016llx", g.next() as UInt64) }.joined()
    }

    static func isEmailAddress(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".")
            && !parts[1].hasSuffix(".") && !s.contains(where: { $0.isWhitespace })
    }

    /// E.164: an optional `+`, then 1–15 digits not starting with 0.
    static func isPhoneNumber(_ s: String) -> Bool {
        let digits = s.hasPrefix("+") ? s.dropFirst() : Substring(s)
        return (1...15).contains(digits.count) && digits.first != "0" && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    func confirmSubscription(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let topicArn = input.string("TopicArn") ?? "", token = input.string("Token") ?? ""
        try SNSError.checkArn(topicArn, member: "TopicArn")
        let signed = context.principalArn != "anonymous"
        let authenticate = signed && input.string("AuthenticateOnUnsubscribe")?.lowercased() == "true"
        return try topics.withLock { (all: inout [String: Topic]) throws(AWSError) -> Value in
            guard var topic = all[topicArn] else { throw SNSError.invalidParameter("Token") }
            // The SubscribeURL of an UnsubscribeConfirmation brings the subscription back.
            if !token.isEmpty, !topic.subscriptions.contains(where: { $0.token == token }),
                let restored = unsubscribed.withLock({ $0.removeValue(forKey: token) }), restored.topicArn == topicArn
            {
                topic.subscriptions.append(restored)
                all[topicArn] = topic
            }
            guard !token.isEmpty, let i = topic.subscriptions.firstIndex(where: { $0.token == token }) else {
                throw AWSError(code: "InvalidParameter", message: "Invalid token", status: 400)
            }
            // Confirming twice answers the same subscription; the token stays valid.
            if topic.subscriptions[i].pending {
                topic.subscriptions[i].pending = false
                topic.subscriptions[i].authenticated = authenticate
                all[topicArn] = topic
            }
            return ["SubscriptionArn": .string(topic.subscriptions[i].arn)]
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

    func unsubscribe(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let arn = input.string("SubscriptionArn") ?? ""
        let topicArn = try Self.topicArn(ofSubscription: arn)
        // The UnsubscribeURL works unsigned, unless the subscription was confirmed with
        // AuthenticateOnUnsubscribe.
        if context.principalArn == "anonymous",
            topics.withLock({ $0[topicArn]?.subscriptions.first { $0.arn == arn }?.authenticated }) == true
        {
            throw AWSError(code: "AuthorizationError",
                           message: "This subscription requires authentication to unsubscribe", status: 403)
        }
        // Unsubscribing twice succeeds, as deleting a missing topic does.
        let removed = topics.withLock { all -> Subscription? in
            guard let i = all[topicArn]?.subscriptions.firstIndex(where: { $0.arn == arn }) else { return nil }
            return all[topicArn]?.subscriptions.remove(at: i)
        }
        // An HTTP/S endpoint is told, with a SubscribeURL that restores the subscription.
        if var gone = removed, gone.protocol == "http" || gone.protocol == "https", !gone.pending {
            if gone.token == nil { gone.token = Self.confirmationToken() }
            let restorable = gone
            unsubscribed.withLock { stash in
                if stash.count > 1000 { stash.removeAll() }
                stash[restorable.token!] = restorable
            }
            Task { await self.sendConfirmation(restorable, type: "UnsubscribeConfirmation", context: context) }
        }
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
        if name == "RedrivePolicy", let topic = topics.withLock({ $0[sub.topicArn] }) {
            try Self.checkFifoDeadLetter(topic: topic, endpoint: sub.endpoint, redrive: value, prefix: "")
        }
        // A policy is checked against the scope it will be applied in, whichever changes.
        if name == "FilterPolicy" {
            try Subscription.checkFilter(value, scope: sub.attributes["FilterPolicyScope"], inAttributes: false)
        } else if name == "FilterPolicyScope", let policy = sub.attributes["FilterPolicy"] {
            try Subscription.checkFilter(policy, scope: value, inAttributes: false)
        }
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
