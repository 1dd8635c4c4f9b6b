import SimfraCore
import SimfraEventing
import SimfraProtocols
import Synchronization

/// Amazon SNS, first slice: topics (create, delete, list, attributes, tags) and SQS
/// subscriptions, and Publish delivering to SQS.
///
/// State lives in memory under one `Mutex`, keyed by topic ARN, written through to `records`
/// (one record per topic, with its tags and subscriptions).
public final class SNSService: ResourcePolicyService, AccountScopedService, InvokingService {
    public let serviceName = "sns"
    public let implementedOperations: Set<String> = [
        "CreateTopic", "DeleteTopic", "ListTopics", "GetTopicAttributes", "SetTopicAttributes",
        "TagResource", "UntagResource", "ListTagsForResource",
        "Subscribe", "Unsubscribe", "ListSubscriptions", "ListSubscriptionsByTopic",
        "GetSubscriptionAttributes", "SetSubscriptionAttributes", "Publish", "PublishBatch", "ConfirmSubscription",
        "AddPermission", "RemovePermission", "PutDataProtectionPolicy", "GetDataProtectionPolicy",
        "CreatePlatformApplication", "GetPlatformApplicationAttributes", "SetPlatformApplicationAttributes",
        "ListPlatformApplications", "DeletePlatformApplication", "CreatePlatformEndpoint", "GetEndpointAttributes",
        "SetEndpointAttributes", "DeleteEndpoint", "ListEndpointsByPlatformApplication",
        "SetSMSAttributes", "GetSMSAttributes", "CheckIfPhoneNumberIsOptedOut", "ListPhoneNumbersOptedOut",
        "OptInPhoneNumber",
    ]
    /// Delivers to SQS as `sns.amazonaws.com`; connected by the server.
    public let invoker = InvokerLink()

    let topics = Mutex([String: Topic]())
    /// Region → the key that signs its messages.
    let signingKeys = Mutex([String: SigningKey]())

    let records: any DurableRecords

    /// Where email, SMS and HTTP confirmation messages are captured instead of sent.
    let inbox: Inbox

    /// Deliveries that failed for good (newest last, bounded): what was tried and why it
    /// failed, for endpoints Simfra cannot reach (Lambda before it exists) or that refused.
    let failures = Mutex([DeliveryFailure]())
    /// HTTP/S subscriptions just unsubscribed, by token: their UnsubscribeConfirmation's
    /// SubscribeURL restores them. Transient, like every pending delivery.
    let unsubscribed = Mutex([String: Subscription]())
    /// Platform applications (with their endpoints) by ARN.
    let apps = Mutex([String: PlatformApplication]())
    /// SMS settings by "<account>/<region>".
    let sms = Mutex([String: [String: String]]())
    /// Compiled filter policies by scope and text.
    let filterCache = Mutex([String: FilterPolicy]())
    /// Where AWS/SNS metrics go (CloudWatch, connected by the server), and their sums.
    public let metrics = MetricLink()
    let metricSums = MetricAccumulator(namespace: "AWS/SNS")

    public init(records: any DurableRecords = MemoryOnlyRecords(), inbox: Inbox = Inbox()) {
        self.records = records
        self.inbox = inbox
        registerMetricsFlush()
    }

