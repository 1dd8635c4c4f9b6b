import SimfraCore
import Synchronization

/// Amazon CloudWatch: metrics (PutMetricData, GetMetricStatistics, GetMetricData, ListMetrics)
/// kept in memory, and metric alarms evaluated on the clock, with actions to SNS and the
/// EventBridge default bus. It is also the `MetricSink` other services publish to.
///
/// Alarms are durable (one record each); metric points are transient, as AWS's seed says.
public final class CloudWatchService: AuthorizingService, AccountScopedService, InvokingService, MetricSink {
    public let serviceName = "cloudwatch"
    public let implementedOperations: Set<String> = [
        "PutMetricData", "GetMetricStatistics", "GetMetricData", "ListMetrics",
        "PutMetricAlarm", "PutCompositeAlarm", "DescribeAlarms", "DescribeAlarmsForMetric", "DeleteAlarms", "SetAlarmState",
        "EnableAlarmActions", "DisableAlarmActions", "DescribeAlarmHistory",
        "TagResource", "UntagResource", "ListTagsForResource",
        "PutDashboard", "GetDashboard", "ListDashboards", "DeleteDashboards",
        "PutMetricStream", "GetMetricStream", "ListMetricStreams", "DeleteMetricStream", "StartMetricStreams",
        "StopMetricStreams", "PutAnomalyDetector", "DescribeAnomalyDetectors", "DeleteAnomalyDetector",
        "GetMetricWidgetImage",
    ]
    /// Alarm actions: SNS Publish and EventBridge PutEvents as `cloudwatch.amazonaws.com`.
    public let invoker = InvokerLink()

    struct State: Sendable {
        var metrics = MetricStore()
        /// Keyed by alarm ARN.
        var alarms: [String: MetricAlarm] = [:]
        var history: [HistoryItem] = []
        /// Keyed by "<account>/<name>": dashboards are global to the account.
        var dashboards: [String: Dashboard] = [:]
        /// Keyed by stream ARN.
        var streams: [String: MetricStream] = [:]
        /// Keyed by "<account>/<region>/<detector key>".
        var detectors: [String: AnomalyDetector] = [:]
    }

    let state = Mutex(State())
    let records: any DurableRecords
    let clock: any SimfraClock
    /// Whether the evaluation loop runs (unit tests call `evaluateDue()` themselves).
    let runsLoop: Bool
    let loop = Mutex<Task<Void, Never>?>(nil)

    public init(records: any DurableRecords = MemoryOnlyRecords(), clock: any SimfraClock = SystemClock()) {
        self.records = records
        self.clock = clock
        runsLoop = true
    }

    init(records: any DurableRecords, clock: any SimfraClock, runsLoop: Bool) {
        self.records = records
        self.clock = clock
        self.runsLoop = runsLoop
    }

    deinit { loop.withLock { $0?.cancel() } }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        switch operation {
        case "PutMetricData": return try putMetricData(input, context)
        case "GetMetricStatistics": return try getMetricStatistics(input, context)
        case "GetMetricData": return try getMetricData(input, context)
        case "ListMetrics": return try listMetrics(input, context)
        case "PutMetricAlarm": return try await putMetricAlarm(input, context)
        case "PutCompositeAlarm": return try await putCompositeAlarm(input, context)
        case "DescribeAlarms": return try describeAlarms(input, context)
        case "DescribeAlarmsForMetric": return describeAlarmsForMetric(input, context)
        case "DeleteAlarms": return try await deleteAlarms(input, context)
        case "SetAlarmState": return try await setAlarmState(input, context)
        case "EnableAlarmActions", "DisableAlarmActions":
            return try await setActionsEnabled(input, context, enabled: operation == "EnableAlarmActions")
        case "DescribeAlarmHistory": return try describeAlarmHistory(input, context)
        case "TagResource", "UntagResource", "ListTagsForResource": return try await tags(operation, input, context)
        case "PutDashboard": return try await putDashboard(input, context)
        case "GetDashboard": return try getDashboard(input, context)
        case "ListDashboards": return try listDashboards(input, context)
        case "DeleteDashboards": return try await deleteDashboards(input, context)
        case "PutMetricStream": return try await putMetricStream(input, context)
        case "GetMetricStream": return try getMetricStream(input, context)
        case "ListMetricStreams": return try listMetricStreams(input, context)
        case "DeleteMetricStream", "StartMetricStreams", "StopMetricStreams": return try await changeStreams(operation, input, context)
        case "GetMetricWidgetImage": return try getMetricWidgetImage(input, context)
        case "PutAnomalyDetector": return try await putAnomalyDetector(input, context)
        case "DescribeAnomalyDetectors": return try describeAnomalyDetectors(input, context)
        case "DeleteAnomalyDetector": return try await deleteAnomalyDetector(input, context)
        default: throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    // MARK: - MetricSink

    /// Services' own points (AWS/SQS…): stored as if put (a statistic set when the point is
    /// pre-aggregated), without an API call or IAM check.
    public func publish(accountId: String, region: String, _ data: [MetricDatum]) {
        let now = clock.now()
        state.withLock { s in
            for d in data {
                let key = MetricStore.SeriesKey(
                    account: accountId, region: region, namespace: d.namespace, name: d.name,
                    dimensions: d.dimensions.map { .init(name: $0.name, value: $0.value) }.sorted(), unit: d.unit)
                let time = MetricStore.seconds(d.timestamp)
                if let st = d.statistics {
                    s.metrics.add(key, samples: [], sets: [.init(time: time, sampleCount: st.sampleCount, sum: st.sum,
                                                                 minimum: st.minimum, maximum: st.maximum)], now: now)
                } else {
                    s.metrics.add(key, samples: [.init(time: time, count: 1, value: d.value)], sets: [], now: now)
                }
            }
        }
    }

    static func partition(_ context: RequestContext) -> String {
        let parts = context.principalArn.split(separator: ":", maxSplits: 2)
        return parts.count > 1 && parts[0] == "arn" ? String(parts[1]) : "aws"
    }

    static func alarmArn(_ name: String, _ context: RequestContext) -> String {
        "arn:\(partition(context)):cloudwatch:\(context.region):\(context.accountId):alarm:\(name)"
    }

    public func removeAccount(_ accountId: String) async throws {
        let commit = state.withLock { s -> Commit in
            s.metrics.removeAccount(accountId)
            s.history.removeAll { $0.account == accountId }
            let gone = s.alarms.values.filter { $0.account == accountId }
            for a in gone { s.alarms.removeValue(forKey: a.arn) }
            let boards = s.dashboards.values.filter { $0.account == accountId }
            for d in boards { s.dashboards.removeValue(forKey: "\(d.account)/\(d.name)") }
            let writes: [DurableWrite] = gone.map {
                .delete(kind: AlarmRecord.kind, account: $0.account, region: $0.region, id: $0.name)
            } + boards.map { .delete(kind: DashboardRecord.kind, account: $0.account, region: "", id: $0.name) }
            let streams = s.streams.values.filter { $0.account == accountId }
            for m in streams { s.streams.removeValue(forKey: m.arn) }
            let detectors = s.detectors.filter { $0.value.account == accountId }
            for k in detectors.keys { s.detectors.removeValue(forKey: k) }
            let all = writes + streams.map { DurableWrite.delete(kind: StreamRecord.kind, account: $0.account, region: $0.region, id: $0.name) }
                + detectors.values.map { DurableWrite.delete(kind: DetectorRecord.kind, account: $0.account, region: $0.region, id: $0.recordId) }
            return all.isEmpty ? .done : records.apply(all)
        }
        try await commit.wait()
    }
}
