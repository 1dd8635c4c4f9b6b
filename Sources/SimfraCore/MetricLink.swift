import Synchronization

/// One metric point a service publishes about itself (`AWS/SQS` `NumberOfMessagesSent`) or
/// derives from user data (a CloudWatch Logs metric filter). Dimensions keep their order.
public struct MetricDatum: Sendable {
    public var namespace: String
    public var name: String
    public var dimensions: [(name: String, value: String)]
    public var value: Double
    /// CloudWatch's unit names (`Count`, `Seconds`, `Bytes`, `None`…).
    public var unit: String
    /// Seconds since the Unix epoch.
    public var timestamp: Double
    /// A pre-aggregated point (what PutMetricData's `StatisticValues` carries): services sum
    /// a minute of requests into one of these instead of sending a point per request. When
    /// set, `value` is ignored by the sink.
    public var statistics: StatisticValues?

    public struct StatisticValues: Sendable, Equatable {
        public var sampleCount: Double
        public var sum: Double
        public var minimum: Double
        public var maximum: Double

        public init(sampleCount: Double, sum: Double, minimum: Double, maximum: Double) {
            self.sampleCount = sampleCount
            self.sum = sum
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    public init(namespace: String, name: String, dimensions: [(name: String, value: String)] = [], value: Double,
                unit: String = "None", timestamp: Double)
    {
        self.namespace = namespace
        self.name = name
        self.dimensions = dimensions
        self.value = value
        self.unit = unit
        self.timestamp = timestamp
    }

    public init(namespace: String, name: String, dimensions: [(name: String, value: String)] = [],
                statistics: StatisticValues, unit: String = "None", timestamp: Double)
    {
        self.init(namespace: namespace, name: name, dimensions: dimensions, value: statistics.sum, unit: unit,
                  timestamp: timestamp)
        self.statistics = statistics
    }
}

/// Where services' own metrics go: CloudWatch. AWS services publish through an internal
/// pipeline, not through PutMetricData, so this is no `InternalCall`: no IAM decision, no
/// codec, no per-point API cost on the publishing service's hot path.
public protocol MetricSink: Sendable {
    func publish(accountId: String, region: String, _ data: [MetricDatum])
}

/// The sink a service is built with. Services exist before CloudWatch is known to them, so
/// the server connects it afterwards; until then (and in unit tests that connect nothing)
/// points are dropped, as they are in AWS for a region without CloudWatch.
///
/// It also paces the service's aggregated metrics: services count requests cheaply as they
/// go and register a flush (`onFlush`) that turns the counts into points; the link runs
/// every flush once per interval (AWS: a minute) while connected.
public final class MetricLink: MetricSink {
    private let target = Mutex<(any MetricSink)?>(nil)
    /// Read on every request of the hot paths, so an atomic rather than the lock.
    private let connected = Atomic<Bool>(false)
    private let flushes = Mutex<[@Sendable () -> Void]>([])
    private let loop = Mutex<Task<Void, Never>?>(nil)

    public init() {}

    deinit { loop.withLock { $0?.cancel() } }

    /// Connects the sink; with `flushEvery` (seconds), also starts running the registered
    /// flushes at that pace (unit tests leave it out and call `flushNow()`).
    public func connect(_ sink: any MetricSink, flushEvery interval: Double? = nil) {
        target.withLock { $0 = sink }
        connected.store(true, ordering: .releasing)
        guard let interval, interval > 0 else { return }
        loop.withLock { task in
            task?.cancel()
            task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(interval))
                    guard let self else { return }
                    self.flushNow()
                }
            }
        }
    }

    /// False until connected: lets a publisher skip counting and building points nobody receives.
    public var isConnected: Bool { connected.load(ordering: .acquiring) }

    public func publish(accountId: String, region: String, _ data: [MetricDatum]) {
        guard !data.isEmpty, let t = target.withLock({ $0 }) else { return }
        t.publish(accountId: accountId, region: region, data)
    }

    /// Registers a flush: a closure that publishes what the service counted since its last
    /// flush. Capture the service weakly (the link lives in the service).
    public func onFlush(_ flush: @escaping @Sendable () -> Void) {
        flushes.withLock { $0.append(flush) }
    }

    /// Runs every registered flush now (the pacing loop, tests, shutdown).
    public func flushNow() {
        guard isConnected else { return }
        for f in flushes.withLock({ $0 }) { f() }
    }
}

/// Services that publish metrics expose their link, so the server connects every one to
/// CloudWatch without knowing the service.
public protocol MetricPublishingService: AWSService {
    var metrics: MetricLink { get }
}
