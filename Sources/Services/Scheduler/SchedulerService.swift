import Foundation
import SimfraCore
import SimfraEventing
import Synchronization

/// Amazon EventBridge Scheduler: schedule groups (the `default` group of each account and
/// region exists implicitly), schedules with rate/cron/at expressions in a time zone, and a
/// service-owned loop that fires them into their targets as the schedule's execution role.
///
/// State lives in memory under one `Mutex`; groups and schedules are written through to
/// `records` (one record each). When each schedule is next due is transient: it is computed
/// again from the definitions on restore.
public final class SchedulerService: ResourcePolicyService, AccountScopedService, InvokingService {
    public let serviceName = "scheduler"
    public let implementedOperations: Set<String> = [
        "CreateSchedule", "GetSchedule", "UpdateSchedule", "DeleteSchedule", "ListSchedules",
        "CreateScheduleGroup", "GetScheduleGroup", "DeleteScheduleGroup", "ListScheduleGroups",
        "TagResource", "UntagResource", "ListTagsForResource",
    ]
    /// Assumes execution roles (STS) and calls targets; connected by the server.
    public let invoker = InvokerLink()

    struct State {
        var groups: [GroupKey: ScheduleGroup] = [:]
        var schedules: [ScheduleKey: Schedule] = [:]
        var plan = FiringPlan()
    }

    let state = Mutex(State())
    let records: any DurableRecords
    let clock: any SimfraClock
    /// Where in its flexible window a firing lands: given the window in seconds, the delay.
    let flexibleDelay: @Sendable (Double) -> Double
    /// Whether the background loop runs (unit tests drive `fireDue()` themselves).
    let runsLoop: Bool
    let loop = Mutex<Task<Void, Never>?>(nil)
    /// Firings waiting to be retried (transient: lost on restart, as AWS's seed intends).
    let retries = Mutex<[Attempt]>([])
    let recentOutcomes = Mutex<[Outcome]>([])
    let requestIds = RequestIDGenerator()
    /// The scheme and authority clients use, for queue URLs in target calls.
    let endpoint = Mutex("http://localhost:4599")

    public init(records: any DurableRecords = MemoryOnlyRecords(), clock: any SimfraClock = SystemClock()) {
        self.records = records
        self.clock = clock
        flexibleDelay = { Double.random(in: 0..<$0) }
        runsLoop = true
    }

    init(records: any DurableRecords, clock: any SimfraClock, flexibleDelay: @escaping @Sendable (Double) -> Double,
         runsLoop: Bool)
    {
        self.records = records
        self.clock = clock
        self.flexibleDelay = flexibleDelay
        self.runsLoop = runsLoop
    }

