import Foundation
import SimfraCore
import SimfraEventing
import SimfraProtocols

/// A delivery that failed for good, kept (bounded) so the failure is visible, not hidden.
struct DeliveryFailure: Sendable {
    var subscriptionArn: String
    var messageId: String
    var reason: String
}

/// Everything after Publish has answered: one copy per confirmed subscriber, by protocol.
/// SQS goes through the invoker as `sns.amazonaws.com`; HTTP/S is POSTed with the retry
/// policy; email, email-json and SMS are captured in the inbox; Lambda is not there yet.
/// What cannot be delivered goes to the subscription's redrive DLQ when it has one.
extension SNSService {
    static let lambdaUnavailable = "Lambda is not available in this Simfra yet"

    func deliver(_ delivery: Delivery, to subscriptions: [Subscription], context: RequestContext) async {
        guard let key = try? await signingKey(region: context.region) else { return }
        let targets = subscriptions.filter { !$0.pending && passes(delivery, $0) }
        noteFiltered(delivery, subscriptions, passed: targets.count, context)
        var delivery = delivery
        let enveloped = targets.filter { $0.attributes["RawMessageDelivery"]?.lowercased() != "true" }
        for text in Set(enveloped.map { delivery.message(for: $0.protocol) }) {
            delivery.signatures[text] = delivery.signature(of: text, key: key)
        }
        await withTaskGroup(of: Void.self) { [delivery] group in
            for sub in targets {
                group.addTask { await self.deliverCounted(delivery, to: sub, context: context, key: key) }
            }
        }
    }

    func deliver(_ d: Delivery, to sub: Subscription, context: RequestContext, key: SigningKey) async {
        switch sub.protocol {
        case "sqs":
            do {
                _ = try await invoker.invoke(d.call(to: sub, context: context, key: key))
            } catch {
                await undeliverable(d, sub, context: context, key: key, reason: "\(error)")
            }
        case "http", "https":
            await post(d, to: sub, context: context, key: key)
        case "email":
            let topicName = d.topicArn.split(separator: ":").last.map(String.init) ?? ""
            let body = d.message(for: "email") + "\n\n--\nIf you wish to stop receiving notifications from this topic, "
                + "please click or visit the link below to unsubscribe:\n"
                + Self.unsubscribeURL(sub.arn, endpoint: context.endpoint)
                + "\n\nPlease do not reply directly to this email. If you have any questions or comments regarding "
                + "this email, please contact us at https://aws.amazon.com/support"
            _ = inbox.add(InboxMessage(
                type: "email", source: "sns", accountId: sub.owner, region: context.region,
                from: "\(displayName(d.topicArn) ?? "AWS Notifications") <no-reply@sns.amazonaws.com>", to: sub.endpoint,
                subject: d.subject ?? "AWS Notification Message", body: body,
                links: ["unsubscribe": Self.unsubscribeURL(sub.arn, endpoint: context.endpoint), "topic": topicName]))
        case "email-json":
            _ = inbox.add(InboxMessage(
                type: "email-json", source: "sns", accountId: sub.owner, region: context.region,
                from: "no-reply@sns.amazonaws.com", to: sub.endpoint, subject: d.subject ?? "AWS Notification Message",
                body: d.envelope(sub, context: context, key: key),
                links: ["unsubscribe": Self.unsubscribeURL(sub.arn, endpoint: context.endpoint)]))
        case "sms":
            let prefix = displayName(d.topicArn).map { $0.isEmpty ? "" : $0 + "> " } ?? ""
            _ = inbox.add(InboxMessage(
                type: "sms", source: "sns", accountId: sub.owner, region: context.region, to: sub.endpoint,
                body: prefix + d.message(for: "sms")))
        case "application":
            let appArn = (try? Self.appArn(ofEndpoint: sub.endpoint)) ?? ""
            guard let app = apps.withLock({ $0[appArn] }), let endpoint = app.endpoints[sub.endpoint], endpoint.enabled else {
                await undeliverable(d, sub, context: context, key: key, reason: "the platform endpoint is missing or disabled")
                return
            }
            _ = inbox.add(InboxMessage(type: "push", source: "sns", accountId: app.accountId, region: app.region,
                                       from: app.arn, to: endpoint.token, subject: d.subject,
                                       body: d.message(for: app.platform), links: ["endpoint": sub.endpoint]))
        case "lambda":
            await undeliverable(d, sub, context: context, key: key, reason: Self.lambdaUnavailable)
        default:
            await undeliverable(d, sub, context: context, key: key,
                                reason: "Simfra does not deliver to \(sub.protocol) endpoints")
        }
    }

