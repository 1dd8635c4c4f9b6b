import SimfraCore

/// PutMetricData, GetMetricStatistics, ListMetrics and GetMetricData.
extension CloudWatchService {
    static let highResolutionPeriods: Set<Int> = [1, 5, 10, 30]

    func putMetricData(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let namespace = input.string("Namespace") ?? ""
        // AWS reserves the AWS/ namespaces for its own services.
        if namespace.hasPrefix("AWS/") {
            throw CloudWatchError.invalidValue("The value \(namespace) for parameter Namespace is invalid.")
        }
        let now = clock.now()
        var batch: [(MetricStore.SeriesKey, [MetricStore.Sample], [MetricStore.StatisticSet])] = []
        for (i, datum) in (input["MetricData"]?.listValue ?? []).enumerated() {
            let p = "MetricData.member.\(i + 1)"
            let value = datum["Value"]?.doubleValue
            let values = datum["Values"]?.listValue?.compactMap(\.doubleValue)
            let counts = datum["Counts"]?.listValue?.compactMap(\.doubleValue)
            let set = datum["StatisticValues"]
            if value != nil, values != nil {
                throw CloudWatchError.combination(
                    "The parameters \(p).Value and \(p).Values are mutually exclusive and you have specified both.")
            }
            if value != nil, set != nil {
                throw CloudWatchError.combination(
                    "The parameters \(p).Value and \(p).StatisticValues are mutually exclusive and you have specified both.")
            }
            if values != nil, set != nil {
                throw CloudWatchError.combination(
                    "The parameters \(p).Values and \(p).StatisticValues are mutually exclusive and you have specified both.")
            }
            if let counts, counts.count != (values?.count ?? 0) {
                throw CloudWatchError.invalidValue("The parameters \(p).Values and \(p).Counts must be of the same size.")
            }
            if let values, values.count > 150 {
                throw CloudWatchError.invalidValue("The collection \(p).Values must not have a size greater than 150.")
            }
            if let res = datum.int("StorageResolution"), res != 1, res != 60 {
                throw CloudWatchError.invalidValue("The value \(res) for parameter \(p).StorageResolution is invalid.")
            }
            for v in (values ?? []) + [value].compactMap({ $0 }) where !v.isFinite {
                throw CloudWatchError.invalidValue("The value \(v) for parameter \(p).Value is invalid.")
            }
            let dims = try dimensions(datum["Dimensions"], prefix: "\(p).Dimensions")
            let ts: Double
            if case .timestamp(let t)? = datum["Timestamp"] { ts = t } else { ts = now }
            let time = MetricStore.seconds(ts)
            var samples: [MetricStore.Sample] = []
            var sets: [MetricStore.StatisticSet] = []
            if let value {
                samples.append(.init(time: time, count: 1, value: value))
            } else if let values {
                for (j, v) in values.enumerated() {
                    samples.append(.init(time: time, count: Float(counts?[j] ?? 1), value: v))
                }
            } else if let set {
                let n = set["SampleCount"]?.doubleValue ?? 0, sum = set["Sum"]?.doubleValue ?? 0
                let lo = set["Minimum"]?.doubleValue ?? 0, hi = set["Maximum"]?.doubleValue ?? 0
                if lo > hi {
                    throw CloudWatchError.invalidValue(
                        "The parameter \(p).StatisticValues.Maximum must be greater than \(p).StatisticValues.Minimum.")
                }
                sets.append(.init(time: time, sampleCount: n, sum: sum, minimum: lo, maximum: hi))
            } else {
                throw CloudWatchError.missing("\(p).Value")
            }
            let key = MetricStore.SeriesKey(account: context.accountId, region: context.region, namespace: namespace,
                                            name: datum.string("MetricName") ?? "", dimensions: dims,
                                            unit: datum.string("Unit") ?? "None")
            batch.append((key, samples, sets))
        }
        // All or nothing: nothing is stored when any datum is invalid.
        state.withLock { s in
            for (key, samples, sets) in batch { s.metrics.add(key, samples: samples, sets: sets, now: now) }
        }
        return .empty
    }

    func dimensions(_ v: Value?, prefix: String) throws(AWSError) -> [MetricStore.Dimension] {
        var out: [MetricStore.Dimension] = []
        var seen = Set<String>()
        for d in v?.listValue ?? [] {
            let name = d.string("Name") ?? "", value = d.string("Value") ?? ""
            guard seen.insert(name).inserted else {
                throw CloudWatchError.invalidValue("No metric may have duplicate dimension names: \(prefix) contains \(name) twice.")
            }
            out.append(.init(name: name, value: value))
        }
        return out.sorted()
    }

    static func checkPeriod(_ period: Int, member: String = "Period") throws(AWSError) {
        guard period > 0, highResolutionPeriods.contains(period) || period % 60 == 0 else {
            throw CloudWatchError.invalidValue("The parameter \(member) must be 1, 5, 10, 30, or a multiple of 60.")
        }
    }

    /// Start of the first period: whole minutes for periods of a minute or more (AWS rounds
    /// the requested start), whole periods below.
    static func alignedStart(_ start: Double, period: Int) -> Double {
        let step = Double(period >= 60 ? 60 : period)
        return (start / step).rounded(.down) * step
    }

    /// How long AWS keeps data at periods under a minute; after that it is only in one-minute
    /// rollups, so a query with a 1/5/10/30 s period gets nothing for older times.
    static let highResolutionRetention: Double = 3 * 3600

