import Foundation
import SimfraCore

/// AWS/Events metrics, summed per minute (per flush) and published as statistic sets, in the
/// rule's (the bus owner's) account. A rule's dimensions are `RuleName` on the default bus and
/// `EventBusName` + `RuleName` on a custom bus, as AWS documents:
/// - `TriggeredRules` (Count; none and the rule's): a rule matched an event (or its schedule fired);
/// - `MatchedEvents` (Count; the rule's): an event the rule matched;
/// - `Invocations` (Count; none and the rule's): a target invoked, successfully or not
///   (after its retries); `FailedInvocations` (Count; the rule's) those that failed for good;
/// - `PutEventsRequestSize` (Bytes, no dimension): each PutEvents request's entry size.
/// Nothing is counted while no CloudWatch is connected; zeros are not published (AWS sends
/// these only when they are not zero).
extension EventBridgeService: MetricPublishingService {
    /// Set around one target's delivery, so the delivery's final failure marks it failed.
    @TaskLocal static var invocationOutcome: InvocationOutcome?

    final class InvocationOutcome: @unchecked Sendable {
        // Written and read by the one delivery task that owns it.
        var failed = false
    }

    func registerMetricsFlush() {
        metricSums.flushes(on: metrics, now: { [clock] in clock.now() })
    }

    static func ruleDimensions(_ rule: Rule) -> MetricAccumulator.Dimensions {
        rule.bus.name == "default" ? .init("RuleName", rule.name) : .init("EventBusName", rule.bus.name, "RuleName", rule.name)
    }

    func notePutEvents(_ entries: [Value], _ context: RequestContext) {
        guard metrics.isConnected else { return }
        let size = entries.reduce(0) { $0 + Self.entrySize($1) }
        metricSums.add(account: context.accountId, region: context.region, "PutEventsRequestSize", .none, Double(size),
                       unit: "Bytes")
    }

    /// A rule matched an event (`matched`) or fired on its schedule.
    func noteTriggered(_ rule: Rule, matched: Bool = true) {
        guard metrics.isConnected else { return }
        let dims = Self.ruleDimensions(rule)
        metricSums.record(account: rule.bus.accountId, region: rule.bus.region) { add in
            add("TriggeredRules", .none, 1, "Count")
            add("TriggeredRules", dims, 1, "Count")
            if matched { add("MatchedEvents", dims, 1, "Count") }
        }
    }

    /// One target invocation, counted (with its outcome) once its retries are over.
    func deliverCounted(_ event: DeliveredEvent, to target: Value, rule: Rule, context: RequestContext) async {
        guard metrics.isConnected else {
            await deliver(event, to: target, rule: rule, context: context)
            return
        }
        let outcome = InvocationOutcome()
        await Self.$invocationOutcome.withValue(outcome) {
            await deliver(event, to: target, rule: rule, context: context)
        }
        let dims = Self.ruleDimensions(rule)
        metricSums.record(account: rule.bus.accountId, region: rule.bus.region) { add in
            add("Invocations", .none, 1, "Count")
            add("Invocations", dims, 1, "Count")
            if outcome.failed { add("FailedInvocations", dims, 1, "Count") }
        }
    }

    /// Called where a delivery fails for good.
    func noteInvocationFailed() {
        Self.invocationOutcome?.failed = true
    }
}
