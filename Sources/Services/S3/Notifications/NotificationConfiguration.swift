import Foundation
import SimfraCore

/// One destination of a bucket's notification configuration: a queue, topic or function,
/// the events it wants and its key filter.
struct NotificationTarget: Sendable, Equatable {
    enum Kind: String, Sendable {
        case queue, topic, lambda

        /// The configuration list and ARN member of this kind, as the API names them.
        var listMember: String {
            switch self {
            case .queue: "QueueConfigurations"
            case .topic: "TopicConfigurations"
            case .lambda: "LambdaFunctionConfigurations"
            }
        }

        var arnMember: String {
            switch self {
            case .queue: "QueueArn"
            case .topic: "TopicArn"
            case .lambda: "LambdaFunctionArn"
            }
        }

        /// S3's `ArgumentName` for an ARN it cannot parse (recorded).
        var argumentName: String {
            switch self {
            case .queue: "Queue"
            case .topic: "Topic"
            case .lambda: "CloudFunction"
            }
        }

        var arnService: String {
            switch self {
            case .queue: "sqs"
            case .topic: "sns"
            case .lambda: "lambda"
            }
        }
    }

    var kind: Kind
    var id: String
    var arn: String
    /// As configured, with the `s3:` prefix (`s3:ObjectCreated:*`).
    var events: [String]
    var prefix: String?
    var suffix: String?

    /// Whether an event (`ObjectCreated:Put`, without `s3:`) on `key` goes to this target.
    func matches(event: String, key: String) -> Bool {
        guard events.contains(where: { NotificationEvents.covers($0, event) }) else { return false }
        if let prefix, !key.hasPrefix(prefix) { return false }
        if let suffix, !key.hasSuffix(suffix) { return false }
        return true
    }

    /// The parts of the ARN: region, account and resource name.
    var arnParts: (region: String, account: String, name: String) {
        let p = arn.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        return (p.count > 3 ? p[3] : "", p.count > 4 ? p[4] : "", p.count > 5 ? p[5...].joined(separator: ":") : "")
    }
}

/// Event names S3 accepts in a configuration (the model's `Event` enum) and how a configured
/// name (possibly a `*` wildcard) covers an event.
enum NotificationEvents {
    static let accepted: Set<String> = [
        "s3:ReducedRedundancyLostObject", "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*", "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed",
        "s3:Replication:*", "s3:Replication:OperationFailedReplication", "s3:Replication:OperationNotTracked",
        "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold",
        "s3:ObjectRestore:Delete", "s3:LifecycleTransition", "s3:IntelligentTiering", "s3:ObjectAcl:Put",
        "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated",
        "s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete",
    ]

    /// Whether the configured name (`s3:ObjectCreated:*`) covers `event` (`ObjectCreated:Put`).
    static func covers(_ configured: String, _ event: String) -> Bool {
        let c = configured.hasPrefix("s3:") ? configured.dropFirst(3) : Substring(configured)
        if c.hasSuffix(":*") { return event.hasPrefix(c.dropLast()) }
        return c == event
    }

    /// Whether two configured names share at least one event.
    static func overlap(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        if a.hasSuffix(":*"), b.hasPrefix(a.dropLast()) { return true }
        if b.hasSuffix(":*"), a.hasPrefix(b.dropLast()) { return true }
        return false
    }
}

/// A bucket's parsed notification configuration. Kept on the bucket next to the stored
/// `Value`, so an object operation decides whether to notify with one nil check.
struct BucketNotifications: Sendable, Equatable {
    var targets: [NotificationTarget]
    /// Whether every event also goes to the account's default EventBridge bus.
    var eventBridge: Bool

    var isEmpty: Bool { targets.isEmpty && !eventBridge }

