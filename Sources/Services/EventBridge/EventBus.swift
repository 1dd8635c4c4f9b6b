import SimfraCore

/// One event bus. The `default` bus exists in every account and region without being
/// created: it is made on first use and stored only once something about it is set.
struct EventBus: Sendable {
    var name: String
    var accountId: String
    var region: String
    var description: String?
    var kmsKeyIdentifier: String?
    var deadLetterArn: String?
    /// The resource policy as JSON text (PutPermission statements or a whole policy).
    var policy: String?
    var tags: [(key: String, value: String)] = []
    var created: Double
    var modified: Double

    var arn: String { EventBus.arn(accountId, region, name) }
    var isDefault: Bool { name == "default" }

    static func arn(_ account: String, _ region: String, _ name: String) -> String {
        "arn:aws:events:\(region):\(account):event-bus/\(name)"
    }

    /// Whether the default bus has anything worth a record.
    var isPristineDefault: Bool {
        isDefault && description == nil && kmsKeyIdentifier == nil && deadLetterArn == nil && policy == nil
            && tags.isEmpty
    }
}

/// Where a bus (or a rule's bus) is, from `EventBusName` given as a name or an ARN.
struct BusRef: Hashable, Sendable {
    var accountId: String
    var region: String
    var name: String

    var arn: String { EventBus.arn(accountId, region, name) }

    /// `nil` for an ARN that is not an event bus ARN.
    static func resolve(_ nameOrArn: String?, _ context: RequestContext) -> BusRef? {
        guard let given = nameOrArn, !given.isEmpty else {
            return BusRef(accountId: context.accountId, region: context.region, name: "default")
        }
        guard given.hasPrefix("arn:") else {
            return BusRef(accountId: context.accountId, region: context.region, name: given)
        }
        let parts = given.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[2] == "events", parts[5].hasPrefix("event-bus/") else { return nil }
        let name = String(parts[5].dropFirst("event-bus/".count))
        guard !name.isEmpty, !name.contains("/") else { return nil }
        return BusRef(accountId: String(parts[4]), region: String(parts[3]), name: name)
    }
}
