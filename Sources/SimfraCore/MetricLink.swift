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
public final class MetricLink: MetricSink {
    private let target = Mutex<(any MetricSink)?>(nil)
    public init() {}

    public func connect(_ sink: any MetricSink) {
        target.withLock { $0 = sink }
    }

    /// False until connected: lets a publisher skip building points nobody receives.
    public var isConnected: Bool { target.withLock { $0 != nil } }

    public func publish(accountId: String, region: String, _ data: [MetricDatum]) {
        guard let t = target.withLock({ $0 }) else { return }
        t.publish(accountId: accountId, region: region, data)
    }
}

/// Services that publish metrics expose their link, so the server connects every one to
/// CloudWatch without knowing the service.
public protocol MetricPublishingService: AWSService {
    var metrics: MetricLink { get }
}