    deinit { loop.withLock { $0?.cancel() } }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        if !context.endpoint.isEmpty { endpoint.withLock { $0 = context.endpoint } }
        switch operation {
        case "CreateScheduleGroup": return try await createGroup(input, context)
        case "GetScheduleGroup":
            let name = input.string("Name") ?? ""
            return try state.withLock { s throws(AWSError) in try group(name, context, in: &s).summary }
        case "DeleteScheduleGroup": return try await deleteGroup(input, context)
        case "ListScheduleGroups": return try listGroups(input, context)
        case "CreateSchedule": return try await putSchedule(input, context, creating: true)
        case "UpdateSchedule": return try await putSchedule(input, context, creating: false)
        case "GetSchedule":
            let key = scheduleKey(input, context)
            return try state.withLock { s throws(AWSError) in
                _ = try group(key.group, context, in: &s)
                guard let schedule = s.schedules[key] else { throw SchedulerError.scheduleNotFound(key.name) }
                return schedule.output
            }
        case "DeleteSchedule": return try await deleteSchedule(input, context)
        case "ListSchedules": return try listSchedules(input, context)
        case "TagResource", "UntagResource", "ListTagsForResource": return try await tagging(operation, input, context)
        default:
            throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    func scheduleKey(_ input: Value, _ context: RequestContext) -> ScheduleKey {
        ScheduleKey(accountId: context.accountId, region: context.region, group: input.string("GroupName") ?? "default",
                    name: input.string("Name") ?? "")
    }

    /// The group, or `default` made real on first mention.
    func group(_ name: String, _ context: RequestContext, in s: inout State) throws(AWSError) -> ScheduleGroup {
        let key = GroupKey(accountId: context.accountId, region: context.region, name: name)
        if let g = s.groups[key] { return g }
        guard name == "default" else { throw SchedulerError.groupNotFound(name) }
        let now = clock.now()
        let g = ScheduleGroup(accountId: key.accountId, region: key.region, name: name,
                              arn: ScheduleGroup.arn(partition: Self.partition(context), region: key.region,
                                                     account: key.accountId, name: name),
                              created: now, modified: now)
        s.groups[key] = g
        return g
    }

    // MARK: Groups

    func createGroup(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let tags = try Self.tags(input["Tags"]?.listValue ?? [])
        let token = input.string("ClientToken")
        let key = GroupKey(accountId: context.accountId, region: context.region, name: name)
        let now = clock.now()
        let (arn, commit) = try state.withLock { s throws(AWSError) -> (String, Commit) in
            if name == "default" { _ = try group(name, context, in: &s) }
            if let existing = s.groups[key] {
                // A retry of the same request (same client token) answers as the first did.
                if let token, existing.clientToken == token { return (existing.arn, .done) }
                throw SchedulerError.groupExists(name)
            }
            let g = ScheduleGroup(accountId: key.accountId, region: key.region, name: name,
                                  arn: ScheduleGroup.arn(partition: Self.partition(context), region: key.region,
                                                         account: key.accountId, name: name),
                                  created: now, modified: now, tags: tags, clientToken: token)
            s.groups[key] = g
            return (g.arn, persist(g))
        }
        try await commit.wait()
        return ["ScheduleGroupArn": .string(arn)]
    }

    /// Deleting a group deletes its schedules with it.
    func deleteGroup(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let key = GroupKey(accountId: context.accountId, region: context.region, name: name)
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            if name == "default" { throw SchedulerError.validation("Cannot delete the default schedule group.") }
            guard s.groups.removeValue(forKey: key) != nil else { throw SchedulerError.groupNotFound(name) }
            var writes: [DurableWrite] = [.delete(kind: GroupRecord.kind, account: key.accountId, region: key.region, id: name)]
            for k in s.schedules.keys where k.groupKey == key {
                s.schedules.removeValue(forKey: k)
                s.plan.cancel(k)
                writes.append(.delete(kind: ScheduleRecord.kind, account: k.accountId, region: k.region, id: k.recordId))
            }
            return records.apply(writes)
        }
        try await commit.wait()
        return .empty
    }

    func listGroups(_ input: Value, _ context: RequestContext) throws -> Value {
        let prefix = input.string("NamePrefix") ?? ""
        let groups = try state.withLock { s throws(AWSError) -> [ScheduleGroup] in
            _ = try group("default", context, in: &s)
            return s.groups.values.filter {
                $0.accountId == context.accountId && $0.region == context.region && $0.name.hasPrefix(prefix)
            }.sorted { $0.name < $1.name }
        }
        let (page, next) = try Self.page(groups.map { ($0.name, $0.summary) }, input)
        var out: [String: Value] = ["ScheduleGroups": .list(page)]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    // MARK: Schedules

    func putSchedule(_ input: Value, _ context: RequestContext, creating: Bool) async throws -> Value {
        let key = scheduleKey(input, context)
        let now = clock.now()
        var schedule = try ScheduleDefinition.parse(input, key: key, partition: Self.partition(context), now: now)
        try await checkRole(schedule)
        let (arn, commit) = try state.withLock { s throws(AWSError) -> (String, Commit) in
            _ = try group(key.group, context, in: &s)
            if creating {
                if let existing = s.schedules[key] {
                    if let token = schedule.clientToken, existing.clientToken == token { return (existing.arn, .done) }
                    throw SchedulerError.scheduleExists(key.name)
                }
            } else {
                guard let existing = s.schedules[key] else { throw SchedulerError.scheduleNotFound(key.name) }
                schedule.created = existing.created
            }
            s.schedules[key] = schedule
            s.plan.plan(schedule, after: now - 0.001, flexibleDelay: flexibleDelay)
            return (schedule.arn, persist(schedule))
        }
        try await commit.wait()
        startLoop()
        return ["ScheduleArn": .string(arn)]
    }

    func deleteSchedule(_ input: Value, _ context: RequestContext) async throws -> Value {
        let key = scheduleKey(input, context)
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            _ = try group(key.group, context, in: &s)
            guard s.schedules.removeValue(forKey: key) != nil else { throw SchedulerError.scheduleNotFound(key.name) }
            s.plan.cancel(key)
            return records.delete(kind: ScheduleRecord.kind, account: key.accountId, region: key.region, id: key.recordId)
        }
        try await commit.wait()
        return .empty
    }