    /// Parses and validates a PutBucketNotificationConfiguration payload as S3 does: ARNs
    /// first (`The ARN could not be parsed`), then events and filter rules, then overlapping
    /// configurations. Configurations without an `Id` get one, as S3 assigns.
    static func parse(_ v: Value, makeId: () -> String = { Base64.encode(UUID().uuidString.lowercased()) })
        throws(AWSError) -> BucketNotifications
    {
        guard case .object = v else { throw S3Errors.malformedXML() }
        var raw: [(NotificationTarget.Kind, Value)] = []
        for kind in [NotificationTarget.Kind.topic, .queue, .lambda] {
            for c in v[kind.listMember]?.listValue ?? [] { raw.append((kind, c)) }
        }
        // Every ARN is checked before anything else (recorded: an unparsable ARN wins over a
        // destination that does not exist).
        for (kind, c) in raw {
            guard let arn = c.str(kind.arnMember) else { throw S3Errors.malformedXML() }
            if !Self.parses(arn, kind) {
                throw S3Errors.invalidArgument("The ARN could not be parsed", name: kind.argumentName, value: arn)
            }
        }
        var targets: [NotificationTarget] = []
        for (kind, c) in raw {
            guard let events = c["Events"]?.listValue?.compactMap(\.stringValue), !events.isEmpty else {
                throw S3Errors.malformedXML()
            }
            for e in events where !NotificationEvents.accepted.contains(e) {
                throw S3Errors.invalidArgument("The event is not supported for notifications", name: "Event", value: e)
            }
            var prefix: String?
            var suffix: String?
            for rule in c["Filter"]?["Key"]?["FilterRules"]?.listValue ?? [] {
                let name = rule.str("Name") ?? ""
                let value = rule.str("Value") ?? ""
                switch name.lowercased() {
                case "prefix":
                    if prefix != nil {
                        throw S3Errors.invalidArgument("Cannot specify more than one prefix rule in a filter.",
                                                       name: "FilterRule.Name", value: name)
                    }
                    prefix = value
                case "suffix":
                    if suffix != nil {
                        throw S3Errors.invalidArgument("Cannot specify more than one suffix rule in a filter.",
                                                       name: "FilterRule.Name", value: name)
                    }
                    suffix = value
                default:
                    throw S3Errors.invalidArgument("filter rule name must be either prefix or suffix", name: "FilterRule.Name",
                                                   value: name)
                }
            }
            let id = c.str("Id").flatMap { $0.isEmpty ? nil : $0 } ?? makeId()
            targets.append(NotificationTarget(kind: kind, id: id, arn: c.str(kind.arnMember) ?? "", events: events,
                                              prefix: prefix, suffix: suffix))
        }
        try Self.checkOverlaps(targets)
        return BucketNotifications(targets: targets, eventBridge: v["EventBridgeConfiguration"] != nil)
    }

    /// The stored form, which GetBucketNotificationConfiguration returns: S3 answers with the
    /// generated ids and with the filter rule names capitalised (`Prefix`, `Suffix`).
    var value: Value {
        var out: [String: Value] = [:]
        for kind in [NotificationTarget.Kind.topic, .queue, .lambda] {
            let list = targets.filter { $0.kind == kind }
            guard !list.isEmpty else { continue }
            out[kind.listMember] = .list(list.map { t in
                var c: [String: Value] = [
                    "Id": .string(t.id), kind.arnMember: .string(t.arn), "Events": .list(t.events.map { .string($0) }),
                ]
                var rules: [Value] = []
                if let p = t.prefix { rules.append(["Name": "Prefix", "Value": .string(p)]) }
                if let s = t.suffix { rules.append(["Name": "Suffix", "Value": .string(s)]) }
                if !rules.isEmpty { c["Filter"] = ["Key": ["FilterRules": .list(rules)]] }
                return .object(c)
            })
        }
        if eventBridge { out["EventBridgeConfiguration"] = [:] }
        return .object(out)
    }

    /// From the stored form (restore); nil when there is nothing to notify.
    init?(stored: Value?) {
        guard let stored, let parsed = try? Self.parse(stored, makeId: { "" }), !parsed.isEmpty else { return nil }
        self = parsed
    }

    init(targets: [NotificationTarget], eventBridge: Bool) {
        self.targets = targets
        self.eventBridge = eventBridge
    }

    /// `arn:<partition>:<service>:<region>:<account>:<name>`, with a function's
    /// `function:<name>[:qualifier]` for Lambda.
    static func parses(_ arn: String, _ kind: NotificationTarget.Kind) -> Bool {
        let p = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard p.count >= 6, p[0] == "arn", !p[1].isEmpty, p[2] == kind.arnService, !p[3].isEmpty,
            p[4].count == 12, p[4].allSatisfy(\.isNumber)
        else { return false }
        switch kind {
        case .queue, .topic: return p.count == 6 && !p[5].isEmpty
        case .lambda: return (p.count == 7 || p.count == 8) && p[5] == "function" && !p[6].isEmpty
        }
    }

    /// S3 refuses two configurations that could both claim one event: a shared event type
    /// with overlapping prefixes (one starts the other, or either is absent) and overlapping
    /// suffixes.
    static func checkOverlaps(_ targets: [NotificationTarget]) throws(AWSError) {
        for i in targets.indices {
            for j in targets.indices where j > i {
                let a = targets[i], b = targets[j]
                let sharesEvent = a.events.contains { e in b.events.contains { NotificationEvents.overlap(e, $0) } }
                guard sharesEvent else { continue }
                let pa = a.prefix ?? "", pb = b.prefix ?? ""
                let sa = a.suffix ?? "", sb = b.suffix ?? ""
                if (pa.hasPrefix(pb) || pb.hasPrefix(pa)) && (sa.hasSuffix(sb) || sb.hasSuffix(sa)) {
                    throw S3Errors.invalidArgument(
                        "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.")
                }
            }
        }
    }
}
