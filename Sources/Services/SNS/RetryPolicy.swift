import Foundation
import SimfraCore
import SimfraProtocols

/// An HTTP/S subscription's `healthyRetryPolicy`: how long to wait before each retry, by
/// AWS's four phases (immediate, pre-backoff at minDelay, backoff from min to max delay,
/// post-backoff at maxDelay). A plain value: the delivery loop only asks it for delays.
struct RetryPolicy: Equatable, Sendable {
    var minDelay = 20.0
    var maxDelay = 20.0
    var numRetries = 3
    var numNoDelayRetries = 0
    var numMinDelayRetries = 0
    var numMaxDelayRetries = 0
    var backoff = "linear"

    /// The subscription's own policy wins unless the topic disables overrides; else the
    /// topic's `http.defaultHealthyRetryPolicy`; else AWS's default (3 retries, 20 s apart).
    static func effective(topic: String?, subscription: String?) -> RetryPolicy {
        let topicDoc = topic.flatMap { try? JSONReader.parse(Array($0.utf8)) }
        let http = topicDoc?["http"]
        let disabled = http?["disableSubscriptionOverrides"]?.boolValue ?? false
        if !disabled, let sub = subscription.flatMap({ try? JSONReader.parse(Array($0.utf8)) }),
            let p = sub["healthyRetryPolicy"]
        {
            return RetryPolicy(p)
        }
        if let p = http?["defaultHealthyRetryPolicy"] { return RetryPolicy(p) }
        return RetryPolicy()
    }

    init() {}

    init(_ v: Value) {
        func int(_ k: String) -> Int? { v[k]?.doubleValue.map { Int($0) } }
        minDelay = Double(int("minDelayTarget") ?? 20)
        maxDelay = Double(int("maxDelayTarget") ?? Int(minDelay))
        numRetries = int("numRetries") ?? 3
        numNoDelayRetries = int("numNoDelayRetries") ?? 0
        numMinDelayRetries = int("numMinDelayRetries") ?? 0
        numMaxDelayRetries = int("numMaxDelayRetries") ?? 0
        backoff = v["backoffFunction"]?.stringValue ?? "linear"
    }

    /// Seconds to wait before retry `n` (1-based), nil once the retries are spent.
    func delay(beforeRetry n: Int) -> Double? {
        guard n >= 1, n <= numRetries else { return nil }
        if n <= numNoDelayRetries { return 0 }
        if n <= numNoDelayRetries + numMinDelayRetries { return minDelay }
        let backoffCount = max(0, numRetries - numNoDelayRetries - numMinDelayRetries - numMaxDelayRetries)
        let i = n - numNoDelayRetries - numMinDelayRetries
        guard i <= backoffCount else { return maxDelay }
        // Position in the backoff phase, 0…1, shaped by the backoff function.
        let x = backoffCount <= 1 ? 1.0 : Double(i - 1) / Double(backoffCount - 1)
        let shaped: Double
        switch backoff {
        case "arithmetic": shaped = x * x
        case "geometric": shaped = x * x * x
        case "exponential": shaped = x == 0 ? 0 : (pow(2, 10 * x) - 1) / (pow(2, 10) - 1)
        default: shaped = x
        }
        return minDelay + (maxDelay - minDelay) * shaped
    }

    /// The policy as AWS spells it out in EffectiveDeliveryPolicy: every member, in AWS's order.
    var json: String {
        func n(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
        return #"{"minDelayTarget":"# + n(minDelay) + #","maxDelayTarget":"# + n(maxDelay) + #","numRetries":"#
            + String(numRetries) + #","numMaxDelayRetries":"# + String(numMaxDelayRetries) + #","numNoDelayRetries":"#
            + String(numNoDelayRetries) + #","numMinDelayRetries":"# + String(numMinDelayRetries)
            + #","backoffFunction":"# + JSONText.quoted(backoff) + "}"
    }

    /// A topic's EffectiveDeliveryPolicy: its DeliveryPolicy's `http` part completed with
    /// AWS's defaults (the recorded responses show the merge).
    static func effectiveTopicPolicy(_ deliveryPolicy: String?) -> String {
        let http = deliveryPolicy.flatMap { try? JSONReader.parse(Array($0.utf8)) }?["http"]
        let retry = http?["defaultHealthyRetryPolicy"].map { RetryPolicy($0) } ?? RetryPolicy()
        let disable = http?["disableSubscriptionOverrides"]?.boolValue ?? false
        let contentType = http?["defaultRequestPolicy"]?["headerContentType"]?.stringValue ?? "text/plain; charset=UTF-8"
        return #"{"http":{"defaultHealthyRetryPolicy":"# + retry.json + #","disableSubscriptionOverrides":"#
            + String(disable) + #","defaultRequestPolicy":{"headerContentType":"# + JSONText.quoted(contentType) + "}}}"
    }
}
