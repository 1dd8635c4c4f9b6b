import SimfraCore

/// A metric alarm: its configuration as PutMetricAlarm gave it (members of the input shape,
/// tags excepted, so DescribeAlarms answers what was put), and its state.
struct MetricAlarm: Sendable {
    var account: String
    var region: String
    var name: String
    var arn: String
    /// PutMetricAlarm's members (AlarmDescription, MetricName, Metrics, Threshold…).
    var config: [String: Value]
    var tags: [(key: String, value: String)] = []
    var actionsEnabled = true
    var state = "INSUFFICIENT_DATA"
    var reason = "Unchecked: Initial alarm creation"
    var reasonData: String?
    var stateUpdated: Double
    var stateTransitioned: Double
    var configUpdated: Double
    /// When the evaluation loop next looks at it (transient).
    var nextEvaluation: Double = 0

    /// A composite alarm (PutCompositeAlarm): its configuration holds `AlarmRule`.
    var isComposite: Bool { config["AlarmRule"] != nil }
    var alarmType: String { isComposite ? "CompositeAlarm" : "MetricAlarm" }

    var period: Int {
        if let p = config["Period"]?.intValue { return Int(p) }
        // A math alarm's period is its queries'.
        for q in config["Metrics"]?.listValue ?? [] {
            if let p = q["MetricStat"]?["Period"]?.intValue { return Int(p) }
        }
        return 60
    }

    var evaluationPeriods: Int { Int(config["EvaluationPeriods"]?.intValue ?? 1) }
    var datapointsToAlarm: Int { Int(config["DatapointsToAlarm"]?.intValue ?? Int64(evaluationPeriods)) }
    var threshold: Double { config["Threshold"]?.doubleValue ?? 0 }
    var comparison: String { config["ComparisonOperator"]?.stringValue ?? "GreaterThanThreshold" }
    var treatMissingData: String { config["TreatMissingData"]?.stringValue ?? "missing" }

    func actions(for state: String) -> [String] {
        let member = switch state {
        case "ALARM": "AlarmActions"
        case "OK": "OKActions"
        default: "InsufficientDataActions"
        }
        return config[member]?.listValue?.compactMap(\.stringValue) ?? []
    }

    /// DescribeAlarms' MetricAlarm shape.
    var described: Value {
        var o = config
        o.removeValue(forKey: "Tags")
        o["AlarmName"] = .string(name)
        o["AlarmArn"] = .string(arn)
        o["ActionsEnabled"] = .bool(actionsEnabled)
        for member in ["AlarmActions", "OKActions", "InsufficientDataActions"] where o[member] == nil { o[member] = .list([]) }
        if !isComposite, o["Metrics"] == nil, o["Dimensions"] == nil { o["Dimensions"] = .list([]) }
        o["StateValue"] = .string(state)
        o["StateReason"] = .string(reason)
        if let reasonData { o["StateReasonData"] = .string(reasonData) }
        o["StateUpdatedTimestamp"] = .timestamp(stateUpdated)
        o["StateTransitionedTimestamp"] = .timestamp(stateTransitioned)
        o["AlarmConfigurationUpdatedTimestamp"] = .timestamp(configUpdated)
        return .object(o)
    }
}

/// One DescribeAlarmHistory entry (kept in memory, as the seed keeps history transient).
struct HistoryItem: Sendable {
    var account: String
    var region: String
    var alarmName: String
    var alarmType: String
    var time: Double
    var type: String
    var summary: String
    var data: String

    var described: Value {
        ["AlarmName": .string(alarmName), "AlarmType": .string(alarmType), "Timestamp": .timestamp(time),
         "HistoryItemType": .string(type), "HistorySummary": .string(summary), "HistoryData": .string(data)]
    }
}
