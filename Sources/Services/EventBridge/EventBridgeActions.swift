import SimfraCore
import SimfraProtocols

/// EventBridge's IAM table (Service Authorization Reference, Amazon EventBridge): bus
/// operations act on `event-bus/<name>`, rule operations on `rule/<name>` (default bus) or
/// `rule/<bus>/<name>`; PutEvents on every bus its entries name, with `events:source` and
/// `events:detail-type`; PutTargets carries `events:TargetArn`.
extension EventBridgeService {
    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let action = "events:" + operation
        func bus(_ member: String) -> [String] {
            BusRef.resolve(input.string(member), context).map { [$0.arn] } ?? []
        }
        func rule(_ member: String) -> [String] {
            guard let ref = BusRef.resolve(input.string("EventBusName"), context), let name = input.string(member) else { return [] }
            return [Rule.arn(ref, name)]
        }
        switch operation {
        case "CreateEventBus":
            let keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
            return [ActionRequirement(action: action, resources: bus("Name"), conditionKeys: keys, createsResource: true)]
        case "DescribeEventBus", "DeleteEventBus", "UpdateEventBus":
            return [ActionRequirement(action: action, resources: bus("Name"))]
        case "PutPermission", "RemovePermission":
            return [ActionRequirement(action: action, resources: bus("EventBusName"))]
        case "CreateArchive":
            let archive = "arn:aws:events:\(context.region):\(context.accountId):archive/\(input.string("ArchiveName") ?? "")"
            return [ActionRequirement(action: action, resources: [archive] + Self.arnList(input.string("EventSourceArn")))]
        case "DescribeArchive", "UpdateArchive", "DeleteArchive":
            return [ActionRequirement(action: action, resources: [
                "arn:aws:events:\(context.region):\(context.accountId):archive/\(input.string("ArchiveName") ?? "")"])]
        case "StartReplay":
            return [ActionRequirement(action: action, resources: Self.arnList(input.string("EventSourceArn")))]
        case "DescribeReplay", "CancelReplay":
            return [ActionRequirement(action: action, resources: [
                "arn:aws:events:\(context.region):\(context.accountId):replay/\(input.string("ReplayName") ?? "")"])]
        case "DescribeConnection", "UpdateConnection", "DeleteConnection", "DeauthorizeConnection":
            let key = Self.key(context, input.string("Name") ?? "")
            return [ActionRequirement(action: action, resources: state.withLock { $0.connections[key] }.map { [$0.arn] } ?? [])]
        case "DescribeApiDestination", "UpdateApiDestination", "DeleteApiDestination":
            let key = Self.key(context, input.string("Name") ?? "")
            return [ActionRequirement(action: action, resources: state.withLock { $0.apiDestinations[key] }.map { [$0.arn] } ?? [])]
        case "CreateConnection", "CreateApiDestination", "ListConnections", "ListApiDestinations":
            return [ActionRequirement(action: action)]
        case "ListEventBuses", "ListRuleNamesByTarget", "TestEventPattern", "ListArchives", "ListReplays":
            return [ActionRequirement(action: action)]
        case "ListRules":
            return [ActionRequirement(action: action)]
        case "PutRule":
            var keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
            keys["events:creatoraccount"] = [context.accountId]
            // The sources and detail types the pattern names at its top level (SAR:
            // events:source, events:detail-type on PutRule).
            if let text = input.string("EventPattern"), let pattern = try? JSONReader.parse(Array(text.utf8)) {
                for (member, key) in [("source", "events:source"), ("detail-type", "events:detail-type")] {
                    let values = pattern[member]?.listValue?.compactMap(\.stringValue) ?? []
                    if !values.isEmpty { keys[key] = values }
                }
            }
            return [ActionRequirement(action: action, resources: rule("Name"), conditionKeys: keys)]
        case "DescribeRule", "DeleteRule", "EnableRule", "DisableRule":
            return [ActionRequirement(action: action, resources: rule("Name"), conditionKeys: ["events:creatoraccount": [context.accountId]])]
        case "PutTargets":
            let arns = (input["Targets"]?.listValue ?? []).compactMap { $0.string("Arn") }
            return [ActionRequirement(action: action, resources: rule("Rule"),
                                      conditionKeys: arns.isEmpty ? [:] : ["events:targetarn": arns])]
        case "RemoveTargets", "ListTargetsByRule":
            return [ActionRequirement(action: action, resources: rule("Rule"))]
        case "TagResource":
            return [ActionRequirement(action: action, resources: Self.arnList(input.string("ResourceARN")),
                                      conditionKeys: ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue))]
        case "UntagResource":
            let keys = input.stringList("TagKeys") ?? []
            return [ActionRequirement(action: action, resources: Self.arnList(input.string("ResourceARN")),
                                      conditionKeys: keys.isEmpty ? [:] : ["aws:tagkeys": keys])]
        case "ListTagsForResource":
            return [ActionRequirement(action: action, resources: Self.arnList(input.string("ResourceARN")))]
        case "PutEvents":
            let entries = input["Entries"]?.listValue ?? []
            var buses: [String] = []
            for e in entries {
                guard let arn = BusRef.resolve(e.string("EventBusName"), context)?.arn else { continue }
                if !buses.contains(arn) { buses.append(arn) }
            }
            var keys: [String: [String]] = [:]
            let sources = entries.compactMap { $0.string("Source") }
            let types = entries.compactMap { $0.string("DetailType") }
            if !sources.isEmpty { keys["events:source"] = sources }
            if !types.isEmpty { keys["events:detail-type"] = types }
            if context.principalArn == "events.amazonaws.com" { keys["events:eventbusinvocation"] = ["true"] }
            return [ActionRequirement(action: action, resources: buses, conditionKeys: keys)]
        default:
            return [ActionRequirement(action: action)]
        }
    }

    static func arnList(_ arn: String?) -> [String] {
        guard let arn, arn.split(separator: ":", omittingEmptySubsequences: false).count >= 6 else { return [] }
        return [arn]
    }

    /// A bus's policy. Within its own account an AWS service may put events on the bus —
    /// S3 its `aws.s3` events, EventBridge forwarding from a rule of the account — as AWS
    /// lets it: an implicit statement naming that service, added only when one is calling.
    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? {
        guard case .bus(let ref)? = try? Self.taggable(arn) else { return nil }
        let policy = state.withLock { $0.buses[ref.arn]?.policy }
        var implicit: [String] = []
        if let service = Self.servicePrincipal(context), context.accountId == ref.accountId {
            implicit.append(Self.policyText([[
                "Sid": "AWSServiceEvents", "Effect": "Allow", "Principal": ["Service": .string(service)],
                "Action": "events:PutEvents", "Resource": .string(ref.arn),
            ]]))
        }
        if policy == nil && implicit.isEmpty { return nil }
        return ResourcePolicyDocument(document: policy ?? "", ownerAccount: ref.accountId, additionalDocuments: implicit)
    }

    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count >= 6 && !parts[4].isEmpty ? String(parts[4]) : nil
    }

    public func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]? {
        guard let target = try? Self.taggable(arn) else { return nil }
        let tags: [(key: String, value: String)]? = state.withLock { s in
            switch target {
            case .bus(let ref): return s.buses[ref.arn]?.tags
            case .rule(let ref, let name): return s.rules[ref.arn]?[name]?.tags
            }
        }
        guard let tags, !tags.isEmpty else { return nil }
        return Dictionary(tags.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}
