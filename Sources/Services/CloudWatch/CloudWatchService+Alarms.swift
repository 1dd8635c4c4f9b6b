import Foundation
import SimfraCore

/// Metric alarm API: PutMetricAlarm, DescribeAlarms(ForMetric), DeleteAlarms, SetAlarmState,
/// Enable/DisableAlarmActions, DescribeAlarmHistory, tags.
extension CloudWatchService {
    static let alarmPeriods: Set<Int> = [10, 20, 30]

    func putMetricAlarm(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("AlarmName") ?? ""
        let hasMetric = input.string("MetricName") != nil || input.string("Namespace") != nil
        let metrics = input["Metrics"]?.listValue
        if hasMetric, metrics != nil {
            throw CloudWatchError.combination("The parameters MetricName and Metrics are mutually exclusive and you have specified both.")
        }
        if let metrics {
            // An anomaly detection alarm returns its metric and its band (ThresholdMetricId) both.
            let thresholdId = input.string("ThresholdMetricId")
            let returning = metrics.filter { ($0.bool("ReturnData") ?? true) && $0.string("Id") != thresholdId }.count
            if returning != 1 {
                throw CloudWatchError.invalidValue("Metrics list must contain exactly one metric with ReturnData set to true.")
            }
            // AWS evaluates alarms on fixed metrics: a SEARCH, whose result set changes, is refused.
            for q in metrics {
                if let expr = q.string("Expression"), let node = try? MetricMath.parse(expr), MetricMath.usesSearch(node) {
                    throw AWSError(code: "ValidationError", message: "SEARCH is not supported on Metric Alarms.")
                }
            }
        } else {
            guard input.string("MetricName") != nil else { throw CloudWatchError.missing("MetricName") }
            guard input.string("Namespace") != nil else { throw CloudWatchError.missing("Namespace") }
            let stat = input.string("Statistic"), ext = input.string("ExtendedStatistic")
            if (stat == nil) == (ext == nil) {
                throw CloudWatchError.combination("Exactly one of the parameters Statistic or ExtendedStatistic is required.")
            }
            if let ext, !ExtendedStatistic.isValid(ext) {
                throw CloudWatchError.invalidValue("The value \(ext) for parameter ExtendedStatistic is not supported.")
            }
            guard let period = input.int("Period") else { throw CloudWatchError.missing("Period") }
            guard Self.alarmPeriods.contains(period) || (period >= 60 && period % 60 == 0) else {
                throw CloudWatchError.invalidValue("The parameter Period must be 10, 20, 30, or a multiple of 60.")
            }
        }
        // AWS: Period * EvaluationPeriods at most one day (the range an evaluation reads).
        let (span, overflow) = (metrics.map { _ in 60 } ?? input.int("Period") ?? 60)
            .multipliedReportingOverflow(by: input.int("EvaluationPeriods") ?? 1)
        if overflow || span > 86400 {
            throw CloudWatchError.invalidValue(
                "The evaluation period of the alarm (Period * EvaluationPeriods) must not exceed 86400 seconds.")
        }
        if input["Threshold"] == nil, input.string("ThresholdMetricId") == nil {
            throw CloudWatchError.missing("Threshold")
        }
        let bandOperators: Set<String> = ["LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"]
        let comparison = input.string("ComparisonOperator") ?? ""
        if let thresholdId = input.string("ThresholdMetricId") {
            if input["Threshold"] != nil {
                throw CloudWatchError.combination("The parameters Threshold and ThresholdMetricId are mutually exclusive and you have specified both.")
            }
            guard bandOperators.contains(comparison) else {
                throw CloudWatchError.invalidValue("ComparisonOperator \(comparison) is not supported for alarms with ThresholdMetricId; use LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold or GreaterThanUpperThreshold.")
            }
            let band = metrics?.first { $0.string("Id") == thresholdId }
            guard let expr = band?.string("Expression"), expr.uppercased().contains("ANOMALY_DETECTION_BAND") else {
                throw CloudWatchError.invalidValue("ThresholdMetricId \(thresholdId) must name an ANOMALY_DETECTION_BAND expression in Metrics.")
            }
        } else if bandOperators.contains(comparison) {
            throw CloudWatchError.invalidValue("ComparisonOperator \(comparison) is only supported for alarms with ThresholdMetricId.")
        }
        let n = input.int("EvaluationPeriods") ?? 1
        if let m = input.int("DatapointsToAlarm"), m > n {
            throw CloudWatchError.invalidValue("DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
        }
        _ = try dimensions(input["Dimensions"], prefix: "Dimensions")
        let tags = (input["Tags"]?.listValue ?? []).map { (key: $0.string("Key") ?? "", value: $0.string("Value") ?? "") }
        var config = input.objectValue ?? [:]
        for member in ["AlarmName", "Tags", "ActionsEnabled"] { config.removeValue(forKey: member) }
        let arn = Self.alarmArn(name, context)
        let now = (clock.now() * 1000).rounded() / 1000
        let (commit, created): (Commit, Bool) = state.withLock { s in
            var alarm = s.alarms[arn] ?? MetricAlarm(account: context.accountId, region: context.region, name: name,
                                                     arn: arn, config: [:], stateUpdated: now, stateTransitioned: now,
                                                     configUpdated: now)
            let created = s.alarms[arn] == nil
            alarm.config = config
            alarm.configUpdated = now
            alarm.actionsEnabled = input.bool("ActionsEnabled") ?? true
            // Tags given on update are added; existing ones stay (AWS: use TagResource to change).
            if created { alarm.tags = tags }
            alarm.nextEvaluation = now
            s.alarms[arn] = alarm
            s.history.append(HistoryItem(
                account: context.accountId, region: context.region, alarmName: name, alarmType: "MetricAlarm", time: now,
                type: "ConfigurationUpdate", summary: "Alarm \"\(name)\" \(created ? "created" : "updated")",
                data: Self.json(["type": created ? "Create" : "Update", "version": "1.0"])))
            return (saveLocked(alarm), created)
        }
        _ = created
        try await commit.wait()
        startLoop()
        return .empty
    }

    func alarmsOf(_ context: RequestContext, _ s: State) -> [MetricAlarm] {
        s.alarms.values.filter { $0.account == context.accountId && $0.region == context.region }.sorted { $0.name < $1.name }
    }

    func describeAlarms(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let names = input.stringList("AlarmNames")
        let prefix = input.string("AlarmNamePrefix")
        if names != nil, prefix != nil {
            throw CloudWatchError.combination("The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both.")
        }
        // Without AlarmTypes AWS lists metric alarms only.
        let types = input.stringList("AlarmTypes") ?? ["MetricAlarm"]
        let stateValue = input.string("StateValue"), actionPrefix = input.string("ActionPrefix")
        let max = Swift.max(1, input.int("MaxRecords") ?? 50)
        let children = input.string("ChildrenOfAlarmName"), parents = input.string("ParentsOfAlarmName")
        let everything = state.withLock { alarmsOf(context, $0) }
        // ChildrenOfAlarmName: the alarms the named composite's rule refers to; ParentsOfAlarmName:
        // the composites whose rules refer to the named alarm.
        var childArns: Set<String>?
        if let children {
            let composite = everything.first { $0.name == children && $0.isComposite }
            let rule = composite.flatMap { try? AlarmRule.parse($0.config["AlarmRule"]?.stringValue ?? "") }
            childArns = Set((rule?.references ?? []).map { Self.referencedArn($0, of: composite!) })
        }
        let all = everything.filter { a in
            if !types.contains(a.alarmType) { return false }
            if let names, !names.contains(a.name) { return false }
            if let prefix, !a.name.hasPrefix(prefix) { return false }
            if let stateValue, a.state != stateValue { return false }
            if let actionPrefix, !(a.actions(for: "ALARM") + a.actions(for: "OK") + a.actions(for: "INSUFFICIENT_DATA"))
                .contains(where: { $0.hasPrefix(actionPrefix) }) { return false }
            if let childArns, !childArns.contains(a.arn) { return false }
            if let parents {
                guard a.isComposite, let rule = try? AlarmRule.parse(a.config["AlarmRule"]?.stringValue ?? "") else { return false }
                let target = Self.alarmArn(parents, context)
                if !rule.references.contains(where: { Self.referencedArn($0, of: a) == target }) { return false }
            }
            return true
        }
        var offset = 0
        if let token = input.string("NextToken") {
            guard let n = Int(token), n >= 0, n <= all.count else { throw CloudWatchError.invalidNextToken }
            offset = n
        }
        let page = all[offset..<min(all.count, offset + max)]
        var out: [String: Value] = [
            "MetricAlarms": .list(page.filter { !$0.isComposite }.map(\.described)),
            "CompositeAlarms": .list(page.filter(\.isComposite).map(\.described)),
        ]
        if offset + max < all.count { out["NextToken"] = .string(String(offset + max)) }
        return .object(out)
    }

    func describeAlarmsForMetric(_ input: Value, _ context: RequestContext) -> Value {
        let dims = ((try? dimensions(input["Dimensions"], prefix: "Dimensions")) ?? [])
        let found = state.withLock { alarmsOf(context, $0) }.filter { a in
            let c = a.config
            guard c["MetricName"]?.stringValue == input.string("MetricName"),
                c["Namespace"]?.stringValue == input.string("Namespace") else { return false }
            let mine = ((try? dimensions(c["Dimensions"], prefix: "")) ?? [])
            if input["Dimensions"] != nil, mine != dims { return false }
            for member in ["Statistic", "ExtendedStatistic", "Unit"] {
                if let want = input.string(member), c[member]?.stringValue != want { return false }
            }
            if let p = input.int("Period"), a.period != p { return false }
            return true
        }
        return ["MetricAlarms": .list(found.map(\.described))]
    }

    func deleteAlarms(_ input: Value, _ context: RequestContext) async throws -> Value {
        let names = input.stringList("AlarmNames") ?? []
        let commit = state.withLock { s -> Commit in
            var writes: [DurableWrite] = []
            for name in names {
                let arn = Self.alarmArn(name, context)
                guard s.alarms.removeValue(forKey: arn) != nil else { continue }
                writes.append(.delete(kind: AlarmRecord.kind, account: context.accountId, region: context.region, id: name))
            }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        try await commit.wait()
        return .empty
    }

    func setAlarmState(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("AlarmName") ?? ""
        if let data = input.string("StateReasonData"),
            (try? JSONSerialization.jsonObject(with: Data(data.utf8))) == nil
        {
            throw AWSError(code: "InvalidFormatFault", message: "Invalid JSON in StateReasonData")
        }
        let arn = Self.alarmArn(name, context)
        guard state.withLock({ $0.alarms[arn] }) != nil else { throw CloudWatchError.alarmNotFound }
        try await transition(arn, to: input.string("StateValue") ?? "", reason: input.string("StateReason") ?? "",
                             reasonData: input.string("StateReasonData"), force: true)
        return .empty
    }

    func setActionsEnabled(_ input: Value, _ context: RequestContext, enabled: Bool) async throws -> Value {
        let names = input.stringList("AlarmNames") ?? []
        let commit = state.withLock { s -> Commit in
            var writes: [DurableWrite] = []
            for name in names {
                let arn = Self.alarmArn(name, context)
                guard var a = s.alarms[arn] else { continue }
                a.actionsEnabled = enabled
                s.alarms[arn] = a
                writes.append(.put(kind: AlarmRecord.kind, account: a.account, region: a.region, id: a.name,
                                   data: AlarmRecord.encode(a)))
            }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        try await commit.wait()
        return .empty
    }

    func describeAlarmHistory(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("AlarmName"), type = input.string("HistoryItemType")
        var start: Double?, end: Double?
        if case .timestamp(let t)? = input["StartDate"] { start = t }
        if case .timestamp(let t)? = input["EndDate"] { end = t }
        let types = input.stringList("AlarmTypes") ?? ["MetricAlarm", "CompositeAlarm"]
        var items = state.withLock { s in
            s.history.filter { h in
                h.account == context.accountId && h.region == context.region && (name == nil || h.alarmName == name)
                    && (type == nil || h.type == type) && types.contains(h.alarmType)
                    && (start == nil || h.time >= start!) && (end == nil || h.time <= end!)
            }
        }
        if input.string("ScanBy") == "TimestampAscending" { items.sort { $0.time < $1.time } } else { items.sort { $0.time > $1.time } }
        let max = Swift.max(1, input.int("MaxRecords") ?? 100)
        var offset = 0
        if let token = input.string("NextToken") {
            guard let n = Int(token), n >= 0, n <= items.count else { throw CloudWatchError.invalidNextToken }
            offset = n
        }
        var out: [String: Value] = ["AlarmHistoryItems": .list(items[offset..<min(items.count, offset + max)].map(\.described))]
        if offset + max < items.count { out["NextToken"] = .string(String(offset + max)) }
        return .object(out)
    }

    func tags(_ operation: String, _ input: Value, _ context: RequestContext) async throws -> Value {
        let arn = input.string("ResourceARN") ?? ""
        if operation == "ListTagsForResource" {
            // AWS answers an empty list for an alarm that does not (or no longer) exist.
            let tags = state.withLock { $0.alarms[arn]?.tags ?? $0.streams[arn]?.tags } ?? []
            return ["Tags": .list(tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })]
        }
        func retag(_ tags: inout [(key: String, value: String)]) {
            if operation == "TagResource" {
                for t in input["Tags"]?.listValue ?? [] {
                    let key = t.string("Key") ?? "", value = t.string("Value") ?? ""
                    if let i = tags.firstIndex(where: { $0.key == key }) { tags[i].value = value } else { tags.append((key, value)) }
                }
            } else {
                let keys = Set(input.stringList("TagKeys") ?? [])
                tags.removeAll { keys.contains($0.key) }
            }
        }
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            if var m = s.streams[arn], m.account == context.accountId {
                retag(&m.tags)
                s.streams[arn] = m
                return records.put(kind: StreamRecord.kind, account: m.account, region: m.region, id: m.name,
                                   data: StreamRecord.encode(m))
            }
            guard var a = s.alarms[arn], a.account == context.accountId else {
                throw CloudWatchError.resourceNotFound("Unknown resource \(arn)")
            }
            if operation == "TagResource" {
                for t in input["Tags"]?.listValue ?? [] {
                    let key = t.string("Key") ?? "", value = t.string("Value") ?? ""
                    if let i = a.tags.firstIndex(where: { $0.key == key }) { a.tags[i].value = value } else { a.tags.append((key, value)) }
                }
            } else {
                let keys = Set(input.stringList("TagKeys") ?? [])
                a.tags.removeAll { keys.contains($0.key) }
            }
            s.alarms[arn] = a
            return saveLocked(a)
        }
        try await commit.wait()
        return .empty
    }

    static func json(_ o: Any) -> String {
        guard let d = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: d, as: UTF8.self)
    }
}
