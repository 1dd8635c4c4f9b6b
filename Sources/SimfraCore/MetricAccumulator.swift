import Synchronization

/// Request metrics summed between two flushes, per (account, region, metric, dimensions):
/// what a service's hot path feeds instead of building a `MetricDatum` per request. A flush
/// turns each sum into one pre-aggregated point (sample count, sum, minimum, maximum), as
/// AWS services publish a minute of requests as one statistic set.
///
/// Adding costs one lock and one dictionary update; `record` adds several metrics of one
/// request under a single lock.
public final class MetricAccumulator: Sendable {
    /// Up to two dimensions (every AWS/ metric the services publish has at most two); an
    /// empty name ends the list (`Dimensions("", "")`: none, as DynamoDB's `UserErrors`).
    /// Kept flat so building a key allocates nothing.
    public struct Dimensions: Hashable, Sendable {
        public var name1: String, value1: String
        public var name2: String, value2: String

        public static let none = Dimensions("", "")

        public init(_ name1: String, _ value1: String, _ name2: String = "", _ value2: String = "") {
            self.name1 = name1
            self.value1 = value1
            self.name2 = name2
            self.value2 = value2
        }

        var list: [(name: String, value: String)] {
            name1.isEmpty ? [] : name2.isEmpty ? [(name1, value1)] : [(name1, value1), (name2, value2)]
        }
    }

    struct Key: Hashable, Sendable {
        var account: String
        var region: String
        var name: String
        var unit: String
        var dimensions: Dimensions
    }

    struct Aggregate: Sendable {
        var count: Double = 0
        var sum: Double = 0
        var minimum = Double.infinity
        var maximum = -Double.infinity

        mutating func add(_ v: Double) {
            count += 1
            sum += v
            minimum = min(minimum, v)
            maximum = max(maximum, v)
        }
    }

    struct State: Sendable {
        var sums: [Key: Aggregate] = [:]
        /// When the current window began (the last drain): the points' timestamp, so a
        /// minute's requests are stamped with the minute they happened in.
        var windowStart: Double?
    }

    public let namespace: String
    private let state = Mutex(State())

    public init(namespace: String) {
        self.namespace = namespace
    }

    public func add(account: String, region: String, _ name: String, _ dimensions: Dimensions, _ value: Double,
                    unit: String)
    {
        let key = Key(account: account, region: region, name: name, unit: unit, dimensions: dimensions)
        state.withLock { $0.sums[key, default: Aggregate()].add(value) }
    }

    /// Several metrics of one request (or one batch) under one lock: `body` gets an `add`.
    public func record(
        account: String, region: String,
        _ body: (_ add: (_ name: String, _ dimensions: Dimensions, _ value: Double, _ unit: String) -> Void) -> Void
    ) {
        state.withLock { s in
            body { name, dims, value, unit in
                s.sums[Key(account: account, region: region, name: name, unit: unit, dimensions: dims), default: Aggregate()]
                    .add(value)
            }
        }
    }

    /// Everything summed since the last drain, as points grouped by account and region; the
    /// next window starts now.
    public func drain(now: Double) -> [(account: String, region: String, data: [MetricDatum])] {
        let (sums, start) = state.withLock { s in
            let out = (s.sums, s.windowStart ?? now)
            s.sums = [:]
            s.windowStart = now
            return out
        }
        var byScope: [String: (account: String, region: String, data: [MetricDatum])] = [:]
        for (k, a) in sums {
            let point = MetricDatum(
                namespace: namespace, name: k.name, dimensions: k.dimensions.list,
                statistics: .init(sampleCount: a.count, sum: a.sum, minimum: a.minimum, maximum: a.maximum),
                unit: k.unit, timestamp: start)
            byScope[k.account + "/" + k.region, default: (k.account, k.region, [])].data.append(point)
        }
        return Array(byScope.values)
    }

    /// Drains into `link` (nothing is sent for an empty window).
    /// Flushes these sums whenever `link` flushes: what every publishing service registers.
    /// Both are held weakly, so the closure the link keeps makes no cycle through it.
    public func flushes(on link: MetricLink, now: @escaping @Sendable () -> Double) {
        link.onFlush { [weak self, weak link] in
            guard let self, let link else { return }
            self.flush(to: link, now: now())
        }
    }

    public func flush(to link: MetricLink, now: Double) {
        for scope in drain(now: now) { link.publish(accountId: scope.account, region: scope.region, scope.data) }
    }
}
