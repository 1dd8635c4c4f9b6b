import SimfraCore

/// A schedule group: a name, tags, and the schedules filed under it (which live in the
/// service's schedule table, keyed by group). The `default` group of every account and region
/// exists without being created and cannot be deleted or tagged away.
struct ScheduleGroup: Sendable {
    var accountId: String
    var region: String
    var name: String
    var arn: String
    var created: Double
    var modified: Double
    var tags: [(key: String, value: String)] = []
    var clientToken: String?

    var summary: Value {
        ["Arn": .string(arn), "Name": .string(name), "State": "ACTIVE",
         "CreationDate": .timestamp(created), "LastModificationDate": .timestamp(modified)]
    }

    static func arn(partition: String, region: String, account: String, name: String) -> String {
        "arn:\(partition):scheduler:\(region):\(account):schedule-group/\(name)"
    }
}

/// Where a group or schedule lives: (account, region, group[, name]).
struct GroupKey: Hashable, Sendable, Comparable {
    var accountId: String
    var region: String
    var name: String

    static func < (a: GroupKey, b: GroupKey) -> Bool { (a.accountId, a.region, a.name) < (b.accountId, b.region, b.name) }
}

struct ScheduleKey: Hashable, Sendable, Comparable {
    var accountId: String
    var region: String
    var group: String
    var name: String

    var groupKey: GroupKey { GroupKey(accountId: accountId, region: region, name: group) }
    /// The durable record id: group and name (neither may contain `/`).
    var recordId: String { group + "/" + name }

    static func < (a: ScheduleKey, b: ScheduleKey) -> Bool {
        (a.accountId, a.region, a.group, a.name) < (b.accountId, b.region, b.group, b.name)
    }
}
