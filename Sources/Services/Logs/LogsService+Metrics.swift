import SimfraCore

/// AWS/Logs ingestion metrics, summed per minute (per flush) as statistic sets:
/// `IncomingLogEvents` (Count) and `IncomingBytes` (Bytes: the events' uncompressed size,
/// each message's UTF-8 bytes plus the 26 bytes CloudWatch Logs counts per event), per
/// `LogGroupName` and for the whole account and region (no dimension), as AWS publishes them.
/// Metric filters' own points are published as the events arrive (FilterOperations).
extension LogsService {
    static let perEventOverhead = 26

    func registerMetricsFlush() {
        metricSums.flushes(on: metrics, now: { [clock] in clock.now() })
    }

    /// Events a PutLogEvents accepted into `group`.
    func noteIncoming(_ group: String, _ accepted: [LogEvent], _ ctx: RequestContext) {
        guard metrics.isConnected, !accepted.isEmpty else { return }
        let bytes = accepted.reduce(0) { $0 + $1.message.utf8.count + Self.perEventOverhead }
        let dims = MetricAccumulator.Dimensions("LogGroupName", group)
        metricSums.record(account: ctx.accountId, region: ctx.region) { add in
            add("IncomingLogEvents", dims, Double(accepted.count), "Count")
            add("IncomingBytes", dims, Double(bytes), "Bytes")
            add("IncomingLogEvents", .none, Double(accepted.count), "Count")
            add("IncomingBytes", .none, Double(bytes), "Bytes")
        }
    }
}
