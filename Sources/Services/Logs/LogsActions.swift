import SimfraCore

/// CloudWatch Logs' IAM table (Service Authorization Reference): every operation's action,
/// the log-group / log-stream / destination ARN it acts on, and the tag condition keys.
extension LogsService: AuthorizingService {
    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let action = "logs:" + operation
        let base = "arn:aws:logs:\(context.region):\(context.accountId)"
        func group(_ n: String?) -> String { "\(base):log-group:\(n ?? "*")" }
        let groupName = (try? Self.groupName(input)) ?? input.string("logGroupName")
        switch operation {
        case "StartQuery", "StartLiveTail":
            var names = (input.stringList("logGroupNames") ?? []) + (input.string("logGroupName").map { [$0] } ?? [])
            names += (input.stringList("logGroupIdentifiers") ?? [])
            return [ActionRequirement(action: action, resources: names.map { $0.hasPrefix("arn:") ? $0 : group($0) })]
        case "GetQueryResults", "StopQuery", "DescribeQueries", "DescribeExportTasks", "CancelExportTask":
            return [ActionRequirement(action: action)]
        case "DescribeLogGroups", "DescribeResourcePolicies", "PutResourcePolicy", "DeleteResourcePolicy", "TestMetricFilter",
             "DescribeDestinations":
            return [ActionRequirement(action: action, resources: operation == "DescribeLogGroups" ? [group("*")] : [])]
        case "CreateLogGroup":
            let tags = (input.stringMap("tags") ?? [:]).sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
            var reqs = [ActionRequirement(action: action, resources: [group(groupName)],
                                          conditionKeys: ActionRequirement.requestTagKeys(tags), createsResource: true)]
            if !tags.isEmpty {
                reqs.append(ActionRequirement(action: "logs:TagResource", resources: [group(groupName)],
                                              conditionKeys: ActionRequirement.requestTagKeys(tags)))
            }
            return reqs
        case "TagResource", "UntagResource", "ListTagsForResource":
            let arn = input.string("resourceArn") ?? group(nil)
            var keys: [String: [String]] = [:]
            if operation == "TagResource" {
                keys = ActionRequirement.requestTagKeys((input.stringMap("tags") ?? [:]).sorted { $0.key < $1.key }
                    .map { (key: $0.key, value: $0.value) })
            } else if operation == "UntagResource" {
                keys["aws:tagkeys"] = input.stringList("tagKeys") ?? []
            }
            return [ActionRequirement(action: action, resources: [arn.hasSuffix(":*") ? String(arn.dropLast(2)) : arn],
                                      conditionKeys: keys)]
        case "TagLogGroup":
            return [ActionRequirement(action: action, resources: [group(groupName)],
                                      conditionKeys: ActionRequirement.requestTagKeys((input.stringMap("tags") ?? [:])
                                          .sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }))]
        case "PutLogEvents", "GetLogEvents", "CreateLogStream", "DeleteLogStream":
            let stream = input.string("logStreamName") ?? "*"
            return [ActionRequirement(action: action, resources: ["\(group(groupName)):log-stream:\(stream)"])]
        case "PutDestination", "PutDestinationPolicy", "DeleteDestination":
            return [ActionRequirement(action: action, resources: ["\(base):destination:\(input.string("destinationName") ?? "*")"],
                                      createsResource: operation == "PutDestination")]
        default:
            return [ActionRequirement(action: action, resources: [group(groupName)])]
        }
    }
}