    func listSchedules(_ input: Value, _ context: RequestContext) throws -> Value {
        let groupName = input.string("GroupName")
        let prefix = input.string("NamePrefix") ?? ""
        let stateFilter = input.string("State")
        let schedules = try state.withLock { s throws(AWSError) -> [Schedule] in
            if let groupName { _ = try group(groupName, context, in: &s) }
            return s.schedules.values.filter {
                $0.key.accountId == context.accountId && $0.key.region == context.region
                    && (groupName == nil || $0.key.group == groupName) && $0.name.hasPrefix(prefix)
                    && (stateFilter == nil || ($0.enabled ? "ENABLED" : "DISABLED") == stateFilter)
            }.sorted { $0.key < $1.key }
        }
        let (page, next) = try Self.page(schedules.map { ($0.key.recordId, $0.summary) }, input)
        var out: [String: Value] = ["Schedules": .list(page)]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    /// Pages of `MaxResults` (default 100) in key order; the token is the last key returned,
    /// base64-wrapped so that callers treat it as opaque.
    static func page(_ items: [(key: String, value: Value)], _ input: Value) throws(AWSError) -> ([Value], String?) {
        let limit = min(max(input.int("MaxResults") ?? 100, 1), 100)
        var rest = items[...]
        if let token = input.string("NextToken") {
            guard let bytes = Base64.decode(token), let after = String(bytes: bytes, encoding: .utf8) else {
                throw SchedulerError.validation("Invalid NextToken.")
            }
            rest = rest.drop { $0.key <= after }
        }
        let page = rest.prefix(limit)
        let next = rest.count > limit ? page.last.map { Base64.encode(Array($0.key.utf8)) } : nil
        return (page.map(\.value), next)
    }

    // MARK: Tags (groups only, as in AWS)

    func tagging(_ operation: String, _ input: Value, _ context: RequestContext) async throws -> Value {
        let arn = input.string("ResourceArn") ?? ""
        guard let key = Self.groupKey(arn: arn) else {
            throw SchedulerError.validation("Invalid ARN: \(arn)")
        }
        if operation == "ListTagsForResource" {
            let g = try state.withLock { s throws(AWSError) in try group(key.name, withAccount: key, context, in: &s) }
            return ["Tags": .list(g.tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })]
        }
        let tags = try Self.tags(input["Tags"]?.listValue ?? [])
        let removing = Set(input.stringList("TagKeys") ?? [])
        let now = clock.now()
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            var g = try group(key.name, withAccount: key, context, in: &s)
            if operation == "TagResource" {
                for tag in tags {
                    if let i = g.tags.firstIndex(where: { $0.key == tag.key }) { g.tags[i].value = tag.value } else { g.tags.append(tag) }
                }
            } else {
                g.tags.removeAll { removing.contains($0.key) }
            }
            g.modified = now
            s.groups[key] = g
            return persist(g)
        }
        try await commit.wait()
        return .empty
    }

    /// A group named by ARN: only the caller's own account and region hold it.
    private func group(_ name: String, withAccount key: GroupKey, _ context: RequestContext, in s: inout State)
        throws(AWSError) -> ScheduleGroup
    {
        guard key.accountId == context.accountId, key.region == context.region else { throw SchedulerError.groupNotFound(name) }
        return try group(name, context, in: &s)
    }

    static func groupKey(arn: String) -> GroupKey? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "scheduler", parts[5].hasPrefix("schedule-group/") else { return nil }
        let name = parts[5].dropFirst("schedule-group/".count)
        guard !name.isEmpty, !name.contains("/") else { return nil }
        return GroupKey(accountId: String(parts[4]), region: String(parts[3]), name: String(name))
    }

    static func tags(_ list: [Value]) throws(AWSError) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        for tag in list {
            let key = tag.string("Key") ?? "", value = tag.string("Value") ?? ""
            if let i = out.firstIndex(where: { $0.key == key }) { out[i].value = value } else { out.append((key, value)) }
        }
        return out
    }

    static func partition(_ context: RequestContext) -> String {
        let parts = context.principalArn.split(separator: ":", maxSplits: 2)
        return parts.count > 1 && parts[0] == "arn" ? String(parts[1]) : "aws"
    }

    // MARK: Authorisation hooks

    /// Scheduler has no resource policies; groups carry tags for `aws:ResourceTag` conditions.
    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? { nil }

    public func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]? {
        guard let key = Self.groupKey(arn: arn), let g = state.withLock({ $0.groups[key] }) else { return nil }
        return Dictionary(g.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}
