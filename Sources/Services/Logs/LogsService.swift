import Foundation
import SimfraCore
import Synchronization

/// Amazon CloudWatch Logs: log groups and streams, events written through to the store in
/// one record per PutLogEvents batch, the filter pattern language (FilterLogEvents, metric
/// filters, TestMetricFilter), metric filters publishing real points to CloudWatch through
/// `MetricLink`, subscription filters, resource policies and destinations stored, and Live
/// Tail sessions streaming the events put while they are open.
///
/// Retention is enforced on the clock: events older than a group's retention are invisible at
/// once and their batch records are deleted when the group is next touched.
public final class LogsService: StatefulService, MetricPublishingService, InvokingService, Sendable {
    public let serviceName = "logs"
    public let implementedOperations: Set<String> = [
        "CreateLogGroup", "DeleteLogGroup", "DescribeLogGroups", "PutRetentionPolicy", "DeleteRetentionPolicy",
        "TagResource", "UntagResource", "ListTagsForResource", "TagLogGroup", "UntagLogGroup", "ListTagsLogGroup",
        "CreateLogStream", "DeleteLogStream", "DescribeLogStreams",
        "PutLogEvents", "GetLogEvents", "FilterLogEvents", "TestMetricFilter",
        "PutMetricFilter", "DescribeMetricFilters", "DeleteMetricFilter",
        "PutSubscriptionFilter", "DescribeSubscriptionFilters", "DeleteSubscriptionFilter",
        "PutResourcePolicy", "DescribeResourcePolicies", "DeleteResourcePolicy",
        "PutDataProtectionPolicy", "GetDataProtectionPolicy", "DeleteDataProtectionPolicy",
        "PutDestination", "PutDestinationPolicy", "DescribeDestinations", "DeleteDestination",
        "StartQuery", "GetQueryResults", "StopQuery", "DescribeQueries",
        "CreateExportTask", "DescribeExportTasks", "CancelExportTask", "StartLiveTail",
    ]

    public let metrics = MetricLink()
    /// AWS/Logs ingestion counts between two metric flushes.
    let metricSums = MetricAccumulator(namespace: "AWS/Logs")
    public let invoker: InvokerLink
    let records: any DurableRecords
    let clock: any SimfraClock
    let state = Mutex(LogsState())
    /// Subscription deliveries that could not be made, newest last (transient, capped).
    let pendingFailures = Mutex<[FailedDelivery]>([])
    /// Logs Insights queries by id (transient).
    let queries = Mutex<[String: StoredQuery]>([:])
    /// Open Live Tail sessions (transient, as AWS's are).
    let liveTail = LiveTailHub()
    /// How often a Live Tail session sends an update (AWS: every second).
    let liveTailInterval: Duration

