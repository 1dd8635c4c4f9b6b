import SimfraCore
import SimfraProtocols

/// Rule operations: put (create or update), describe, delete, list, enable/disable, and
/// TestEventPattern, which answers from the same matcher the rules use.
extension EventBridgeService {
    func putRule(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        try EventsError.checkName(name, member: "name")
        let ref = try Self.busRef(input.string("EventBusName"), context)
        let pattern = input.string("EventPattern")
        let schedule = input.string("ScheduleExpression")
        if pattern == nil, schedule == nil {
            throw EventsError.validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        }
        let compiled = try pattern.map { (p: String) throws(AWSError) in try RulePattern(p) }
        if let schedule {
            guard ref.name == "default" else {
                throw EventsError.validation("ScheduleExpression is supported only on the default event bus.")
            }
            _ = try RuleSchedule(schedule)
        }
        let tags = try Self.tags(input["Tags"]?.listValue ?? [])
        let now = clock.now()
        let arn = try await mutate { (s: inout EventsState) throws(AWSError) -> (String, [DurableWrite]) in
            guard s.bus(ref, now: now) != nil else { throw EventsError.busNotFound(ref.name) }
            // Putting an existing rule updates what the call names and keeps its targets and tags.
            var rule = s.rules[ref.arn]?[name] ?? Rule(
                name: name, bus: ref, state: "ENABLED", createdBy: context.accountId, created: now)
            rule.eventPattern = pattern
            rule.compiled = compiled
            rule.scheduleExpression = schedule
            if let state = input.string("State") { rule.state = state }
            rule.description = input.string("Description")
            rule.roleArn = input.string("RoleArn")
            for tag in tags {
                if let i = rule.tags.firstIndex(where: { $0.key == tag.key }) { rule.tags[i] = tag } else { rule.tags.append(tag) }
            }
            s.rules[ref.arn, default: [:]][name] = rule
            return (rule.arn, [s.write(rule)])
        }
        if schedule != nil { startScheduler() }
        return ["RuleArn": .string(arn)]
    }

    func describeRule(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        try findRule(input.string("Name") ?? "", input.string("EventBusName"), context).summary(describe: true)
    }

    /// A rule that does not exist is deleted already (AWS answers success).
    func deleteRule(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let ref = try Self.busRef(input.string("EventBusName"), context)
        try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
            guard let rule = s.rules[ref.arn]?[name] else { return ((), []) }
            if !rule.targets.isEmpty { throw EventsError.validation("Rule can't be deleted since it has targets.") }
            s.rules[ref.arn]?.removeValue(forKey: name)
            return ((), [.delete(kind: RuleRecord.kind, account: ref.accountId, region: ref.region, id: RuleRecord.id(rule))])
        }
        return .empty
    }

    func listRules(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let ref = try Self.busRef(input.string("EventBusName"), context)
        let prefix = input.string("NamePrefix") ?? ""
        let now = clock.now()
        let rules = try state.withLock { (s: inout EventsState) throws(AWSError) -> [Rule] in
            guard s.bus(ref, now: now) != nil else { throw EventsError.busNotFound(ref.name) }
            return (s.rules[ref.arn] ?? [:]).values.filter { $0.name.hasPrefix(prefix) }
        }.sorted { $0.name < $1.name }
        let (page, next) = Self.page(rules, key: \.name, input)
        var out: [String: Value] = ["Rules": .list(page.map { $0.summary(describe: false) })]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    func setRuleState(_ input: Value, _ context: RequestContext, _ newState: String) async throws -> Value {
        try await withRule(input.string("Name") ?? "", input.string("EventBusName"), context) { $0.state = newState }
        return .empty
    }

    func testEventPattern(_ input: Value) throws(AWSError) -> Value {
        let pattern = try RulePattern(input.string("EventPattern") ?? "")
        guard let event = try? JSONReader.parse(Array((input.string("Event") ?? "").utf8)), case .object(let o) = event,
            Self.testEventFields.allSatisfy({ o[$0]?.stringValue != nil }), o["resources"]?.listValue != nil || o["resources"] == nil
        else { throw EventsError.validation("Parameter Event is not valid.") }
        return ["Result": .bool(pattern.matches(event))]
    }

    /// What TestEventPattern requires of the event, as AWS checks it.
    static let testEventFields = ["id", "account", "source", "time", "region", "detail-type"]

    func findRule(_ name: String, _ bus: String?, _ context: RequestContext) throws(AWSError) -> Rule {
        let ref = try Self.busRef(bus, context)
        guard let rule = state.withLock({ $0.rules[ref.arn]?[name] }) else {
            throw EventsError.ruleNotFound(name, bus: ref.name)
        }
        return rule
    }

    /// Changes one rule under the lock and writes it through.
    func withRule<T>(_ name: String, _ bus: String?, _ context: RequestContext,
                     _ body: (inout Rule) throws(AWSError) -> T) async throws -> T
    {
        let ref = try Self.busRef(bus, context)
        return try await mutate { (s: inout EventsState) throws(AWSError) -> (T, [DurableWrite]) in
            guard var rule = s.rules[ref.arn]?[name] else { throw EventsError.ruleNotFound(name, bus: ref.name) }
            let result = try body(&rule)
            s.rules[ref.arn]?[name] = rule
            return (result, [s.write(rule)])
        }
    }
}
