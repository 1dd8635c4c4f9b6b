import Foundation
import SimfraCore

/// Scheduled rules fire on the clock: a service-owned loop wakes at least once a second,
/// asks the `ScheduleTracker` what is due and sends each due rule's targets AWS's
/// "Scheduled Event" (source `aws.events`, resources: the rule ARN).
extension EventBridgeService {
    /// Starts the firing loop once (when the first scheduled rule appears, or at restore).
    func startScheduler() {
        let start = schedulerStarted.withLock { started -> Bool in
            defer { started = true }
            return !started
        }
        guard start else { return }
        Task { [weak self] in
            while let s = self {
                // Not awaited: a firing whose target retries must not hold up the clock.
                let now = s.clock.now()
                Task { await s.fireDue(now: now) }
                let wait = s.secondsUntilNextCheck()
                try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
            }
        }
    }

    private func secondsUntilNextCheck() -> Double {
        let next = tracker.withLock { $0.earliest }
        guard let next else { return 1 }
        return min(1, max(0.05, next - clock.now()))
    }

    /// Fires every scheduled rule due at `now`. The loop calls it; tests call it with a
    /// hand-moved clock.
    func fireDue(now: Double) async {
        let scheduled = state.withLock { s -> [String: Rule] in
            var out: [String: Rule] = [:]
            for rules in s.rules.values {
                for r in rules.values where r.isEnabled && r.scheduleExpression != nil { out[r.arn] = r }
            }
            return out
        }
        let due = tracker.withLock { t -> [String] in
            t.sync(scheduled.mapValues { (text: $0.scheduleExpression!, created: $0.created) }, now: now)
            return t.due(now: now)
        }
        for arn in due {
            guard let rule = scheduled[arn] else { continue }
            let event = DeliveredEvent(
                id: UUID().uuidString.lowercased(), detailType: "Scheduled Event", source: "aws.events",
                account: rule.bus.accountId, time: DeliveredEvent.format(now), region: rule.bus.region,
                resources: [rule.arn], detailText: "{}", detail: .object([:]))
            let context = RequestContext(
                requestId: event.id, accountId: rule.bus.accountId, region: rule.bus.region,
                principalArn: "events.amazonaws.com", userId: "", accessKeyId: "", service: "events",
                operation: "ScheduledRule", endpoint: "", host: "")
            noteTriggered(rule, matched: false)
            await withTaskGroup(of: Void.self) { group in
                for target in rule.targets {
                    group.addTask { await self.deliverCounted(event, to: target, rule: rule, context: context) }
                }
            }
        }
    }
}
