import SimfraCore

/// AWS/SQS queue-depth metrics, as SQS publishes them: once a minute per queue,
/// `ApproximateNumberOfMessagesVisible`, `…NotVisible` and `…Delayed` with the `QueueName`
/// dimension. Taken from the counts the queue keeps anyway, off the request path; nothing is
/// built while no CloudWatch is connected.
extension SQSService: MetricPublishingService {
    static let metricsInterval: Double = 60

    /// Starts the once-a-minute publisher (at most once).
    func startMetricsLoop() {
        metricsLoop.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(Self.metricsInterval))
                    self?.publishDepthMetrics()
                }
            }
        }
    }

    /// One round of depth points for every queue, grouped by account and region.
    func publishDepthMetrics() {
        guard metrics.isConnected else { return }
        let now = clock.now()
        var byScope: [String: (account: String, region: String, data: [MetricDatum])] = [:]
        state.withLock { st in
            for (key, queue) in st.queues {
                let c = queue.counts(now)
                let dims = [(name: "QueueName", value: key.name)]
                let points = [
                    ("ApproximateNumberOfMessagesVisible", c.visible), ("ApproximateNumberOfMessagesNotVisible", c.notVisible),
                    ("ApproximateNumberOfMessagesDelayed", c.delayed),
                ].map { MetricDatum(namespace: "AWS/SQS", name: $0.0, dimensions: dims, value: Double($0.1), unit: "Count",
                                    timestamp: now) }
                byScope[key.accountId + "/" + key.region, default: (key.accountId, key.region, [])].data += points
            }
        }
        for scope in byScope.values { metrics.publish(accountId: scope.account, region: scope.region, scope.data) }
    }
}
