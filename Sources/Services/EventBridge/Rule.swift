import SimfraCore

/// One rule on one bus, with its targets (at most five, in the order they were put).
struct Rule: Sendable {
    var name: String
    var bus: BusRef
    var eventPattern: String?
    var compiled: RulePattern?
    var scheduleExpression: String?
    var state: String
    var description: String?
    var roleArn: String?
    var managedBy: String?
    var createdBy: String
    var tags: [(key: String, value: String)] = []
    /// Each target as PutTargets received it (`Id`, `Arn`, `Input`, `InputTransformer`…).
    var targets: [Value] = []
    /// When the rule was first put (scheduled rules count their rate from it).
    var created: Double

    var arn: String { Rule.arn(bus, name) }
    var isEnabled: Bool { state == "ENABLED" }

    /// Rules of the default bus are `rule/<name>`, of a custom bus `rule/<bus>/<name>`.
    static func arn(_ bus: BusRef, _ name: String) -> String {
        let path = bus.name == "default" ? name : "\(bus.name)/\(name)"
        return "arn:aws:events:\(bus.region):\(bus.accountId):rule/\(path)"
    }

    /// The DescribeRule / ListRules shape. `EventPattern` is the text as the caller sent it.
    func summary(describe: Bool) -> Value {
        var o: [String: Value] = [
            "Name": .string(name), "Arn": .string(arn), "EventBusName": .string(bus.name), "State": .string(state),
        ]
        if let eventPattern { o["EventPattern"] = .string(eventPattern) }
        if let scheduleExpression { o["ScheduleExpression"] = .string(scheduleExpression) }
        if let description { o["Description"] = .string(description) }
        if let roleArn { o["RoleArn"] = .string(roleArn) }
        if let managedBy { o["ManagedBy"] = .string(managedBy) }
        if describe { o["CreatedBy"] = .string(createdBy) }
        return .object(o)
    }
}