    /// Whether the subscription's filter policy lets the message through (no policy: yes).
    /// Compiled policies are cached by text and scope: publishing does not recompile them.
    func passes(_ d: Delivery, _ sub: Subscription) -> Bool {
        guard let text = sub.attributes["FilterPolicy"], !text.isEmpty else { return true }
        let bodyScope = sub.attributes["FilterPolicyScope"] == "MessageBody"
        let cacheKey = (bodyScope ? "B" : "A") + text
        let policy: FilterPolicy
        if let cached = filterCache.withLock({ $0[cacheKey] }) {
            policy = cached
        } else {
            guard let compiled = try? FilterPolicy(json: text, scope: bodyScope ? .messageBody : .messageAttributes)
            else { return false }
            filterCache.withLock { cache in
                if cache.count > 10_000 { cache.removeAll() }
                cache[cacheKey] = compiled
            }
            policy = compiled
        }
        if bodyScope { return policy.matches(body: d.message(for: sub.protocol)) }
        var attributes: [String: FilterPolicy.Attribute] = [:]
        for (name, a) in d.attributes {
            attributes[name] = FilterPolicy.Attribute(dataType: a.string("DataType") ?? "String",
                                                      stringValue: a.string("StringValue"))
        }
        return policy.matches(attributes: attributes)
    }

    func displayName(_ topicArn: String) -> String? {
        topics.withLock { $0[topicArn]?.attributes["DisplayName"] }
    }

    /// POSTs the notification, retrying 5xx, 429 and unreachable endpoints as the effective
    /// `healthyRetryPolicy` says; other answers are final. Pending retries live only here.
    func post(_ d: Delivery, to sub: Subscription, context: RequestContext, key: SigningKey) async {
        let raw = sub.attributes["RawMessageDelivery"]?.lowercased() == "true"
        let topicPolicy = topics.withLock { $0[d.topicArn]?.attributes["DeliveryPolicy"] }
        let policy = RetryPolicy.effective(topic: topicPolicy, subscription: sub.attributes["DeliveryPolicy"])
        var headers = [
            ("x-amz-sns-message-type", "Notification"), ("x-amz-sns-message-id", d.messageId),
            ("x-amz-sns-topic-arn", d.topicArn), ("x-amz-sns-subscription-arn", sub.arn),
            ("Content-Type", Self.contentType(topic: topicPolicy, subscription: sub.attributes["DeliveryPolicy"])),
            ("User-Agent", "Amazon Simple Notification Service Agent"),
        ]
        if raw { headers.append(("x-amz-sns-rawdelivery", "true")) }
        let body = Array((raw ? d.message(for: sub.protocol) : d.envelope(sub, context: context, key: key)).utf8)
        var attempt = 0
        while true {
            let outcome = await HTTPDelivery.post(sub.endpoint, headers: headers, body: body)
            if outcome.isSuccess { return }
            let retryable: Bool
            switch outcome {
            case .status(let s): retryable = s >= 500 || s == 429
            case .unreachable: retryable = true
            }
            attempt += 1
            guard retryable, let wait = policy.delay(beforeRetry: attempt),
                // A subscription removed meanwhile gets no more attempts.
                topics.withLock({ $0[d.topicArn]?.subscriptions.contains { $0.arn == sub.arn } }) == true
            else {
                let why: String
                switch outcome {
                case .status(let s): why = "the endpoint answered HTTP \(s)"
                case .unreachable(let e): why = "the endpoint could not be reached: \(e)"
                }
                await undeliverable(d, sub, context: context, key: key, reason: why + " after \(attempt) attempt(s)")
                return
            }
            if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
        }
    }

    static func contentType(topic: String?, subscription: String?) -> String {
        let parsed = [subscription, topic].compactMap { $0.flatMap { try? JSONReader.parse(Array($0.utf8)) } }
        if let sub = parsed.first, subscription != nil, let t = sub["requestPolicy"]?["headerContentType"]?.stringValue {
            return t
        }
        if let t = parsed.last?["http"]?["defaultRequestPolicy"]?["headerContentType"]?.stringValue { return t }
        return "text/plain; charset=UTF-8"
    }

    /// Records the failure and sends the message to the subscription's DLQ, if it has one,
    /// as `sns.amazonaws.com` with the topic as source (the DLQ's policy must allow it).
    func undeliverable(_ d: Delivery, _ sub: Subscription, context: RequestContext, key: SigningKey,
                       reason: String) async
    {
        noteDeliveryFailed()
        failures.withLock {
            $0.append(DeliveryFailure(subscriptionArn: sub.arn, messageId: d.messageId, reason: reason))
            if $0.count > 1000 { $0.removeFirst($0.count - 1000) }
        }
        guard let policy = sub.attributes["RedrivePolicy"],
            let dlq = (try? JSONReader.parse(Array(policy.utf8)))?["deadLetterTargetArn"]?.stringValue,
            Subscription.isQueueArn(dlq)
        else { return }
        var target = sub
        target.endpoint = dlq
        target.protocol = "sqs"
        _ = try? await invoker.invoke(d.call(to: target, context: context, key: key))
    }

