import SimfraCore

/// PutTargets / RemoveTargets / ListTargetsByRule / ListRuleNamesByTarget, and tags on buses
/// and rules.
extension EventBridgeService {
    static let maxTargetsPerRule = 5

    func putTargets(_ input: Value, _ context: RequestContext) async throws -> Value {
        let targets = input["Targets"]?.listValue ?? []
        for (i, t) in targets.enumerated() {
            let id = t.string("Id") ?? ""
            try EventsError.checkName(id, member: "targets.\(i + 1).member.id")
            let inputs = [t["Input"], t["InputPath"], t["InputTransformer"]].compactMap { $0 }.count
            if inputs > 1 {
                throw EventsError.validation("Only one of Input, InputPath, or InputTransformer must be provided for target \(id).")
            }
            // A FIFO queue needs the message group every event will go to.
            if let arn = t.string("Arn"), arn.hasPrefix("arn:"), arn.contains(":sqs:"), arn.hasSuffix(".fifo"),
                t["SqsParameters"]?.string("MessageGroupId") == nil
            {
                throw EventsError.validation("Parameter(s) SqsParameters must be specified for target: \(id).")
            }
            if let transformer = t["InputTransformer"] {
                try InputTransformer(transformer, targetId: id).validate()
            }
        }
        try await withRule(input.string("Rule") ?? "", input.string("EventBusName"), context) { (rule: inout Rule) throws(AWSError) in
            var merged = rule.targets
            for t in targets {
                if let i = merged.firstIndex(where: { $0.string("Id") == t.string("Id") }) { merged[i] = t } else { merged.append(t) }
            }
            if merged.count > Self.maxTargetsPerRule { throw EventsError.limitExceeded }
            rule.targets = merged
        }
        return ["FailedEntryCount": 0, "FailedEntries": []]
    }

    /// Ids the rule does not have are ignored, as AWS does.
    func removeTargets(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ids = Set(input.stringList("Ids") ?? [])
        try await withRule(input.string("Rule") ?? "", input.string("EventBusName"), context) { rule in
            rule.targets.removeAll { ids.contains($0.string("Id") ?? "") }
        }
        return ["FailedEntryCount": 0, "FailedEntries": []]
    }

    func listTargets(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let rule = try findRule(input.string("Rule") ?? "", input.string("EventBusName"), context)
        let indexed = rule.targets.enumerated().map { (Self.sortableIndex($0.offset), $0.element) }
        let (page, next) = Self.page(indexed, key: { $0.0 }, input)
        var out: [String: Value] = ["Targets": .list(page.map(\.1))]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    func listRuleNamesByTarget(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let ref = try Self.busRef(input.string("EventBusName"), context)
        let target = input.string("TargetArn") ?? ""
        let names = state.withLock { s in
            (s.rules[ref.arn] ?? [:]).values.filter { $0.targets.contains { $0.string("Arn") == target } }.map(\.name)
        }.sorted()
        let (page, next) = Self.page(names, key: { $0 }, input)
        var out: [String: Value] = ["RuleNames": .list(page.map { .string($0) })]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    /// A position as a token that sorts as the position does.
    static func sortableIndex(_ i: Int) -> String {
        let digits = String(i)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    // MARK: Tags

    func tagResource(_ input: Value, _ context: RequestContext) async throws -> Value {
        let tags = try Self.tags(input["Tags"]?.listValue ?? [])
        try await withTaggable(input.string("ResourceARN") ?? "", context) { existing in
            for tag in tags {
                if let i = existing.firstIndex(where: { $0.key == tag.key }) { existing[i] = tag } else { existing.append(tag) }
            }
        }
        return .empty
    }

    func untagResource(_ input: Value, _ context: RequestContext) async throws -> Value {
        let keys = Set(input.stringList("TagKeys") ?? [])
        try await withTaggable(input.string("ResourceARN") ?? "", context) { existing in
            existing.removeAll { keys.contains($0.key) }
        }
        return .empty
    }

    func listTags(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let arn = input.string("ResourceARN") ?? ""
        let now = clock.now()
        let tags = try state.withLock { (s: inout EventsState) throws(AWSError) -> [(key: String, value: String)] in
            switch try Self.taggable(arn) {
            case .bus(let ref):
                guard let bus = s.bus(ref, now: now) else { throw EventsError.busNotFound(ref.name) }
                return bus.tags
            case .rule(let ref, let name):
                guard let rule = s.rules[ref.arn]?[name] else { throw EventsError.ruleNotFound(name, bus: ref.name) }
                return rule.tags
            }
        }
        return ["Tags": .list(tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })]
    }

    enum Taggable { case bus(BusRef), rule(BusRef, String) }

    /// `event-bus/<name>`, `rule/<name>` (default bus) or `rule/<bus>/<name>`.
    static func taggable(_ arn: String) throws(AWSError) -> Taggable {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "events" else {
            throw EventsError.validation("Parameter ResourceARN is not valid. Reason: Provided Arn is not in correct format.")
        }
        let account = String(parts[4]), region = String(parts[3])
        let path = parts[5].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch (path.first, path.count) {
        case ("event-bus", 2): return .bus(BusRef(accountId: account, region: region, name: path[1]))
        case ("rule", 2): return .rule(BusRef(accountId: account, region: region, name: "default"), path[1])
        case ("rule", 3): return .rule(BusRef(accountId: account, region: region, name: path[1]), path[2])
        default:
            throw EventsError.validation("Parameter ResourceARN is not valid. Reason: Provided Arn is not in correct format.")
        }
    }

    private func withTaggable(_ arn: String, _ context: RequestContext,
                              _ body: @escaping (inout [(key: String, value: String)]) -> Void) async throws
    {
        let target = try Self.taggable(arn)
        let now = clock.now()
        try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
            switch target {
            case .bus(let ref):
                guard var bus = s.bus(ref, now: now) else { throw EventsError.busNotFound(ref.name) }
                body(&bus.tags)
                s.buses[bus.arn] = bus
                return ((), [s.write(bus)])
            case .rule(let ref, let name):
                guard var rule = s.rules[ref.arn]?[name] else { throw EventsError.ruleNotFound(name, bus: ref.name) }
                body(&rule.tags)
                s.rules[ref.arn]?[name] = rule
                return ((), [s.write(rule)])
            }
        }
    }
}
