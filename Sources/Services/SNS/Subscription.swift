import Foundation
import SimfraCore
import SimfraProtocols

/// One subscription, held by its topic: its ARN is the topic ARN plus `:<uuid>`, so the topic
/// is found from it, and deleting the topic ends its subscriptions as in AWS.
struct Subscription: Sendable {
    var arn: String
    var topicArn: String
    var owner: String
    var principal: String
    var `protocol`: String
    var endpoint: String
    var attributes: [String: String]

    func allAttributes() -> [String: String] {
        var all = attributes
        all["SubscriptionArn"] = arn
        all["TopicArn"] = topicArn
        all["Owner"] = owner
        all["Protocol"] = `protocol`
        all["Endpoint"] = endpoint
        all["SubscriptionPrincipal"] = principal
        // SQS endpoints in the same partition are confirmed at once, as AWS does.
        all["ConfirmationWasAuthenticated"] = "true"
        all["PendingConfirmation"] = "false"
        if all["RawMessageDelivery"] == nil { all["RawMessageDelivery"] = "false" }
        return all
    }

    var summary: Value {
        ["SubscriptionArn": .string(arn), "Owner": .string(owner), "Protocol": .string(`protocol`),
         "Endpoint": .string(endpoint), "TopicArn": .string(topicArn)]
    }

    static let settableAttributes: Set<String> = [
        "DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
        "SubscriptionRoleArn", "ReplayPolicy",
    ]

    /// Checks one attribute as AWS does; `prefix` is "Attributes Reason: " on Subscribe.
    static func validate(_ name: String, _ value: String, prefix: String) throws(AWSError) {
        guard settableAttributes.contains(name) else { throw SNSError.invalidParameter("AttributeName") }
        switch name {
        case "RawMessageDelivery":
            guard ["true", "false"].contains(value.lowercased()) else {
                throw SNSError.invalidParameter("\(prefix)RawMessageDelivery: Invalid value [\(value)]. Must be true or false.")
            }
        case "FilterPolicyScope":
            guard value == "MessageAttributes" || value == "MessageBody" else {
                throw SNSError.invalidParameter(
                    "FilterPolicyScope: Invalid value [\(value)]. Please use either MessageBody or MessageAttributes")
            }
        case "FilterPolicy", "RedrivePolicy", "DeliveryPolicy":
            // Stored, not applied yet; it must at least be a JSON object.
            guard value.isEmpty
                || { if case .object? = try? JSONReader.parse(Array(value.utf8)) { true } else { false } }()
            else { throw SNSError.invalidParameter("\(prefix)\(name): failed to parse JSON.") }
        default: break
        }
    }

    /// `arn:<partition>:sqs:<region>:<account>:<name>` is the only SQS endpoint AWS accepts.
    static func isQueueArn(_ endpoint: String) -> Bool {
        let parts = endpoint.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts[0] == "arn" && parts[2] == "sqs" && !parts[3].isEmpty && !parts[4].isEmpty
            && !parts[5].isEmpty
    }
}
