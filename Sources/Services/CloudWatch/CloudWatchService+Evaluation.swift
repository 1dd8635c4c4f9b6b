import Foundation
import SimfraCore

/// The evaluation loop: every alarm is looked at every `min(Period, 10)` seconds (AWS looks
/// once a minute for standard periods; evaluating the same data more often only makes a
/// change visible sooner, it decides the same). The decision is `AlarmEvaluation.decide`.
extension CloudWatchService {
    static let servicePrincipal = "cloudwatch.amazonaws.com"

    func startLoop() {
        guard runsLoop else { return }
        loop.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self] in
                while !Task.isCancelled {
                    guard let service = self else { return }
                    await service.evaluateDue()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// Evaluates the alarms whose turn has come and applies the transitions (with actions).
    func evaluateDue() async {
        let now = clock.now()
        let due: [MetricAlarm] = state.withLock { s in
            var out: [MetricAlarm] = []
            for (arn, var a) in s.alarms where a.nextEvaluation <= now && !a.isComposite {
                a.nextEvaluation = now + Double(min(a.period, 10))
                s.alarms[arn] = a
                out.append(a)
            }
            return out
        }
        for alarm in due {
            let (points, samples, bands) = datapointsAndSamples(alarm, now: now)
            // A percentile alarm set to `ignore` keeps its state while its periods hold too few
            // samples for the percentile to mean anything (AWS's 10/(1-p) rule).
            if alarm.config["EvaluateLowSampleCountPercentile"]?.stringValue == "ignore",
               let stat = alarm.config["ExtendedStatistic"]?.stringValue,
               AlarmEvaluation.tooFewSamples(statistic: stat, samples: samples)
            {
                continue
            }
            guard let decision = AlarmEvaluation.decide(
                points: points, comparison: alarm.comparison, threshold: alarm.threshold,
                datapointsToAlarm: alarm.datapointsToAlarm, treatMissingData: alarm.treatMissingData,
                currentState: alarm.state, bands: bands)
            else { continue }
            guard decision.state != alarm.state else { continue }
            let data = Self.json([
                "version": "1.0",
                "queryDate": Self.isoDate(now),
                "startDate": Self.isoDate(points.last?.time ?? now),
                "statistic": alarm.config["Statistic"]?.stringValue ?? alarm.config["ExtendedStatistic"]?.stringValue ?? "",
                "period": alarm.period,
                "recentDatapoints": decision.evaluated.map(\.value),
                "threshold": alarm.threshold,
                "evaluatedDatapoints": decision.evaluated.map { ["timestamp": Self.isoDate($0.time), "value": $0.value] },
            ] as [String: Any])
            try? await transition(alarm.arn, to: decision.state, reason: decision.reason, reasonData: data, force: false)
        }
    }

    /// The alarm's last N periods, newest first. The period still running counts once it has
    /// data; until then the newest is the last complete one (a period without its points yet
    /// is not missing data).
    func datapoints(_ alarm: MetricAlarm, now: Double) -> [(time: Double, value: Double?)] {
        datapointsAndSamples(alarm, now: now).points
    }

    /// The datapoints, and how many raw samples the evaluated periods hold (for a metric alarm;
    /// a math alarm's samples are not counted, its statistic being the expression's).
    func datapointsAndSamples(_ alarm: MetricAlarm, now: Double)
        -> (points: [(time: Double, value: Double?)], samples: Double, bands: [Double: (lower: Double, upper: Double)])
    {
        let p = Double(alarm.period), n = alarm.evaluationPeriods
        let current = (now / p).rounded(.down) * p
        let start = current - Double(n) * p, end = current + p
        var values: [Double: Double] = [:], counts: [Double: Double] = [:]
        var bands: [Double: (lower: Double, upper: Double)] = [:]
        if let metrics = alarm.config["Metrics"] {
            let context = RequestContext(requestId: "", accountId: alarm.account, region: alarm.region, principalArn: "",
                                         userId: "", accessKeyId: "", service: serviceName, operation: "GetMetricData",
                                         endpoint: "", host: "")
            let input: Value = ["MetricDataQueries": metrics, "StartTime": .timestamp(start), "EndTime": .timestamp(end)]
            // The band of an anomaly alarm reaches back two weeks before the evaluated range on its own.
            let thresholdId = alarm.config["ThresholdMetricId"]?.stringValue
            if let out = try? getMetricData(input, context, allowSearch: false) {
                let results = out["MetricDataResults"]?.listValue ?? []
                func read(_ r: Value?) -> [Double: Double] {
                    var m: [Double: Double] = [:]
                    let ts = r?["Timestamps"]?.listValue ?? [], vs = r?["Values"]?.listValue ?? []
                    for (t, v) in zip(ts, vs) {
                        if case .timestamp(let time) = t, let d = v.doubleValue { m[time] = d }
                    }
                    return m
                }
                values = read(results.first { $0.string("Id") != thresholdId })
                if let thresholdId {
                    let band = results.filter { $0.string("Id") == thresholdId }
                    let lower = read(band.first), upper = read(band.dropFirst().first)
                    // A period the band does not cover yet (the model still training) cannot be judged: missing.
                    var judged: [Double: Double] = [:]
                    for (t, v) in values {
                        guard let l = lower[t], let u = upper[t] else { continue }
                        judged[t] = v
                        bands[t] = (l, u)
                    }
                    values = judged
                }
            }
        } else {
            let c = alarm.config
            let dims = ((try? dimensions(c["Dimensions"], prefix: "")) ?? [])
            let series = state.withLock {
                $0.metrics.matching(account: alarm.account, region: alarm.region, namespace: c["Namespace"]?.stringValue ?? "",
                                    name: c["MetricName"]?.stringValue ?? "", dimensions: dims, unit: c["Unit"]?.stringValue)
            }
            let stat = c["Statistic"]?.stringValue ?? c["ExtendedStatistic"]?.stringValue ?? "Average"
            for (t, b) in Self.buckets(series, start: start, end: end, period: alarm.period) {
                if let v = b.value(of: stat) { values[t] = v }
                counts[t] = b.value(of: "SampleCount")
            }
        }
        let latest = values[current] != nil ? current : current - p
        let points = (0..<n).map { k in
            let t = latest - Double(k) * p
            return (time: t, value: values[t])
        }
        return (points, points.reduce(0) { $0 + (counts[$1.time] ?? 0) }, bands)
    }

    /// Moves an alarm to `newState` (SetAlarmState: `force`, the reason is updated even without
    /// a change), records the history, saves, then runs the actions of a real change.
    func transition(_ arn: String, to newState: String, reason: String, reasonData: String?, force: Bool,
                    cascade: Int = 0) async throws
    {
        let now = (clock.now() * 1000).rounded() / 1000
        let (commit, change): (Commit, (old: MetricAlarm, new: MetricAlarm)?) = state.withLock { s in
            guard var a = s.alarms[arn] else { return (.done, nil) }
            let old = a
            guard force || a.state != newState else { return (.done, nil) }
            a.reason = reason
            a.reasonData = reasonData
            a.stateUpdated = now
            let changed = old.state != newState
            if changed {
                a.state = newState
                a.stateTransitioned = now
                s.history.append(HistoryItem(
                    account: a.account, region: a.region, alarmName: a.name, alarmType: a.alarmType, time: now,
                    type: "StateUpdate", summary: "Alarm updated from \(old.state) to \(newState)",
                    data: Self.json([
                        "version": "1.0",
                        "oldState": ["stateValue": old.state, "stateReason": old.reason],
                        "newState": ["stateValue": newState, "stateReason": reason],
                    ])))
            }
            s.alarms[arn] = a
            return (saveLocked(a), changed ? (old, a) : nil)
        }
        try await commit.wait()
        if let change {
            await runActions(old: change.old, new: change.new)
            // Composite alarms follow their children (a rule cycle stops after a few rounds).
            if cascade < 5 { await evaluateComposites(account: change.new.account, region: change.new.region, cascade: cascade + 1) }
        }
    }

    /// SNS notifications (when actions are enabled) and the EventBridge event (always: AWS
    /// sends state-change events whether or not actions are enabled).
    func runActions(old: MetricAlarm, new: MetricAlarm) async {
        let context = RequestContext(requestId: UUID().uuidString.lowercased(), accountId: new.account, region: new.region,
                                     principalArn: Self.servicePrincipal, userId: "", accessKeyId: "",
                                     service: serviceName, operation: "PublishAlarm", endpoint: "", host: "")
        if new.actionsEnabled {
            for action in new.actions(for: new.state) {
                let outcome: String
                if action.hasPrefix("arn:aws:sns:") || action.split(separator: ":").dropFirst(2).first == "sns" {
                    let subject = "\(new.state): \"\(new.name)\" in \(Self.regionName(new.region))"
                    let call = InternalCall(
                        service: "sns", operation: "Publish",
                        input: ["TopicArn": .string(action), "Subject": .string(String(subject.prefix(100))),
                                "Message": .string(notification(old: old, new: new))],
                        onBehalfOf: context, via: nil, asService: Self.servicePrincipal, sourceArn: new.arn)
                    do {
                        _ = try await invoker.invoke(call)
                        outcome = "Successfully executed action \(action)"
                    } catch let e as AWSError {
                        outcome = "Failed to execute action \(action). Received error: \"\(e.message)\""
                    } catch {
                        outcome = "Failed to execute action \(action). Received error: \"\(error)\""
                    }
                } else {
                    // Auto Scaling, EC2, Lambda, SSM actions: stored; their services are not here yet.
                    outcome = "Failed to execute action \(action). Received error: \"The target service of this action is not available in Simfra\""
                }
                state.withLock { s in
                    s.history.append(HistoryItem(
                        account: new.account, region: new.region, alarmName: new.name, alarmType: new.alarmType,
                        time: clock.now(), type: "Action", summary: outcome,
                        data: Self.json(["actionState": outcome.hasPrefix("Successfully") ? "Succeeded" : "Failed",
                                         "notificationResource": action])))
                }
            }
        }
        let detail = Self.json([
            "alarmName": new.name,
            "state": ["value": new.state, "reason": new.reason, "timestamp": Self.isoDate(new.stateUpdated)]
                .merging(new.reasonData.map { ["reasonData": $0] } ?? [:]) { a, _ in a },
            "previousState": ["value": old.state, "reason": old.reason, "timestamp": Self.isoDate(old.stateUpdated)],
            "configuration": new.isComposite
                ? ["description": new.config["AlarmDescription"]?.stringValue ?? "",
                   "alarmRule": new.config["AlarmRule"]?.stringValue ?? ""] as [String: Any]
                : ["description": new.config["AlarmDescription"]?.stringValue ?? "", "metrics": eventMetrics(new)],
        ] as [String: Any])
        let event = InternalCall(
            service: "events", operation: "PutEvents",
            input: ["Entries": [["Source": "aws.cloudwatch", "DetailType": "CloudWatch Alarm State Change",
                                 "Resources": [.string(new.arn)], "Detail": .string(detail)]]],
            onBehalfOf: context, via: nil, asService: Self.servicePrincipal, sourceArn: new.arn)
        // EventBridge may not be running (or not yet implemented): the event is then not delivered.
        _ = try? await invoker.invoke(event)
    }

    func eventMetrics(_ a: MetricAlarm) -> [[String: Any]] {
        if let metrics = a.config["Metrics"]?.listValue {
            return metrics.map { q in
                var o: [String: Any] = ["id": q.string("Id") ?? "", "returnData": q.bool("ReturnData") ?? true]
                if let e = q.string("Expression") { o["expression"] = e }
                if let ms = q["MetricStat"] {
                    o["metricStat"] = ["metric": ["namespace": ms["Metric"]?.string("Namespace") ?? "",
                                                  "name": ms["Metric"]?.string("MetricName") ?? "",
                                                  "dimensions": dimensionMap(ms["Metric"]?["Dimensions"])],
                                       "period": ms.int("Period") ?? 60, "stat": ms.string("Stat") ?? ""]
                }
                return o
            }
        }
        return [["id": "m1", "returnData": true,
                 "metricStat": ["metric": ["namespace": a.config["Namespace"]?.stringValue ?? "",
                                           "name": a.config["MetricName"]?.stringValue ?? "",
                                           "dimensions": dimensionMap(a.config["Dimensions"])],
                                "period": a.period,
                                "stat": a.config["Statistic"]?.stringValue ?? a.config["ExtendedStatistic"]?.stringValue ?? ""]]]
    }

    func dimensionMap(_ v: Value?) -> [String: String] {
        var o: [String: String] = [:]
        for d in v?.listValue ?? [] { o[d.string("Name") ?? ""] = d.string("Value") ?? "" }
        return o
    }

    /// AWS's alarm notification message (the SNS `Message`).
    func notification(old: MetricAlarm, new: MetricAlarm) -> String {
        let c = new.config
        if new.isComposite {
            let strings: (String) -> [String] = { c[$0]?.listValue?.compactMap(\.stringValue) ?? [] }
            return Self.json([
                "AlarmName": new.name, "AlarmDescription": c["AlarmDescription"]?.stringValue ?? NSNull(),
                "AWSAccountId": new.account, "AlarmConfigurationUpdatedTimestamp": Self.isoDate(new.configUpdated),
                "NewStateValue": new.state, "NewStateReason": new.reason, "StateChangeTime": Self.isoDate(new.stateTransitioned),
                "Region": Self.regionName(new.region), "AlarmArn": new.arn, "OldStateValue": old.state,
                "AlarmRule": c["AlarmRule"]?.stringValue ?? "", "OKActions": strings("OKActions"),
                "AlarmActions": strings("AlarmActions"), "InsufficientDataActions": strings("InsufficientDataActions"),
            ] as [String: Any])
        }
        var trigger: [String: Any] = [
            "ComparisonOperator": new.comparison, "EvaluationPeriods": new.evaluationPeriods,
            "Threshold": new.threshold, "TreatMissingData": c["TreatMissingData"]?.stringValue ?? "",
            "EvaluateLowSampleCountPercentile": c["EvaluateLowSampleCountPercentile"]?.stringValue ?? "",
        ]
        if let dp = c["DatapointsToAlarm"]?.intValue { trigger["DatapointsToAlarm"] = dp }
        if let metrics = c["Metrics"]?.listValue {
            trigger["Period"] = new.period
            trigger["Metrics"] = metrics.map { q -> [String: Any] in
                var o: [String: Any] = ["Id": q.string("Id") ?? "", "ReturnData": q.bool("ReturnData") ?? true]
                if let e = q.string("Expression") { o["Expression"] = e }
                if let l = q.string("Label") { o["Label"] = l }
                if let ms = q["MetricStat"] {
                    o["MetricStat"] = ["Metric": ["Namespace": ms["Metric"]?.string("Namespace") ?? "",
                                                  "MetricName": ms["Metric"]?.string("MetricName") ?? "",
                                                  "Dimensions": (ms["Metric"]?["Dimensions"]?.listValue ?? []).map {
                                                      ["name": $0.string("Name") ?? "", "value": $0.string("Value") ?? ""]
                                                  }],
                                       "Period": ms.int("Period") ?? 60, "Stat": ms.string("Stat") ?? ""]
                }
                return o
            }
        } else {
            trigger["MetricName"] = c["MetricName"]?.stringValue ?? ""
            trigger["Namespace"] = c["Namespace"]?.stringValue ?? ""
            trigger["Period"] = new.period
            trigger["Unit"] = c["Unit"]?.stringValue ?? NSNull()
            trigger["Dimensions"] = (c["Dimensions"]?.listValue ?? []).map {
                ["name": $0.string("Name") ?? "", "value": $0.string("Value") ?? ""]
            }
            if let s = c["Statistic"]?.stringValue {
                trigger["StatisticType"] = "Statistic"
                trigger["Statistic"] = s.uppercased()
            } else {
                trigger["StatisticType"] = "ExtendedStatistic"
                trigger["ExtendedStatistic"] = c["ExtendedStatistic"]?.stringValue ?? ""
            }
        }
        let strings: (String) -> [String] = { c[$0]?.listValue?.compactMap(\.stringValue) ?? [] }
        return Self.json([
            "AlarmName": new.name,
            "AlarmDescription": c["AlarmDescription"]?.stringValue ?? NSNull(),
            "AWSAccountId": new.account,
            "AlarmConfigurationUpdatedTimestamp": Self.isoDate(new.configUpdated),
            "NewStateValue": new.state,
            "NewStateReason": new.reason,
            "StateChangeTime": Self.isoDate(new.stateTransitioned),
            "Region": Self.regionName(new.region),
            "AlarmArn": new.arn,
            "OldStateValue": old.state,
            "OKActions": strings("OKActions"),
            "AlarmActions": strings("AlarmActions"),
            "InsufficientDataActions": strings("InsufficientDataActions"),
            "ActionExecutedAfterMuteWindow": false,
            "Trigger": trigger,
        ] as [String: Any])
    }

    /// `2026-12-07T16:30:00.000+0000`, as AWS writes times in alarm messages.
    static func isoDate(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    /// The region's long name, as alarm notifications give it.
    static func regionName(_ region: String) -> String {
        let names = [
            "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
            "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
            "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
            "eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)",
            "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
            "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)",
            "ap-south-1": "Asia Pacific (Mumbai)", "sa-east-1": "South America (Sao Paulo)",
            "ca-central-1": "Canada (Central)",
        ]
        return names[region] ?? region
    }
}