    /// The SubscribeURL and UnsubscribeURL are plain links: they work unsigned.
    public func acceptsUnsigned(operation: String) -> Bool {
        operation == "ConfirmSubscription" || operation == "Unsubscribe"
    }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        if operation == "Subscribe" {
            let (out, confirm) = try subscribe(input, context)
            try await save(input.string("TopicArn") ?? "")
            // Sent only once the token is durable, so the link in it works after a restart.
            if let confirm { Task { await self.requestConfirmation(confirm, context: context) } }
            return out
        }
        let out = try await run(operation: operation, input: input, context: context)
        // Every change is durable before it is answered; Publish changes only a FIFO topic's
        // sequence number, which is saved too.
        switch operation {
        case "CreateTopic", "Publish", "PublishBatch":
            if let arn = out.string("TopicArn") ?? input.string("TopicArn") ?? input.string("TargetArn"),
                !arn.contains(":endpoint/")
            {
                try await save(arn)
            }
        case "DeleteTopic", "SetTopicAttributes", "ConfirmSubscription", "AddPermission", "RemovePermission":
            if let arn = input.string("TopicArn") { try await save(arn) }
        case "TagResource", "UntagResource", "PutDataProtectionPolicy":
            if let arn = input.string("ResourceArn") { try await save(arn) }
        case "Unsubscribe", "SetSubscriptionAttributes":
            if let sub = input.string("SubscriptionArn"), let arn = try? Self.topicArn(ofSubscription: sub) {
                try await save(arn)
            }
        case "CreatePlatformApplication":
            if let arn = out.string("PlatformApplicationArn") { try await saveApp(arn) }
        case "SetPlatformApplicationAttributes", "DeletePlatformApplication":
            try await saveApp(input.string("PlatformApplicationArn") ?? "")
        case "CreatePlatformEndpoint":
            try await saveApp(input.string("PlatformApplicationArn") ?? "")
        case "SetEndpointAttributes", "DeleteEndpoint":
            if let arn = try? Self.appArn(ofEndpoint: input.string("EndpointArn") ?? "") { try await saveApp(arn) }
        case "SetSMSAttributes":
            try await saveSMS(account: context.accountId, region: context.region)
        default: break
        }
        return out
    }

    func run(operation: String, input: Value, context: RequestContext) async throws -> Value {
        switch operation {
        case "CreateTopic": return try createTopic(input, context)
        case "DeleteTopic":
            let arn = input.string("TopicArn") ?? ""
            try SNSError.checkArn(arn, member: "TopicArn")
            // AWS answers success for a topic that does not exist.
            _ = topics.withLock { $0.removeValue(forKey: arn) }
            return .empty
        case "ListTopics": return try listTopics(input, context)
        case "GetTopicAttributes":
            let topic = try find(input.string("TopicArn") ?? "")
            return ["Attributes": .object(topic.allAttributes().mapValues { .string($0) })]
        case "SetTopicAttributes": return try setTopicAttributes(input)
        case "TagResource": return try tagResource(input)
        case "UntagResource":
            let arn = input.string("ResourceArn") ?? ""
            let keys = Set(input.stringList("TagKeys") ?? [])
            try withTopic(arn, member: "ResourceArn", notFound: SNSError.resourceNotFound) { topic in
                topic.tags.removeAll { keys.contains($0.key) }
            }
            return .empty
        case "ListTagsForResource":
            let arn = input.string("ResourceArn") ?? ""
            try SNSError.checkArn(arn, member: "ResourceArn")
            guard let topic = topics.withLock({ $0[arn] }) else { throw SNSError.resourceNotFound }
            return ["Tags": .list(topic.tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })]
        case "Publish": return try publish(input, context)
        case "PublishBatch": return try publishBatch(input, context)
        case "ConfirmSubscription": return try confirmSubscription(input, context)
        case "AddPermission": return try addPermission(input)
        case "CreatePlatformApplication": return try createPlatformApplication(input, context)
        case "GetPlatformApplicationAttributes":
            let app = try app(input.string("PlatformApplicationArn") ?? "")
            return ["Attributes": .object(app.visibleAttributes.mapValues { .string($0) })]
        case "SetPlatformApplicationAttributes": return try setPlatformApplicationAttributes(input)
        case "ListPlatformApplications": return listPlatformApplications(input, context)
        case "DeletePlatformApplication":
            let arn = input.string("PlatformApplicationArn") ?? ""
            try SNSError.checkArn(arn, member: "PlatformApplicationArn")
            // Its endpoints go with it; deleting a missing one succeeds, as in AWS.
            _ = apps.withLock { $0.removeValue(forKey: arn) }
            return .empty
        case "CreatePlatformEndpoint": return try createPlatformEndpoint(input)
        case "GetEndpointAttributes":
            return ["Attributes": .object(try endpoint(input.string("EndpointArn") ?? "").attributes.mapValues { .string($0) })]
        case "SetEndpointAttributes": return try setEndpointAttributes(input)
        case "DeleteEndpoint":
            let arn = input.string("EndpointArn") ?? ""
            let appArn = try Self.appArn(ofEndpoint: arn)
            _ = apps.withLock { $0[appArn]?.endpoints.removeValue(forKey: arn) }
            return .empty
        case "ListEndpointsByPlatformApplication": return try listEndpoints(input)
        case "SetSMSAttributes": return try setSMSAttributes(input, context)
        case "GetSMSAttributes": return getSMSAttributes(input, context)
        // Numbers opt out by answering STOP to a text, which no SMS captured here can do:
        // no number is ever opted out, and opting in is always accepted.
        case "CheckIfPhoneNumberIsOptedOut":
            _ = try checkOptOutNumber(input)
            return ["isOptedOut": false]
        case "ListPhoneNumbersOptedOut": return ["phoneNumbers": .list([])]
        case "OptInPhoneNumber":
            _ = try checkOptOutNumber(input)
            return .empty
        case "RemovePermission": return try removePermission(input)
        case "PutDataProtectionPolicy": return try putDataProtectionPolicy(input)
        case "GetDataProtectionPolicy": return try getDataProtectionPolicy(input)
        case "Unsubscribe": return try unsubscribe(input, context)
        case "ListSubscriptions": return listSubscriptions(input, context)
        case "ListSubscriptionsByTopic": return try listSubscriptionsByTopic(input)
        case "GetSubscriptionAttributes":
            let sub = try subscription(input.string("SubscriptionArn") ?? "")
            var attributes = sub.allAttributes()
            if sub.protocol == "http" || sub.protocol == "https" {
                let topicPolicy = topics.withLock { $0[sub.topicArn]?.attributes["DeliveryPolicy"] }
                let retry = RetryPolicy.effective(topic: topicPolicy, subscription: sub.attributes["DeliveryPolicy"])
                let contentType = Self.contentType(topic: topicPolicy, subscription: sub.attributes["DeliveryPolicy"])
                attributes["EffectiveDeliveryPolicy"] = #"{"healthyRetryPolicy":"# + retry.json
                    + #","sicklyRetryPolicy":null,"throttlePolicy":null,"requestPolicy":{"headerContentType":"#
                    + JSONText.quoted(contentType) + #"},"guaranteed":false}"#
            }
            return ["Attributes": .object(attributes.mapValues { .string($0) })]
        case "SetSubscriptionAttributes": return try setSubscriptionAttributes(input)
        default:
            throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    func find(_ arn: String) throws(AWSError) -> Topic {
        try SNSError.checkArn(arn, member: "TopicArn")
        guard let topic = topics.withLock({ $0[arn] }) else { throw SNSError.topicNotFound }
        return topic
    }

    /// Changes one topic under the lock; `member` names the ARN parameter in errors.
    func withTopic(_ arn: String, member: String = "TopicArn", notFound: AWSError = SNSError.topicNotFound,
                   _ body: (inout Topic) throws(AWSError) -> Void) throws(AWSError)
    {
        try SNSError.checkArn(arn, member: member)
        try topics.withLock { (all: inout [String: Topic]) throws(AWSError) in
            guard var topic = all[arn] else { throw notFound }
            try body(&topic)
            all[arn] = topic
        }
    }

    func createTopic(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("Name") ?? ""
        var attributes = input.stringMap("Attributes") ?? [:]
        let fifo = attributes.removeValue(forKey: "FifoTopic")?.lowercased() == "true"
        guard Topic.validName(name, fifo: fifo) else { throw SNSError.invalidParameter("Topic Name") }
        for key in attributes.keys where !Topic.settableAttributes.contains(key) {
            throw SNSError.invalidParameter("AttributeName")
        }
        if let policy = attributes["Policy"] { try Self.validatePolicy(policy) }
        if !fifo, attributes["ContentBasedDeduplication"]?.lowercased() == "true" {
            throw SNSError.invalidParameter("Attributes Reason: ContentBasedDeduplication can only be set for FIFO topics")
        }
        let tags = try Self.tags(input["Tags"]?.listValue ?? [])
        let arn = "arn:\(Self.partition(context)):sns:\(context.region):\(context.accountId):\(name)"
        return try topics.withLock { (all: inout [String: Topic]) throws(AWSError) -> Value in
            if let existing = all[arn] {
                // CreateTopic is idempotent for the same name: what the caller restates must
                // match what the topic already has.
                let current = existing.allAttributes()
                if attributes.contains(where: { current[$0.key] != $0.value }) || fifo != existing.isFifo {
                    throw SNSError.invalidParameter("Attributes Reason: Topic already exists with different attributes")
                }
                let known = Dictionary(existing.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
                if tags.contains(where: { known[$0.key] != $0.value }) {
                    throw SNSError.invalidParameter("Tags Reason: Topic already exists with different tags")
                }
                return ["TopicArn": .string(arn)]
            }
            if attributes["Policy"] == nil {
                attributes["Policy"] = Topic.defaultPolicy(arn: arn, accountId: context.accountId)
            }
            all[arn] = Topic(arn: arn, accountId: context.accountId, region: context.region, name: name,
                             isFifo: fifo, attributes: attributes, tags: tags)
            return ["TopicArn": .string(arn)]
        }
    }

    /// Pages of 100 in ARN order; the token is the last ARN returned.
    func listTopics(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let after = input.string("NextToken")
        let arns = topics.withLock { all in
            all.values.filter { $0.accountId == context.accountId && $0.region == context.region }.map(\.arn)
        }.sorted()
        if let after, !after.isEmpty, !after.hasPrefix("arn:") { throw SNSError.invalidParameter("NextToken") }
        let rest = arns.filter { after == nil || after!.isEmpty || $0 > after! }
        let page = rest.prefix(100)
        var out: [String: Value] = ["Topics": .list(page.map { ["TopicArn": .string($0)] })]
        if rest.count > 100, let last = page.last { out["NextToken"] = .string(last) }
        return .object(out)
    }

    func setTopicAttributes(_ input: Value) throws(AWSError) -> Value {
        let name = input.string("AttributeName") ?? ""
        let value = input.string("AttributeValue") ?? ""
        guard Topic.settableAttributes.contains(name) else { throw SNSError.invalidParameter("AttributeName") }
        if name == "Policy", !value.isEmpty { try Self.validatePolicy(value) }
        try withTopic(input.string("TopicArn") ?? "") { (topic: inout Topic) throws(AWSError) in
            if name == "ContentBasedDeduplication", !topic.isFifo {
                throw SNSError.invalidParameter("Attributes Reason: ContentBasedDeduplication can only be set for FIFO topics")
            }
            if value.isEmpty, name != "DisplayName" {
                topic.attributes.removeValue(forKey: name)
            } else {
                topic.attributes[name] = value
            }
        }
        return .empty
    }

    func tagResource(_ input: Value) throws(AWSError) -> Value {
        let tags = try Self.tags(input["Tags"]?.listValue ?? [])
        try withTopic(input.string("ResourceArn") ?? "", member: "ResourceArn", notFound: SNSError.resourceNotFound) { topic in
            for tag in tags {
                if let i = topic.tags.firstIndex(where: { $0.key == tag.key }) {
                    topic.tags[i].value = tag.value
                } else {
                    topic.tags.append(tag)
                }
            }
        }
        return .empty
    }

    static func tags(_ list: [Value]) throws(AWSError) -> [(key: String, value: String)] {
        var seen = Set<String>()
        var out: [(key: String, value: String)] = []
        for tag in list {
            let key = tag.string("Key") ?? "", value = tag.string("Value") ?? ""
            guard seen.insert(key).inserted else { throw SNSError.invalidParameter("Duplicated keys are not allowed.") }
            out.append((key, value))
        }
        return out
    }

    static func partition(_ context: RequestContext) -> String {
        let parts = context.principalArn.split(separator: ":", maxSplits: 2)
        return parts.count > 1 && parts[0] == "arn" ? String(parts[1]) : "aws"
    }

    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? {
        guard let topic = topics.withLock({ $0[arn] }), !topic.policy.isEmpty else { return nil }
        return ResourcePolicyDocument(document: topic.policy, ownerAccount: topic.accountId)
    }

    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count >= 6 && !parts[4].isEmpty ? String(parts[4]) : nil
    }

    public func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]? {
        guard let topic = topics.withLock({ $0[arn] }) else { return nil }
        return Dictionary(topic.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// Deleting or resetting an account removes its topics in every region.
    public func removeAccount(_ accountId: String) async throws {
        let appCommit = apps.withLock { all -> Commit in
            let gone = all.values.filter { $0.accountId == accountId }
            for a in gone { all.removeValue(forKey: a.arn) }
            return gone.isEmpty ? .done : records.apply(gone.map {
                .delete(kind: PlatformApplicationRecord.kind, account: $0.accountId, region: $0.region, id: $0.id)
            })
        }
        try await appCommit.wait()
        let smsCommit = sms.withLock { all -> Commit in
            let gone = all.keys.filter { $0.hasPrefix(accountId + "/") }
            for k in gone { all.removeValue(forKey: k) }
            return gone.isEmpty ? .done : records.apply(gone.map {
                .delete(kind: "smsattributes", account: accountId, region: String($0.dropFirst(accountId.count + 1)), id: "sms")
            })
        }
        try await smsCommit.wait()
        let commit = topics.withLock { all -> Commit in
            let gone = all.values.filter { $0.accountId == accountId }
            for t in gone { all.removeValue(forKey: t.arn) }
            return gone.isEmpty ? .done : records.apply(gone.map {
                .delete(kind: TopicRecord.kind, account: $0.accountId, region: $0.region, id: $0.name)
            })
        }
        try await commit.wait()
    }
}
