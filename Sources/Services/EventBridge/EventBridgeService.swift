import SimfraCore
import Synchronization

/// Amazon EventBridge: buses (the implicit `default` and custom ones, with resource
/// policies), rules with event patterns and targets, and PutEvents routing matched events to
/// SQS, SNS and other buses through the invoker, as `events.amazonaws.com`.
///
/// State lives in memory under one `Mutex`, written through to `records` (one record per bus
/// that has something to remember, one per rule with its targets and tags).
public final class EventBridgeService: ResourcePolicyService, AccountScopedService, InvokingService {
    public let serviceName = "events"
    public let implementedOperations: Set<String> = [
        "CreateEventBus", "DescribeEventBus", "DeleteEventBus", "ListEventBuses", "UpdateEventBus",
        "PutPermission", "RemovePermission", "TagResource", "UntagResource", "ListTagsForResource",
        "PutRule", "DescribeRule", "DeleteRule", "ListRules", "EnableRule", "DisableRule",
        "PutTargets", "RemoveTargets", "ListTargetsByRule", "ListRuleNamesByTarget", "TestEventPattern",
        "PutEvents", "CreateArchive", "DescribeArchive", "UpdateArchive", "DeleteArchive", "ListArchives",
        "StartReplay", "DescribeReplay", "ListReplays", "CancelReplay",
        "CreateConnection", "DescribeConnection", "ListConnections", "UpdateConnection", "DeleteConnection",
        "DeauthorizeConnection", "CreateApiDestination", "DescribeApiDestination", "UpdateApiDestination", "DeleteApiDestination",
        "ListApiDestinations",
    ]
    /// Delivers to targets; connected by the server.
    public let invoker = InvokerLink()

    let state = Mutex(EventsState())
    let records: any DurableRecords
    let clock: any SimfraClock
    /// Deliveries that failed for good (no DLQ, or the DLQ failed too), newest last: what a
    /// user (or a test) reads to learn why an event never arrived. Transient.
    let failures = Mutex([DeliveryFailure]())
    /// OAuth connections' access tokens (transient).
    let oauthTokens = Mutex(OAuthTokenCache())
    /// Per API destination, when its next invocation may start (`InvocationRateLimitPerSecond`).
    let invocationPacing = Mutex([String: ContinuousClock.Instant]())
    /// Scheduled rules' next firings (transient: rebuilt from the rules after a restart).
    let tracker = Mutex(ScheduleTracker())
    let schedulerStarted: Mutex<Bool>
    /// How long a retry waits, given its attempt number; tests shorten it.
    let retryDelay: @Sendable (Int) -> Double
    /// Where AWS/Events metrics go (CloudWatch, connected by the server), and their sums.
    public let metrics = MetricLink()
    let metricSums = MetricAccumulator(namespace: "AWS/Events")