    public init(records: any DurableRecords, clock: any SimfraClock = SystemClock(), invoker: InvokerLink = InvokerLink(),
                liveTailInterval: Duration = .seconds(1))
    {
        self.invoker = invoker
        self.records = records
        self.clock = clock
        self.liveTailInterval = liveTailInterval
        registerMetricsFlush()
    }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        switch operation {
        case "CreateLogGroup": return try await createLogGroup(input, context)
        case "DeleteLogGroup": return try await deleteLogGroup(input, context)
        case "DescribeLogGroups": return try describeLogGroups(input, context)
        case "PutRetentionPolicy": return try await putRetentionPolicy(input, context)
        case "DeleteRetentionPolicy": return try await deleteRetentionPolicy(input, context)
        case "TagResource": return try await tagResource(input, context)
        case "UntagResource": return try await untagResource(input, context)
        case "ListTagsForResource": return try listTagsForResource(input, context)
        case "TagLogGroup": return try await tagLogGroup(input, context)
        case "UntagLogGroup": return try await untagLogGroup(input, context)
        case "ListTagsLogGroup": return try listTagsLogGroup(input, context)
        case "CreateLogStream": return try await createLogStream(input, context)
        case "DeleteLogStream": return try await deleteLogStream(input, context)
        case "DescribeLogStreams": return try await describeLogStreams(input, context)
        case "PutLogEvents": return try await putLogEvents(input, context)
        case "GetLogEvents": return try await getLogEvents(input, context)
        case "FilterLogEvents": return try await filterLogEvents(input, context)
        case "TestMetricFilter": return try testMetricFilter(input)
        case "PutMetricFilter": return try await putMetricFilter(input, context)
        case "DescribeMetricFilters": return try describeMetricFilters(input, context)
        case "DeleteMetricFilter": return try await deleteMetricFilter(input, context)
        case "PutSubscriptionFilter": return try await putSubscriptionFilter(input, context)
        case "DescribeSubscriptionFilters": return try describeSubscriptionFilters(input, context)
        case "DeleteSubscriptionFilter": return try await deleteSubscriptionFilter(input, context)
        case "PutResourcePolicy": return try await putResourcePolicy(input, context)
        case "PutDataProtectionPolicy": return try await putDataProtectionPolicy(input, context)
        case "GetDataProtectionPolicy": return try getDataProtectionPolicy(input, context)
        case "DeleteDataProtectionPolicy": return try await deleteDataProtectionPolicy(input, context)
        case "DescribeResourcePolicies": return try describeResourcePolicies(input, context)
        case "DeleteResourcePolicy": return try await deleteResourcePolicy(input, context)
        case "PutDestination": return try await putDestination(input, context)
        case "PutDestinationPolicy": return try await putDestinationPolicy(input, context)
        case "DescribeDestinations": return try describeDestinations(input, context)
        case "DeleteDestination": return try await deleteDestination(input, context)
        case "CreateExportTask": return try await createExportTask(input, context)
        case "DescribeExportTasks": return try describeExportTasks(input, context)
        case "CancelExportTask": return try cancelExportTask(input, context)
        case "StartQuery": return try startQuery(input, context)
        case "GetQueryResults": return try getQueryResults(input, context)
        case "StopQuery": return try stopQuery(input, context)
        case "DescribeQueries": return try describeQueries(input, context)
        default: throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    // MARK: Helpers

    var nowMillis: Int64 { Int64((clock.now() * 1000).rounded(.down)) }

    static func key(_ ctx: RequestContext) -> RegionKey { RegionKey(account: ctx.accountId, region: ctx.region) }

    static let nameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/#")

    /// The group a request names by `logGroupName` or `logGroupIdentifier` (a name or an ARN).
    static func groupName(_ input: Value) throws -> String {
        let name = input.string("logGroupName"), ident = input.string("logGroupIdentifier")
        if name != nil, ident != nil {
            throw AWSError(code: "ValidationException", message: "LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        }
        if let ident {
            if ident.hasPrefix("arn:") {
                guard let r = ident.range(of: ":log-group:") else { throw LogsError.groupNotFound() }
                var n = String(ident[r.upperBound...])
                if n.hasSuffix(":*") { n.removeLast(2) }
                return n
            }
            return ident
        }
        guard let name else { throw LogsError.invalidParameter("Either logGroupName or logGroupIdentifier must be specified.") }
        return name
    }

    /// Runs `body` on the group under the lock; a missing group is AWS's not-found error.
    func withGroup<T>(_ ctx: RequestContext, _ name: String, _ body: (inout GroupState) throws -> T) throws -> T {
        try state.withLock { st in
            guard var g = st.groups[Self.key(ctx)]?[name] else { throw LogsError.groupNotFound() }
            let r = try body(&g)
            st.groups[Self.key(ctx)]?[name] = g
            return r
        }
    }

    /// Like `withGroup`, but `body` works on the stored group itself, not a copy: appending to
    /// a stream through a copy copied the whole stream on every PutLogEvents (linear in the
    /// stream's size). `body` must throw before it changes anything: nothing is rolled back.
    func withGroupInPlace<T>(_ ctx: RequestContext, _ name: String, _ body: (inout GroupState) throws -> T) throws -> T {
        try state.withLock { st in
            let key = Self.key(ctx)
            guard st.groups[key]?[name] != nil else { throw LogsError.groupNotFound() }
            return try body(&st.groups[key]![name]!)
        }
    }

    /// AWS's paging tokens are opaque; Simfra's carry the position or last key, base64'd.
    static func token(_ s: String) -> String { Base64.encode(Array(s.utf8)) }
    static func untoken(_ t: String?) throws -> String? {
        guard let t else { return nil }
        guard let b = Base64.decode(t), let s = String(bytes: b, encoding: .utf8) else { throw LogsError.invalidToken() }
        return s
    }

    static func limit(_ input: Value, default d: Int, max m: Int) throws -> Int {
        guard let l = input.int("limit") else { return d }
        if l < 1 { throw LogsError.validation(String(l), "limit", "Member must have value greater than or equal to 1") }
        if l > m { throw LogsError.validation(String(l), "limit", "Member must have value less than or equal to \(m)") }
        return l
    }

    /// Pages a sorted list of names: the token is the last name returned.
    static func page<T>(_ items: [(String, T)], token tokenIn: String?, limit: Int) throws -> ([T], String?) {
        let after = try untoken(tokenIn)
        let rest = after.map { a in items.filter { $0.0 > a } } ?? items
        let page = Array(rest.prefix(limit))
        let next = rest.count > limit ? page.last.map { Self.token($0.0) } : nil
        return (page.map(\.1), next)
    }
}
