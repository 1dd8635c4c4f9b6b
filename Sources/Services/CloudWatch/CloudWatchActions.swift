import SimfraCore

/// CloudWatch's action table (Service Authorization Reference, Amazon CloudWatch). Alarm
/// operations act on alarm ARNs (`arn:…:cloudwatch:<region>:<account>:alarm:<name>`); metric
/// operations have no resource type; PutMetricData carries `cloudwatch:namespace`.
extension CloudWatchService {
    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let action = "cloudwatch:\(operation)"
        let alarm = { (name: String?) -> [String] in name.map { [Self.alarmArn($0, context)] } ?? [] }
        switch operation {
        case "PutMetricData":
            return [ActionRequirement(action: action, conditionKeys: ["cloudwatch:namespace": [input.string("Namespace") ?? ""]])]
        // Anomaly detectors and GetMetricWidgetImage have no resource type in the reference (Resource "*").
        case "GetMetricStatistics", "GetMetricData", "ListMetrics", "DescribeAlarmsForMetric",
             "PutAnomalyDetector", "DescribeAnomalyDetectors", "DeleteAnomalyDetector", "GetMetricWidgetImage":
            return [ActionRequirement(action: action)]
        case "PutMetricAlarm", "PutCompositeAlarm":
            var keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
            let actions = ["AlarmActions", "OKActions", "InsufficientDataActions"].flatMap { input.stringList($0) ?? [] }
            if !actions.isEmpty { keys["cloudwatch:alarmactions"] = actions }
            var reqs = [ActionRequirement(action: action, resources: alarm(input.string("AlarmName")), conditionKeys: keys,
                                          createsResource: true)]
            if !(input["Tags"]?.listValue ?? []).isEmpty {
                reqs.append(ActionRequirement(action: "cloudwatch:TagResource", resources: alarm(input.string("AlarmName")),
                                              conditionKeys: keys))
            }
            return reqs
        case "DescribeAlarms":
            return [ActionRequirement(action: action)]
        case "DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions":
            return [ActionRequirement(action: action, resources: (input.stringList("AlarmNames") ?? []).map { Self.alarmArn($0, context) })]
        case "SetAlarmState", "DescribeAlarmHistory":
            return [ActionRequirement(action: action, resources: alarm(input.string("AlarmName")))]
        case "TagResource":
            return [ActionRequirement(action: action, resources: [input.string("ResourceARN") ?? ""].filter { !$0.isEmpty },
                                      conditionKeys: ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue))]
        case "UntagResource":
            var keys: [String: [String]] = [:]
            if let k = input.stringList("TagKeys"), !k.isEmpty { keys["aws:tagkeys"] = k }
            return [ActionRequirement(action: action, resources: [input.string("ResourceARN") ?? ""].filter { !$0.isEmpty },
                                      conditionKeys: keys)]
        case "PutDashboard", "GetDashboard":
            return [ActionRequirement(action: action, resources: [Self.dashboardArn(input.string("DashboardName") ?? "", context)])]
        case "DeleteDashboards":
            return [ActionRequirement(action: action, resources: (input.stringList("DashboardNames") ?? []).map {
                Self.dashboardArn($0, context)
            })]
        case "PutMetricStream", "GetMetricStream", "DeleteMetricStream":
            var keys: [String: [String]] = [:]
            if operation == "PutMetricStream" { keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue) }
            return [ActionRequirement(action: action, resources: [Self.streamArn(input.string("Name") ?? "", context)],
                                      conditionKeys: keys, createsResource: operation == "PutMetricStream")]
        case "StartMetricStreams", "StopMetricStreams":
            return [ActionRequirement(action: action, resources: (input.stringList("Names") ?? []).map { Self.streamArn($0, context) })]
        case "ListMetricStreams":
            return [ActionRequirement(action: action)]
        case "ListDashboards":
            return [ActionRequirement(action: action)]
        case "ListTagsForResource":
            return [ActionRequirement(action: action, resources: [input.string("ResourceARN") ?? ""].filter { !$0.isEmpty })]
        default:
            return [ActionRequirement(action: action)]
        }
    }
}
