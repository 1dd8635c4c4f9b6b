import SimfraCore

/// Request counts of one queue since the last metrics flush. They live on the queue and are
/// bumped under the state lock the operation already holds, so counting costs a few integer
/// adds and no lock or allocation of its own.
struct SQSQueueMetrics {
    var sent = 0
    var sentBytes = 0
    var sentMinimum = Int.max
    var sentMaximum = 0
    var received = 0
    var emptyReceives = 0
    var deleted = 0
    /// The last time an action touched the queue (nil: since its creation). AWS publishes a
    /// queue's metrics while it is active: not empty, or accessed in the last six hours.
    var lastActivity: Double?

    mutating func noteSent(bytes: Int, now: Double) {
        sent += 1
        sentBytes += bytes
        sentMinimum = min(sentMinimum, bytes)
        sentMaximum = max(sentMaximum, bytes)
        lastActivity = now
    }

    mutating func noteReceived(_ n: Int, now: Double) {
        received += n
        lastActivity = now
    }

    mutating func noteDeleted(now: Double) {
        deleted += 1
        lastActivity = now
    }
}

/// When the current counting window began (the last flush) and whether the flush is registered.
struct SQSMetricsWindow {
    var registered = false
    var start: Double?
}

/// AWS/SQS metrics, as SQS publishes them: once a minute per active queue, with the
/// `QueueName` dimension:
/// - gauges at flush time: `ApproximateNumberOfMessagesVisible`, `…NotVisible`, `…Delayed`
///   (Count) and `ApproximateAgeOfOldestMessage` (Seconds, while the queue holds messages);
/// - the window's request counts, zeros included (AWS publishes zeros for active queues):
///   `NumberOfMessagesSent`, `NumberOfMessagesReceived`, `NumberOfMessagesDeleted`,
///   `NumberOfEmptyReceives` (Count), and `SentMessageSize` (Bytes, a statistic set over the
///   messages sent, when there were some).
///
/// Messages moved to a dead-letter queue by the redrive policy are not "sent" (as in AWS).
extension SQSService: MetricPublishingService {
    static let activeWindow: Double = 6 * 3600

    /// Registers the flush with the link, which runs it at the server's pace (at most once).
    func startMetricsLoop() {
        let first = metricsWindow.withLock { w in
            defer { w.registered = true }
            return !w.registered
        }
        guard first else { return }
        metrics.onFlush { [weak self] in self?.flushMetrics() }
    }

    /// A ReceiveMessage that returned nothing (after its long poll, if any).
    func noteEmptyReceive(_ key: QueueKey) {
        // The one count that takes the lock again: skipped when nobody would see it.
        guard metrics.isConnected else { return }
        let now = clock.now()
        state.withLock { st in
            guard let q = st.queues[key] else { return }
            q.metricCounts.emptyReceives += 1
            q.metricCounts.lastActivity = now
        }
    }

    /// One round of points for every active queue, grouped by account and region; the
    /// counts start again from zero.
    func flushMetrics() {
        guard metrics.isConnected else { return }
        let now = clock.now()
        let start = metricsWindow.withLock { w in
            defer { w.start = now }
            return w.start ?? now
        }
        var byScope: [String: (account: String, region: String, data: [MetricDatum])] = [:]
        state.withLock { st in
            for (key, queue) in st.queues {
                let c = queue.counts(now)
                let m = queue.metricCounts
                queue.metricCounts = SQSQueueMetrics(lastActivity: m.lastActivity)
                let idle = now - (m.lastActivity ?? Double(queue.createdTimestamp))
                guard c.visible + c.notVisible + c.delayed > 0 || idle < Self.activeWindow else { continue }
                let dims = [(name: "QueueName", value: key.name)]
                func point(_ name: String, _ value: Int, _ unit: String = "Count", at t: Double) -> MetricDatum {
                    MetricDatum(namespace: "AWS/SQS", name: name, dimensions: dims, value: Double(value), unit: unit, timestamp: t)
                }
                var points = [
                    point("ApproximateNumberOfMessagesVisible", c.visible, at: now),
                    point("ApproximateNumberOfMessagesNotVisible", c.notVisible, at: now),
                    point("ApproximateNumberOfMessagesDelayed", c.delayed, at: now),
                    point("NumberOfMessagesSent", m.sent, at: start),
                    point("NumberOfMessagesReceived", m.received, at: start),
                    point("NumberOfMessagesDeleted", m.deleted, at: start),
                    point("NumberOfEmptyReceives", m.emptyReceives, at: start),
                ]
                if let oldest = queue.oldestEnqueuedAt {
                    points.append(point("ApproximateAgeOfOldestMessage", Int(max(0, now - oldest)), "Seconds", at: now))
                }
                if m.sent > 0 {
                    points.append(MetricDatum(
                        namespace: "AWS/SQS", name: "SentMessageSize", dimensions: dims,
                        statistics: .init(sampleCount: Double(m.sent), sum: Double(m.sentBytes),
                                          minimum: Double(m.sentMinimum), maximum: Double(m.sentMaximum)),
                        unit: "Bytes", timestamp: start))
                }
                byScope[key.accountId + "/" + key.region, default: (key.accountId, key.region, [])].data += points
            }
        }
        for scope in byScope.values { metrics.publish(accountId: scope.account, region: scope.region, scope.data) }
    }
}
