import Foundation
import SimfraCore

/// Composite alarms: PutCompositeAlarm, and their evaluation whenever a child changes state.
extension CloudWatchService {
    func putCompositeAlarm(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("AlarmName") ?? ""
        let ruleText = input.string("AlarmRule") ?? ""
        let rule: AlarmRule
        do {
            rule = try AlarmRule.parse(ruleText)
        } catch {
            throw CloudWatchError.invalidValue("Error in alarm rule: \(error.message)")
        }
        let arn = Self.alarmArn(name, context)
        if rule.references.contains(where: { $0 == name || $0 == arn }) {
            throw CloudWatchError.invalidValue("Error in alarm rule: the alarm may not refer to itself")
        }
        let tags = (input["Tags"]?.listValue ?? []).map { (key: $0.string("Key") ?? "", value: $0.string("Value") ?? "") }
        var config = input.objectValue ?? [:]
        for member in ["AlarmName", "Tags", "ActionsEnabled"] { config.removeValue(forKey: member) }
        let now = (clock.now() * 1000).rounded() / 1000
        let commit = state.withLock { s -> Commit in
            let created = s.alarms[arn] == nil
            var alarm = s.alarms[arn] ?? MetricAlarm(account: context.accountId, region: context.region, name: name,
                                                     arn: arn, config: [:], stateUpdated: now, stateTransitioned: now,
                                                     configUpdated: now)
            alarm.config = config
            alarm.configUpdated = now
            alarm.actionsEnabled = input.bool("ActionsEnabled") ?? true
            if created { alarm.tags = tags }
            s.alarms[arn] = alarm
            s.history.append(HistoryItem(
                account: context.accountId, region: context.region, alarmName: name, alarmType: "CompositeAlarm", time: now,
                type: "ConfigurationUpdate", summary: "Alarm \"\(name)\" \(created ? "created" : "updated")",
                data: Self.json(["type": created ? "Create" : "Update", "version": "1.0"])))
            return saveLocked(alarm)
        }
        try await commit.wait()
        await evaluateComposites(account: context.accountId, region: context.region, cascade: 1)
        return .empty
    }

    /// The alarm a rule reference means: an ARN as given, a name in the composite's account and region.
    static func referencedArn(_ ref: String, of composite: MetricAlarm) -> String {
        if ref.hasPrefix("arn:") { return ref }
        let prefix = composite.arn.dropLast(composite.name.count)
        return prefix + ref
    }

    /// Re-evaluates every composite alarm of the account and region against its children's states.
    func evaluateComposites(account: String, region: String, cascade: Int) async {
        let decisions: [(arn: String, state: String, reason: String, data: String)] = state.withLock { s in
            var out: [(String, String, String, String)] = []
            for a in s.alarms.values where a.isComposite && a.account == account && a.region == region {
                guard let rule = try? AlarmRule.parse(a.config["AlarmRule"]?.stringValue ?? "") else { continue }
                let stateOf = { (ref: String) in s.alarms[Self.referencedArn(ref, of: a)]?.state ?? "INSUFFICIENT_DATA" }
                let value = rule.evaluate(stateOf)
                let newState = value ? "ALARM" : "OK"
                guard newState != a.state else { continue }
                // The children in the state that made the rule true (AWS's triggeringAlarms).
                let triggering = rule.references.map { Self.referencedArn($0, of: a) }
                    .filter { s.alarms[$0]?.state == (value ? "ALARM" : "OK") }
                let children = triggering.compactMap { s.alarms[$0] }
                let reason = children.first.map {
                    "\($0.arn) transitioned to \($0.state) at \(Self.longDate($0.stateTransitioned))"
                } ?? "Alarm rule evaluated to \(value ? "TRUE" : "FALSE")"
                let data = Self.json(["triggeringAlarms": children.map {
                    ["arn": $0.arn, "state": ["value": $0.state, "timestamp": Self.isoDate($0.stateTransitioned)]] as [String: Any]
                }])
                out.append((a.arn, newState, reason, data))
            }
            return out
        }
        for d in decisions {
            try? await transition(d.arn, to: d.state, reason: d.reason, reasonData: d.data, force: false, cascade: cascade)
        }
    }

    /// `Monday 07 December, 2026 16:30:00 UTC`, as composite alarm reasons give a child's time.
    static func longDate(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEEE dd MMMM, yyyy HH:mm:ss 'UTC'"
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}
