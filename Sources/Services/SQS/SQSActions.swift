import SimfraCore

/// SQS's IAM table: the action, queue ARN and condition keys of every operation, as the
/// Service Authorization Reference lists them. Batch operations need the single action
/// (`SendMessageBatch` → `sqs:SendMessage`); `ListQueues` has no resource.
extension SQSService: ResourcePolicyService {
    /// Operation → IAM action, where they differ.
    private static let actionNames: [String: String] = [
        "SendMessageBatch": "sqs:SendMessage",
        "DeleteMessageBatch": "sqs:DeleteMessage",
        "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    ]

    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let action = Self.actionNames[operation] ?? "sqs:" + operation
        switch operation {
        case "ListQueues":
            return [ActionRequirement(action: action)]
        case "CreateQueue":
            let name = input.string("QueueName") ?? ""
            var reqs = [ActionRequirement(action: action, resources: [Self.arn(context.region, context.accountId, name)],
                                          conditionKeys: Self.tagKeys(input.stringMap("tags")))]
            if let tags = input.stringMap("tags"), !tags.isEmpty {
                reqs.append(ActionRequirement(action: "sqs:TagQueue", resources: reqs[0].resources,
                                              conditionKeys: Self.tagKeys(tags)))
            }
            return reqs
        case "GetQueueUrl":
            let account = input.string("QueueOwnerAWSAccountId") ?? context.accountId
            return [ActionRequirement(action: action, resources: [Self.arn(context.region, account, input.string("QueueName") ?? "")])]
        case "StartMessageMoveTask", "ListMessageMoveTasks":
            return [ActionRequirement(action: action, resources: [input.string("SourceArn") ?? "*"])]
        case "CancelMessageMoveTask":
            // The task handle names its source queue; the handler checks the handle itself.
            let source = state.withLock { s in
                s.moveTasks.first { $0.value.contains { $0.handle == input.string("TaskHandle") } }?.key
            }
            return [ActionRequirement(action: action, resources: [source ?? "*"])]
        case "TagQueue":
            return queueRequirement(action, input, context, conditions: Self.tagKeys(input.stringMap("Tags")))
        case "UntagQueue":
            let keys = input.stringList("TagKeys") ?? []
            return queueRequirement(action, input, context, conditions: keys.isEmpty ? [:] : ["aws:tagkeys": keys])
        default:
            return queueRequirement(action, input, context, conditions: [:])
        }
    }

    private func queueRequirement(_ action: String, _ input: Value, _ context: RequestContext,
                                  conditions: [String: [String]]) -> [ActionRequirement]
    {
        // An unparseable URL is left to the handler, which answers its own error.
        let resource = (try? queueKey(input, context)).map { Self.arn($0.region, $0.accountId, $0.name) }
        return [ActionRequirement(action: action, resources: resource.map { [$0] } ?? [], conditionKeys: conditions)]
    }

    static func arn(_ region: String, _ account: String, _ name: String) -> String {
        "arn:aws:sqs:\(region):\(account):\(name)"
    }

    static func tagKeys(_ tags: [String: String]?) -> [String: [String]] {
        ActionRequirement.requestTagKeys((tags ?? [:]).sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
    }

    /// The queue policy (`Policy` attribute) of the queue an ARN names.
    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? {
        state.withLock { s in
            guard let q = s.queue(arn: arn), let policy = q.config.policy else { return nil }
            return ResourcePolicyDocument(document: policy, ownerAccount: q.accountId)
        }
    }

    public func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]? {
        state.withLock { $0.queue(arn: arn)?.tags }
    }

    /// The owner of an existing queue. A queue that does not exist has none, so the call
    /// reaches the handler and answers `QueueDoesNotExist`, as SQS does for any account.
    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        state.withLock { $0.queue(arn: arn)?.accountId }
    }
}
