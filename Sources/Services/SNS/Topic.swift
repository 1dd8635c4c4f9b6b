import SimfraCore

/// One SNS topic. Topics are keyed by ARN: every operation but CreateTopic names the ARN,
/// and a caller of another account reaches the topic through its policy by that ARN.
struct Topic: Sendable {
    var arn: String
    var accountId: String
    var region: String
    var name: String
    var isFifo: Bool
    /// Settable attributes as the caller wrote them (DisplayName, Policy, DeliveryPolicy…).
    var attributes: [String: String]
    var tags: [(key: String, value: String)] = []
    var subscriptions: [Subscription] = []
    /// The last FIFO SequenceNumber handed out.
    var sequence: UInt64 = 0

    /// The attributes GetTopicAttributes answers: the stored ones plus those AWS computes.
    func allAttributes() -> [String: String] {
        var all = attributes
        // Read through GetDataProtectionPolicy, not listed with the attributes (as in AWS).
        all.removeValue(forKey: "DataProtectionPolicy")
        all["TopicArn"] = arn
        all["Owner"] = accountId
        let pending = subscriptions.count { $0.pending }
        all["SubscriptionsConfirmed"] = String(subscriptions.count - pending)
        all["SubscriptionsPending"] = String(pending)
        all["SubscriptionsDeleted"] = "0"
        if all["DisplayName"] == nil { all["DisplayName"] = "" }
        all["EffectiveDeliveryPolicy"] = RetryPolicy.effectiveTopicPolicy(attributes["DeliveryPolicy"])
        if isFifo {
            all["FifoTopic"] = "true"
            if all["ContentBasedDeduplication"] == nil { all["ContentBasedDeduplication"] = "false" }
        }
        return all
    }

    var policy: String { attributes["Policy"] ?? "" }

    /// The policy AWS writes on a new topic: the owner account's principals may use it.
    static func defaultPolicy(arn: String, accountId: String) -> String {
        let actions = [
            "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
            "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish",
        ].map { JSONText.quoted($0) }.joined(separator: ",")
        return #"{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["#
            + actions + #"],"Resource":"# + JSONText.quoted(arn)
            + #","Condition":{"StringEquals":{"AWS:SourceOwner":"# + JSONText.quoted(accountId) + "}}}]}"
    }

    /// Attributes CreateTopic and SetTopicAttributes accept (FifoTopic only at creation).
    static let settableAttributes: Set<String> = [
        "DeliveryPolicy", "DisplayName", "Policy", "SignatureVersion", "TracingConfig", "KmsMasterKeyId",
        "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope", "DataProtectionPolicy",
        "HTTPSuccessFeedbackRoleArn", "HTTPFailureFeedbackRoleArn", "HTTPSuccessFeedbackSampleRate",
        "SQSSuccessFeedbackRoleArn", "SQSFailureFeedbackRoleArn", "SQSSuccessFeedbackSampleRate",
        "LambdaSuccessFeedbackRoleArn", "LambdaFailureFeedbackRoleArn", "LambdaSuccessFeedbackSampleRate",
        "FirehoseSuccessFeedbackRoleArn", "FirehoseFailureFeedbackRoleArn", "FirehoseSuccessFeedbackSampleRate",
        "ApplicationSuccessFeedbackRoleArn", "ApplicationFailureFeedbackRoleArn",
        "ApplicationSuccessFeedbackSampleRate",
    ]

    /// AWS's topic-name rule: 1–256 of letters, digits, `-` and `_`, plus `.fifo` for FIFO topics.
    static func validName(_ name: String, fifo: Bool) -> Bool {
        var base = Substring(name)
        if fifo {
            guard name.hasSuffix(".fifo") else { return false }
            base = base.dropLast(5)
        }
        guard !base.isEmpty, name.utf8.count <= 256 else { return false }
        return base.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-" || $0 == "_"
        }
    }
}
