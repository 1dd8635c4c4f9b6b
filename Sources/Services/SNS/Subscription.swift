import Foundation
import SimfraCore
import SimfraEventing
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
    /// HTTP/S and email endpoints wait for ConfirmSubscription with `token`; nothing is
    /// delivered to them until then.
    var pending = false
    var token: String?
    /// Confirmed by a signed ConfirmSubscription with AuthenticateOnUnsubscribe=true: only
    /// signed callers may then unsubscribe it.
    var authenticated = false

    /// What AWS confirms at once: queues, functions, streams and phone numbers.
    static func confirmsAtOnce(_ proto: String) -> Bool { !["http", "https", "email", "email-json"].contains(proto) }

    func allAttributes() -> [String: String] {
        var all = attributes
        all["SubscriptionArn"] = arn
        all["TopicArn"] = topicArn
        all["Owner"] = owner
        all["Protocol"] = `protocol`
        all["Endpoint"] = endpoint
        all["SubscriptionPrincipal"] = principal
        // Endpoints AWS confirms at once count as authenticated.
        all["ConfirmationWasAuthenticated"] = String(Self.confirmsAtOnce(`protocol`) || authenticated)
        all["PendingConfirmation"] = String(pending)
        if all["RawMessageDelivery"] == nil { all["RawMessageDelivery"] = "false" }
        return all
    }

    var summary: Value {
        // Listings name a subscription awaiting confirmation "PendingConfirmation", as AWS does.
        ["SubscriptionArn": .string(pending ? "PendingConfirmation" : arn), "Owner": .string(owner), "Protocol": .string(`protocol`),
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
        case "RedrivePolicy" where !value.isEmpty:
            guard case .object? = try? JSONReader.parse(Array(value.utf8)) else {
                throw SNSError.invalidParameter("\(prefix)RedrivePolicy: failed to parse JSON.")
            }
            let target = (try? JSONReader.parse(Array(value.utf8)))?["deadLetterTargetArn"]?.stringValue ?? ""
            guard isQueueArn(target) else {
                throw SNSError.invalidParameter("\(prefix)RedrivePolicy: deadLetterTargetArn is an invalid arn")
            }
        case "FilterPolicy", "RedrivePolicy", "DeliveryPolicy":
            // Filter policies are compiled by `checkFilter`, which knows the scope.
            guard value.isEmpty
                || { if case .object? = try? JSONReader.parse(Array(value.utf8)) { true } else { false } }()
            else { throw SNSError.invalidParameter("\(prefix)\(name): failed to parse JSON.") }
        default: break
        }
    }

    /// Compiles a filter policy for `scope` ("MessageAttributes" unless "MessageBody"),
    /// answering AWS's InvalidParameter wording; `inAttributes` is Subscribe's form.
    static func checkFilter(_ policy: String, scope: String?, inAttributes: Bool) throws(AWSError) {
        guard !policy.isEmpty else { return }
        do {
            _ = try FilterPolicy(json: policy, scope: scope == "MessageBody" ? .messageBody : .messageAttributes)
        } catch {
            throw AWSError(code: "InvalidParameter", message: error.snsMessage(inAttributes: inAttributes), status: 400)
        }
    }

    /// `arn:<partition>:sqs:<region>:<account>:<name>` is the only SQS endpoint AWS accepts.
    static func isQueueArn(_ endpoint: String) -> Bool {
        let parts = endpoint.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts[0] == "arn" && parts[2] == "sqs" && !parts[3].isEmpty && !parts[4].isEmpty
            && !parts[5].isEmpty
    }
}