    /// `firesOnItsOwn: false` leaves scheduled rules to `fireDue(now:)` (unit tests drive it).
    public init(records: any DurableRecords = MemoryOnlyRecords(), clock: any SimfraClock = SystemClock(),
                retryDelay: @escaping @Sendable (Int) -> Double = RetryPolicy.backoff, firesOnItsOwn: Bool = true)
    {
        self.records = records
        self.clock = clock
        self.retryDelay = retryDelay
        schedulerStarted = Mutex(!firesOnItsOwn)
        registerMetricsFlush()
    }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        switch operation {
        case "CreateEventBus": return try await createEventBus(input, context)
        case "DescribeEventBus": return try describeEventBus(input, context)
        case "DeleteEventBus": return try await deleteEventBus(input, context)
        case "ListEventBuses": return listEventBuses(input, context)
        case "UpdateEventBus": return try await updateEventBus(input, context)
        case "PutPermission": return try await putPermission(input, context)
        case "RemovePermission": return try await removePermission(input, context)
        case "TagResource": return try await tagResource(input, context)
        case "UntagResource": return try await untagResource(input, context)
        case "ListTagsForResource": return try listTags(input, context)
        case "PutRule": return try await putRule(input, context)
        case "DescribeRule": return try describeRule(input, context)
        case "DeleteRule": return try await deleteRule(input, context)
        case "ListRules": return try listRules(input, context)
        case "EnableRule": return try await setRuleState(input, context, "ENABLED")
        case "DisableRule": return try await setRuleState(input, context, "DISABLED")
        case "PutTargets": return try await putTargets(input, context)
        case "RemoveTargets": return try await removeTargets(input, context)
        case "ListTargetsByRule": return try listTargets(input, context)
        case "ListRuleNamesByTarget": return try listRuleNamesByTarget(input, context)
        case "TestEventPattern": return try testEventPattern(input)
        case "PutEvents": return try await putEvents(input, context)
        case "CreateArchive": return try await createArchive(input, context)
        case "DescribeArchive": return try describeArchive(input, context)
        case "UpdateArchive": return try await updateArchive(input, context)
        case "DeleteArchive": return try await deleteArchive(input, context)
        case "ListArchives": return try listArchives(input, context)
        case "StartReplay": return try startReplay(input, context)
        case "DescribeReplay": return try describeReplay(input, context)
        case "ListReplays": return listReplays(input, context)
        case "CancelReplay": return try cancelReplay(input, context)
        case "CreateConnection": return try await createConnection(input, context)
        case "DescribeConnection": return try describeConnection(input, context)
        case "ListConnections": return listConnections(input, context)
        case "UpdateConnection": return try await updateConnection(input, context)
        case "DeleteConnection": return try await deleteConnection(input, context)
        case "DeauthorizeConnection": return try await deauthorizeConnection(input, context)
        case "CreateApiDestination": return try await createApiDestination(input, context)
        case "DescribeApiDestination": return try describeApiDestination(input, context)
        case "UpdateApiDestination": return try await updateApiDestination(input, context)
        case "DeleteApiDestination": return try await deleteApiDestination(input, context)
        case "ListApiDestinations": return listApiDestinations(input, context)
        default:
            throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    /// Changes state under the lock and hands the writes it produced to the store while still
    /// holding it (so two changes to one record land in order), then waits until durable.
    func mutate<T>(_ body: (inout EventsState) throws(AWSError) -> (T, [DurableWrite])) async throws -> T {
        let (result, commit) = try state.withLock { (s: inout EventsState) throws(AWSError) -> (T, Commit) in
            let (result, writes) = try body(&s)
            return (result, writes.isEmpty ? .done : records.apply(writes))
        }
        try await commit.wait()
        return result
    }

    /// Deleting or resetting an account removes its buses and rules in every region.
    public func removeAccount(_ accountId: String) async throws {
        try await mutate { (s: inout EventsState) -> ((), [DurableWrite]) in
            var writes: [DurableWrite] = []
            for (arn, bus) in s.buses where bus.accountId == accountId {
                s.buses.removeValue(forKey: arn)
                writes.append(.delete(kind: BusRecord.kind, account: accountId, region: bus.region, id: bus.name))
            }
            for (busArn, rules) in s.rules where rules.first?.value.bus.accountId == accountId {
                for rule in rules.values {
                    writes.append(.delete(kind: RuleRecord.kind, account: accountId, region: rule.bus.region,
                                          id: RuleRecord.id(rule)))
                }
                s.rules.removeValue(forKey: busArn)
            }
            for (arn, archive) in s.archives where archive.accountId == accountId {
                s.archives.removeValue(forKey: arn)
                writes += archive.deletes()
            }
            for (arn, replay) in s.replays where replay.accountId == accountId { s.replays.removeValue(forKey: arn) }
            for (key, c) in s.connections where c.accountId == accountId {
                s.connections.removeValue(forKey: key)
                writes.append(.delete(kind: ConnectionRecord.kind, account: accountId, region: c.region, id: c.name))
            }
            for (key, d) in s.apiDestinations where d.accountId == accountId {
                s.apiDestinations.removeValue(forKey: key)
                writes.append(.delete(kind: ApiDestinationRecord.kind, account: accountId, region: d.region, id: d.name))
            }
            return ((), writes)
        }
    }
}

/// Everything EventBridge remembers: buses by ARN, rules by bus ARN then name, archives
/// (with their events) and replays by ARN.
struct EventsState: Sendable {
    var buses: [String: EventBus] = [:]
    var rules: [String: [String: Rule]] = [:]
    var archives: [String: Archive] = [:]
    /// Transient: a replay in progress is re-delivery, which does not survive a restart.
    var replays: [String: Replay] = [:]
    /// Connections and API destinations by "<account>|<region>|<name>".
    var connections: [String: Connection] = [:]
    var apiDestinations: [String: ApiDestination] = [:]

    /// The bus, making the implicit default bus on first use.
    mutating func bus(_ ref: BusRef, now: Double) -> EventBus? {
        if let b = buses[ref.arn] { return b }
        guard ref.name == "default" else { return nil }
        let b = EventBus(name: "default", accountId: ref.accountId, region: ref.region, created: now, modified: now)
        buses[ref.arn] = b
        return b
    }

    /// The write that makes `bus` durable as it now is (a pristine default bus needs none,
    /// and loses any record it had).
    func write(_ bus: EventBus) -> DurableWrite {
        if bus.isPristineDefault {
            return .delete(kind: BusRecord.kind, account: bus.accountId, region: bus.region, id: bus.name)
        }
        return .put(kind: BusRecord.kind, account: bus.accountId, region: bus.region, id: bus.name,
                    data: BusRecord.encode(bus))
    }

    func write(_ rule: Rule) -> DurableWrite {
        .put(kind: RuleRecord.kind, account: rule.bus.accountId, region: rule.bus.region, id: RuleRecord.id(rule),
             data: RuleRecord.encode(rule))
    }
}
