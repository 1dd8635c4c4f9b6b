import SimfraCore

/// Scheduler's action table (Service Authorization Reference, Amazon EventBridge Scheduler):
/// schedule operations act on `schedule/<group>/<name>`, group and tag operations on
/// `schedule-group/<name>`; the List operations have no resource-level permission. Creating
/// or updating a schedule passes its execution role to the service, so the caller also needs
/// `iam:PassRole` on it (`iam:PassedToService` = scheduler.amazonaws.com).
extension SchedulerService {
    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let partition = Self.partition(context)
        let groupArn = { (name: String) in
            ScheduleGroup.arn(partition: partition, region: context.region, account: context.accountId, name: name)
        }
        switch operation {
        case "CreateSchedule", "UpdateSchedule", "GetSchedule", "DeleteSchedule":
            let arn = Schedule.arn(partition: partition, key: scheduleKey(input, context))
            var requirements = [ActionRequirement(action: "scheduler:\(operation)", resources: [arn],
                                                  createsResource: operation == "CreateSchedule")]
            if operation == "CreateSchedule" || operation == "UpdateSchedule", let role = input["Target"]?.string("RoleArn") {
                requirements.append(ActionRequirement(action: "iam:PassRole", resources: [role],
                                                      conditionKeys: ["iam:passedtoservice": ["scheduler.amazonaws.com"]]))
            }
            return requirements
        case "CreateScheduleGroup":
            let keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
            return [ActionRequirement(action: "scheduler:CreateScheduleGroup", resources: [groupArn(input.string("Name") ?? "")],
                                      conditionKeys: keys, createsResource: true)]
        case "GetScheduleGroup", "DeleteScheduleGroup":
            return [ActionRequirement(action: "scheduler:\(operation)", resources: [groupArn(input.string("Name") ?? "")])]
        case "TagResource":
            let keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
            return [ActionRequirement(action: "scheduler:TagResource", resources: Self.arnList(input.string("ResourceArn")),
                                      conditionKeys: keys)]
        case "UntagResource":
            let tagKeys = input.stringList("TagKeys") ?? []
            return [ActionRequirement(action: "scheduler:UntagResource", resources: Self.arnList(input.string("ResourceArn")),
                                      conditionKeys: tagKeys.isEmpty ? [:] : ["aws:tagkeys": tagKeys])]
        case "ListTagsForResource":
            return [ActionRequirement(action: "scheduler:ListTagsForResource", resources: Self.arnList(input.string("ResourceArn")))]
        default:
            // ListSchedules, ListScheduleGroups: no resource type.
            return [ActionRequirement(action: "scheduler:\(operation)")]
        }
    }

    /// A malformed ARN is the handler's ValidationException, not an authorisation question.
    static func arnList(_ arn: String?) -> [String] {
        guard let arn, arn.split(separator: ":", omittingEmptySubsequences: false).count >= 6 else { return [] }
        return [arn]
    }
}
