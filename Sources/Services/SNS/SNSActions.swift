import SimfraCore

/// SNS's action table (Service Authorization Reference, Amazon SNS): every topic operation
/// acts on the topic ARN; ListTopics has no resource-level permission. Tag conditions
/// (`aws:RequestTag/…`, `aws:TagKeys`) ride on CreateTopic, TagResource and UntagResource.
extension SNSService {
    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        switch operation {
        case "CreateTopic":
            let name = input.string("Name") ?? ""
            let arn = "arn:\(Self.partition(context)):sns:\(context.region):\(context.accountId):\(name)"
            let keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
            var requirements = [ActionRequirement(action: "sns:CreateTopic", resources: [arn], conditionKeys: keys,
                                                  createsResource: true)]
            if !(input["Tags"]?.listValue ?? []).isEmpty {
                requirements.append(ActionRequirement(action: "sns:TagResource", resources: [arn], conditionKeys: keys))
            }
            return requirements
        case "Subscribe":
            var keys: [String: [String]] = [:]
            if let p = input.string("Protocol") { keys["sns:protocol"] = [p] }
            if let e = input.string("Endpoint") { keys["sns:endpoint"] = [e] }
            return [ActionRequirement(action: "sns:Subscribe", resources: Self.arnList(input.string("TopicArn")),
                                      conditionKeys: keys)]
        case "Publish":
            return [ActionRequirement(action: "sns:Publish",
                                      resources: Self.arnList(input.string("TopicArn") ?? input.string("TargetArn")))]
        case "PublishBatch":
            return [ActionRequirement(action: "sns:Publish", resources: Self.arnList(input.string("TopicArn")))]
        case "ConfirmSubscription":
            // The SubscribeURL carries its own authority (the token): followed unsigned, no
            // IAM question is asked.
            if context.principalArn == "anonymous" { return nil }
            return [ActionRequirement(action: "sns:ConfirmSubscription", resources: Self.arnList(input.string("TopicArn")))]
        case "Unsubscribe" where context.principalArn == "anonymous":
            return nil
        case "ListSubscriptionsByTopic":
            return [ActionRequirement(action: "sns:ListSubscriptionsByTopic",
                                      resources: Self.arnList(input.string("TopicArn")))]
        // The Service Authorization Reference lists no resource type for these.
        case "Unsubscribe", "ListSubscriptions", "GetSubscriptionAttributes", "SetSubscriptionAttributes":
            return [ActionRequirement(action: "sns:\(operation)")]
        case "ListTopics":
            return [ActionRequirement(action: "sns:ListTopics")]
        case "DeleteTopic", "GetTopicAttributes", "SetTopicAttributes", "AddPermission", "RemovePermission":
            return [ActionRequirement(action: "sns:\(operation)", resources: Self.arnList(input.string("TopicArn")))]
        case "TagResource":
            let keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
            return [ActionRequirement(action: "sns:TagResource", resources: Self.arnList(input.string("ResourceArn")),
                                      conditionKeys: keys)]
        case "UntagResource":
            let tagKeys = input.stringList("TagKeys") ?? []
            return [ActionRequirement(action: "sns:UntagResource", resources: Self.arnList(input.string("ResourceArn")),
                                      conditionKeys: tagKeys.isEmpty ? [:] : ["aws:tagkeys": tagKeys])]
        case "PutDataProtectionPolicy", "GetDataProtectionPolicy":
            return [ActionRequirement(action: "sns:\(operation)", resources: Self.arnList(input.string("ResourceArn")))]
        case "ListTagsForResource":
            return [ActionRequirement(action: "sns:ListTagsForResource",
                                      resources: Self.arnList(input.string("ResourceArn")))]
        default:
            return [ActionRequirement(action: "sns:\(operation)")]
        }
    }

    /// A malformed ARN is the handler's InvalidParameter, not an authorisation question.
    static func arnList(_ arn: String?) -> [String] {
        guard let arn, arn.split(separator: ":", omittingEmptySubsequences: false).count >= 6 else { return [] }
        return [arn]
    }
}