    /// The SubscriptionConfirmation: POSTed to HTTP/S endpoints, mailed (into the inbox) to
    /// email ones; every one is also in the inbox with its SubscribeURL as the `confirm` link.
    func requestConfirmation(_ sub: Subscription, context: RequestContext) async {
        await sendConfirmation(sub, type: "SubscriptionConfirmation", context: context)
    }

    /// A SubscriptionConfirmation, or the UnsubscribeConfirmation an HTTP/S endpoint gets
    /// when it is unsubscribed (its SubscribeURL restores the subscription).
    func sendConfirmation(_ sub: Subscription, type: String, context: RequestContext) async {
        guard let key = try? await signingKey(region: context.region), let token = sub.token else { return }
        let subscribeURL = "\(context.endpoint)/?Action=ConfirmSubscription&TopicArn=\(sub.topicArn)&Token=\(token)"
        let messageId = UUID().uuidString.lowercased()
        let message = type == "SubscriptionConfirmation"
            ? "You have chosen to subscribe to the topic \(sub.topicArn).\n"
                + "To confirm the subscription, visit the SubscribeURL included in this message."
            : "You have chosen to deactivate subscription \(sub.arn).\n"
                + "To cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
        let members: [String: String] = [
            "Type": type, "MessageId": messageId, "Token": token, "TopicArn": sub.topicArn,
            "Message": message, "SubscribeURL": subscribeURL, "Timestamp": Self.timestamp(),
        ]
        let version = topics.withLock { $0[sub.topicArn]?.attributes["SignatureVersion"] } == "2" ? "2" : "1"
        var json = "{"
        for name in ["Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp"] {
            json += (json.count > 1 ? "," : "") + JSONText.quoted(name) + ":" + JSONText.quoted(members[name]!)
        }
        json += "," + JSONText.quoted("SignatureVersion") + ":" + JSONText.quoted(version)
        json += "," + JSONText.quoted("Signature") + ":"
            + JSONText.quoted(key.sign(SigningKey.canonical(members, type: type), version: version))
        json += "," + JSONText.quoted("SigningCertURL") + ":"
            + JSONText.quoted(Self.certificateURL(key, endpoint: context.endpoint)) + "}"
        if type != "SubscriptionConfirmation" {
            _ = await HTTPDelivery.post(sub.endpoint, headers: [
                ("x-amz-sns-message-type", type), ("x-amz-sns-message-id", messageId),
                ("x-amz-sns-topic-arn", sub.topicArn), ("x-amz-sns-subscription-arn", sub.arn),
                ("Content-Type", "text/plain; charset=UTF-8"), ("User-Agent", "Amazon Simple Notification Service Agent"),
            ], body: Array(json.utf8))
            return
        }
        let isEmail = sub.protocol == "email"
        let topicName = sub.topicArn.split(separator: ":").last.map(String.init) ?? ""
        _ = inbox.add(InboxMessage(
            type: isEmail || sub.protocol == "email-json" ? sub.protocol : "http-confirmation", source: "sns",
            accountId: sub.owner, region: context.region,
            from: isEmail ? "\(displayName(sub.topicArn) ?? "AWS Notifications") <no-reply@sns.amazonaws.com>" : nil,
            to: sub.endpoint, subject: "AWS Notification - Subscription Confirmation",
            body: isEmail
                ? "You have chosen to subscribe to the topic: \n\(sub.topicArn)\n\nTo confirm this subscription, "
                    + "click or visit the link below (If this was in error no action is necessary):\n"
                    + "Confirm subscription: \(subscribeURL)"
                : json,
            links: ["confirm": subscribeURL, "topic": topicName]))
        if sub.protocol == "http" || sub.protocol == "https" {
            _ = await HTTPDelivery.post(sub.endpoint, headers: [
                ("x-amz-sns-message-type", "SubscriptionConfirmation"), ("x-amz-sns-message-id", messageId),
                ("x-amz-sns-topic-arn", sub.topicArn), ("Content-Type", "text/plain; charset=UTF-8"),
                ("User-Agent", "Amazon Simple Notification Service Agent"),
            ], body: Array(json.utf8))
        }
    }
}