    /// Per-period statistics of the series over [start, end). With `now`, a sub-minute period
    /// sees only the last three hours, as AWS's rollup rules have it.
    static func buckets(_ series: [MetricStore.Series], start: Double, end: Double, period: Int,
                        now: Double? = nil) -> [Double: PeriodStatistics]
    {
        var start = start
        if period < 60, let now { start = Swift.max(start, now - highResolutionRetention) }
        let origin = alignedStart(start, period: period)
        let p = Double(period)
        var out: [Double: PeriodStatistics] = [:]
        for s in series {
            for sample in s.samples {
                let t = Double(sample.time)
                guard t >= origin, t < end else { continue }
                out[origin + ((t - origin) / p).rounded(.down) * p, default: .init()].add(sample)
            }
            for set in s.sets {
                let t = Double(set.time)
                guard t >= origin, t < end else { continue }
                out[origin + ((t - origin) / p).rounded(.down) * p, default: .init()].add(set)
            }
        }
        return out
    }

    func getMetricStatistics(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        guard case .timestamp(let start)? = input["StartTime"], case .timestamp(let end)? = input["EndTime"] else {
            throw CloudWatchError.missing("StartTime")
        }
        let period = input.int("Period") ?? 60
        let stats = input.stringList("Statistics") ?? [], extended = input.stringList("ExtendedStatistics") ?? []
        if stats.isEmpty == extended.isEmpty {
            throw CloudWatchError.combination("Must specify either Statistics or ExtendedStatistics, but not both.")
        }
        for e in extended where !ExtendedStatistic.isValid(e) {
            throw CloudWatchError.invalidValue("The value \(e) for parameter ExtendedStatistics is not supported.")
        }
        guard start < end else {
            throw CloudWatchError.invalidValue("The parameter StartTime must be less than the parameter EndTime.")
        }
        try Self.checkPeriod(period)
        let span = ((end - start) / Double(period)).rounded(.up)
        if span > 1440 {
            let requested = span < 1e15 ? String(Int(span)) : String(span)
            throw CloudWatchError.combination(
                "You have requested up to \(requested) datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.")
        }
        let name = input.string("MetricName") ?? ""
        let dims = try dimensions(input["Dimensions"], prefix: "Dimensions")
        let unit = input.string("Unit")
        // One datapoint per period and unit: points sent with different units are not mixed.
        let byUnit: [(String, MetricStore.Series)] = state.withLock { s in
            s.metrics.series.compactMap { key, value in
                key.account == context.accountId && key.region == context.region
                    && key.namespace == (input.string("Namespace") ?? "") && key.name == name && key.dimensions == dims
                    && (unit == nil || key.unit == unit) ? (key.unit, value) : nil
            }
        }
        var points: [Value] = []
        for (u, series) in byUnit {
            for (t, b) in Self.buckets([series], start: start, end: end, period: period, now: clock.now())
                .sorted(by: { $0.key < $1.key })
            {
                var dp: [String: Value] = ["Timestamp": .timestamp(t), "Unit": .string(u)]
                for st in stats { if let v = b.value(of: st) { dp[st] = .double(v) } }
                if !extended.isEmpty {
                    var ext: [String: Value] = [:]
                    for e in extended { if let v = b.value(of: e) { ext[e] = .double(v) } }
                    dp["ExtendedStatistics"] = .object(ext)
                }
                points.append(.object(dp))
            }
        }
        return ["Label": .string(name), "Datapoints": .list(points)]
    }

    func listMetrics(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let namespace = input.string("Namespace"), name = input.string("MetricName")
        let filters = (input["Dimensions"]?.listValue ?? []).map { ($0.string("Name") ?? "", $0.string("Value")) }
        let recent = input.string("RecentlyActive") == "PT3H"
        let since = clock.now() - 3 * 3600
        struct Metric: Hashable { var namespace: String; var name: String; var dims: [MetricStore.Dimension] }
        let found: Set<Metric> = state.withLock { s in
            var out = Set<Metric>()
            for (key, series) in s.metrics.series where key.account == context.accountId && key.region == context.region {
                if let namespace, key.namespace != namespace { continue }
                if let name, key.name != name { continue }
                if recent, series.lastPut < since { continue }
                let ok = filters.allSatisfy { f in
                    key.dimensions.contains { $0.name == f.0 && (f.1 == nil || $0.value == f.1) }
                }
                if ok { out.insert(Metric(namespace: key.namespace, name: key.name, dims: key.dimensions)) }
            }
            return out
        }
        let sorted = found.sorted {
            ($0.namespace, $0.name, $0.dims.map { "\($0.name)=\($0.value)" }.joined(separator: ","))
                < ($1.namespace, $1.name, $1.dims.map { "\($0.name)=\($0.value)" }.joined(separator: ","))
        }
        var offset = 0
        if let token = input.string("NextToken") {
            guard let n = Int(token), n >= 0, n <= sorted.count else { throw CloudWatchError.invalidNextToken }
            offset = n
        }
        let page = sorted[offset..<min(sorted.count, offset + 500)]
        var out: [String: Value] = [
            "Metrics": .list(page.map { m in
                ["Namespace": .string(m.namespace), "MetricName": .string(m.name),
                 "Dimensions": .list(m.dims.map { ["Name": .string($0.name), "Value": .string($0.value)] })]
            }),
        ]
        if offset + 500 < sorted.count { out["NextToken"] = .string(String(offset + 500)) }
        return .object(out)
    }
}
