import Foundation
import SimfraCore

/// AWS/SNS metrics per `TopicName`, summed per minute (per flush) as statistic sets:
/// `NumberOfMessagesPublished` (Count), `PublishSize` (Bytes), `NumberOfNotificationsDelivered`
/// and `NumberOfNotificationsFailed` (Count, one per subscription a message went, or failed
/// to go, to), `NumberOfNotificationsFilteredOut` with `-MessageAttributes` or `-MessageBody`
/// by the rejecting policy's scope (Count). Nothing is counted while no CloudWatch is connected.
extension SNSService: MetricPublishingService {
    /// Set around one subscription's delivery, so `undeliverable` (wherever the failure is
    /// found: at once, or after HTTP retries) marks the outcome the delivery is counted by.
    @TaskLocal static var deliveryOutcome: DeliveryOutcome?

    final class DeliveryOutcome: @unchecked Sendable {
        // Written and read by the one delivery task that owns it.
        var failed = false
    }

    func registerMetricsFlush() {
        metricSums.flushes(on: metrics, now: { Date().timeIntervalSince1970 })
    }

    static func topicName(_ arn: String) -> String {
        arn.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? arn
    }

    /// An accepted Publish (or PublishBatch entry) to a topic.
    func notePublished(_ d: Delivery, _ context: RequestContext) {
        guard metrics.isConnected else { return }
        let dims = MetricAccumulator.Dimensions("TopicName", Self.topicName(d.topicArn))
        let size = d.message.utf8.count + d.attributes.reduce(0) { n, a in
            n + a.key.utf8.count + (a.value.string("DataType")?.utf8.count ?? 0)
                + (a.value.string("StringValue")?.utf8.count ?? 0)
        }
        metricSums.record(account: context.accountId, region: context.region) { add in
            add("NumberOfMessagesPublished", dims, 1, "Count")
            add("PublishSize", dims, Double(size), "Bytes")
        }
    }

    /// The confirmed subscriptions whose filter policy rejected the message.
    func noteFiltered(_ d: Delivery, _ subscriptions: [Subscription], passed: Int, _ context: RequestContext) {
        guard metrics.isConnected else { return }
        let confirmed = subscriptions.filter { !$0.pending }
        guard confirmed.count > passed else { return }
        let dims = MetricAccumulator.Dimensions("TopicName", Self.topicName(d.topicArn))
        // Which ones were rejected is only known by asking again; filtered-out messages are
        // the exception, so the policies are evaluated twice only then.
        let rejected = confirmed.filter { !passes(d, $0) }
        metricSums.record(account: context.accountId, region: context.region) { add in
            for sub in rejected {
                add("NumberOfNotificationsFilteredOut", dims, 1, "Count")
                let byBody = sub.attributes["FilterPolicyScope"] == "MessageBody"
                add(byBody ? "NumberOfNotificationsFilteredOut-MessageBody" : "NumberOfNotificationsFilteredOut-MessageAttributes",
                    dims, 1, "Count")
            }
        }
    }

    /// One subscription's delivery, counted as delivered unless `undeliverable` marked it failed.
    func deliverCounted(_ d: Delivery, to sub: Subscription, context: RequestContext, key: SigningKey) async {
        guard metrics.isConnected else {
            await deliver(d, to: sub, context: context, key: key)
            return
        }
        let outcome = DeliveryOutcome()
        await Self.$deliveryOutcome.withValue(outcome) {
            await deliver(d, to: sub, context: context, key: key)
        }
        metricSums.add(account: context.accountId, region: context.region,
                       outcome.failed ? "NumberOfNotificationsFailed" : "NumberOfNotificationsDelivered",
                       .init("TopicName", Self.topicName(d.topicArn)), 1, unit: "Count")
    }

    /// Called by `undeliverable`: the delivery under way failed for good.
    func noteDeliveryFailed() {
        Self.deliveryOutcome?.failed = true
    }
}
