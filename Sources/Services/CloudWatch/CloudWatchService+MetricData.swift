import SimfraCore

/// GetMetricData: MetricStat queries and metric math over them, ScanBy, MaxDatapoints paging.
extension CloudWatchService {
    struct QueryResult {
        var id: String
        var label: String
        var points: [(Double, Double)]
    }

    func getMetricData(_ input: Value, _ context: RequestContext, allowSearch: Bool = true) throws(AWSError) -> Value {
        guard case .timestamp(let start)? = input["StartTime"], case .timestamp(let end)? = input["EndTime"] else {
            throw CloudWatchError.missing("StartTime")
        }
        guard start < end else {
            throw CloudWatchError.invalidValue("The parameter StartTime must be less than the parameter EndTime.")
        }
        let queries = input["MetricDataQueries"]?.listValue ?? []
        var seen = Set<String>()
        for (i, q) in queries.enumerated() {
            let id = q.string("Id") ?? ""
            guard let first = id.first, first.isLowercase, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw CloudWatchError.invalidValue("The value \(id) for parameter MetricDataQueries.member.\(i + 1).Id is invalid.")
            }
            guard seen.insert(id).inserted else {
                throw CloudWatchError.invalidValue("The value \(id) for parameter MetricDataQueries.member.\(i + 1).Id is non-unique.")
            }
            if (q["MetricStat"] == nil) == (q.string("Expression") == nil) {
                throw CloudWatchError.combination(
                    "The parameters MetricDataQueries.member.\(i + 1).MetricStat and MetricDataQueries.member.\(i + 1).Expression are mutually exclusive and you have specified both or neither.")
            }
        }
        // MetricStat queries first; expressions may refer to them and to earlier expressions.
        var series: [String: [Double: Double]] = [:]
        var labels: [String: String] = [:]
        var order: [String] = []
        var period = 60
        for (i, q) in queries.enumerated() {
            guard let stat = q["MetricStat"] else { continue }
            let id = q.string("Id") ?? ""
            let p = stat.int("Period") ?? 60
            try Self.checkPeriod(p, member: "MetricDataQueries.member.\(i + 1).MetricStat.Period")
            period = p
            let statName = stat.string("Stat") ?? ""
            guard ["SampleCount", "Sum", "Minimum", "Maximum", "Average"].contains(statName) || ExtendedStatistic.isValid(statName)
            else {
                throw CloudWatchError.invalidValue("The value \(statName) for parameter MetricDataQueries.member.\(i + 1).MetricStat.Stat is invalid.")
            }
            let metric = stat["Metric"] ?? .empty
            let dims = try dimensions(metric["Dimensions"], prefix: "MetricDataQueries.member.\(i + 1).MetricStat.Metric.Dimensions")
            let matched = state.withLock {
                $0.metrics.matching(account: context.accountId, region: context.region,
                                    namespace: metric.string("Namespace") ?? "", name: metric.string("MetricName") ?? "",
                                    dimensions: dims, unit: stat.string("Unit"))
            }
            var values: [Double: Double] = [:]
            for (t, b) in Self.buckets(matched, start: start, end: end, period: p, now: clock.now()) {
                if let v = b.value(of: statName) { values[t] = v }
            }
            series[id] = values
            labels[id] = q.string("Label") ?? metric.string("MetricName") ?? id
            order.append(id)
        }
        let origin = Self.alignedStart(start, period: period)
        let grid = stride(from: origin, to: end, by: Double(period)).prefix(100_800).map { $0 }
        var results: [QueryResult] = []
        var messages: [Value] = []
        for (i, q) in queries.enumerated() {
            let id = q.string("Id") ?? ""
            if let expr = q.string("Expression") {
                let queryPeriod = q.int("Period")
                if let p = queryPeriod { try Self.checkPeriod(p, member: "MetricDataQueries.member.\(i + 1).Period") }
                var ctx = MetricMath.Context(series: series, labels: labels, order: order, grid: grid, period: queryPeriod ?? period)
                if allowSearch {
                    ctx.search = { [self] (text: String, stat: String, p: Int?) throws(MetricMath.Failure) -> [MetricMath.Labeled] in
                        try search(text, stat: stat, period: p ?? queryPeriod ?? period, start: start, end: end, context)
                    }
                }
                ctx.band = { [self] (ref: String, k: Double) throws(MetricMath.Failure) -> [MetricMath.Labeled] in
                    try anomalyBand(of: ref, k: k, queries: queries, series: series, labels: labels,
                                    period: period, start: start, end: end, context)
                }
                let outcome: MetricMath.Result
                do {
                    outcome = try MetricMath.evaluate(MetricMath.parse(expr), ctx)
                } catch {
                    throw AWSError(code: "ValidationError",
                                   message: "Error in expression '\(id)': \(error.message)")
                }
                let label = q.string("Label") ?? id
                switch outcome {
                case .series(let s):
                    series[id] = s
                    labels[id] = label
                    if q.bool("ReturnData") ?? true { results.append(QueryResult(id: id, label: label, points: s.map { ($0.key, $0.value) })) }
                case .array(let arr):
                    if q.bool("ReturnData") ?? true {
                        for s in arr {
                            // AWS prefixes each series' own label with the expression's label when one is given.
                            let each = s.label.isEmpty ? label : q.string("Label").map { "\($0) \(s.label)" } ?? s.label
                            results.append(QueryResult(id: id, label: each, points: s.values.map { ($0.key, $0.value) }))
                        }
                    }
                case .scalar(let d):
                    // A scalar alone is reported at every period, as AWS draws it.
                    let s = Dictionary(uniqueKeysWithValues: grid.map { ($0, d) })
                    series[id] = s
                    if q.bool("ReturnData") ?? true { results.append(QueryResult(id: id, label: label, points: s.map { ($0.key, $0.value) })) }
                }
            } else if q.bool("ReturnData") ?? true {
                results.append(QueryResult(id: id, label: labels[id] ?? id, points: (series[id] ?? [:]).map { ($0.key, $0.value) }))
            }
        }
        _ = messages
        messages = []
        let ascending = input.string("ScanBy") == "TimestampAscending"
        for i in results.indices {
            results[i].points.sort { ascending ? $0.0 < $1.0 : $0.0 > $1.0 }
        }
        // Paging: MaxDatapoints across all results; the token is how many were already sent.
        let maxPoints = max(1, input.int("MaxDatapoints") ?? 100_800)
        var skip = 0
        if let token = input.string("NextToken") {
            guard let n = Int(token), n >= 0, n <= 1 << 40 else { throw CloudWatchError.invalidNextToken }
            skip = n
        }
        var budget = maxPoints, offset = 0, out: [Value] = [], more = false
        for r in results {
            let from = max(0, min(r.points.count, skip - offset))
            offset += r.points.count
            let page = r.points[from...].prefix(budget)
            budget -= page.count
            let complete = from + page.count == r.points.count
            if !complete { more = true }
            if page.isEmpty && from > 0 && complete { continue }
            out.append([
                "Id": .string(r.id), "Label": .string(r.label),
                "Timestamps": .list(page.map { .timestamp($0.0) }), "Values": .list(page.map { .double($0.1) }),
                "StatusCode": .string(complete ? "Complete" : "PartialData"),
            ])
        }
        var response: [String: Value] = ["MetricDataResults": .list(out), "Messages": .list(messages)]
        if more { response["NextToken"] = .string(String(skip + maxPoints)) }
        return .object(response)
    }
}

extension CloudWatchService {
    /// SEARCH over this account and region's metrics: one series per metric (its units merged),
    /// labelled with the metric name and its dimension values, at most AWS's 500.
    func search(_ text: String, stat: String, period: Int, start: Double, end: Double,
                _ context: RequestContext) throws(MetricMath.Failure) -> [MetricMath.Labeled]
    {
        let query = try MetricSearch(text)
        guard ["SampleCount", "Sum", "Minimum", "Maximum", "Average"].contains(stat) || ExtendedStatistic.isValid(stat) else {
            throw MetricMath.Failure(message: "Invalid statistic in SEARCH: \(stat)")
        }
        guard period > 0, period <= 86400 * 7 else { throw MetricMath.Failure(message: "Invalid period in SEARCH: \(period)") }
        struct Group: Hashable { var namespace: String; var name: String; var dimensions: [MetricStore.Dimension] }
        let groups: [Group: [MetricStore.Series]] = state.withLock { s in
            var out: [Group: [MetricStore.Series]] = [:]
            for (key, value) in s.metrics.series where key.account == context.accountId && key.region == context.region {
                let metric = MetricSearch.Metric(namespace: key.namespace, name: key.name,
                                                 dimensions: key.dimensions.map { ($0.name, $0.value) })
                guard query.matches(metric) else { continue }
                out[Group(namespace: key.namespace, name: key.name, dimensions: key.dimensions), default: []].append(value)
            }
            return out
        }
        var found: [MetricMath.Labeled] = groups.map { group, members in
            var values: [Double: Double] = [:]
            for (t, b) in Self.buckets(members, start: start, end: end, period: period, now: clock.now()) {
                if let v = b.value(of: stat) { values[t] = v }
            }
            let label = ([group.name] + group.dimensions.map(\.value)).joined(separator: " ")
            return MetricMath.Labeled(label: label, values: values)
        }
        found.sort { $0.label < $1.label }
        return Array(found.prefix(500))
    }
}

extension CloudWatchService {
    /// ANOMALY_DETECTION_BAND(ref, k): the band of `AnomalyModel` around a query's series. A
    /// MetricStat query's history is read from the store over the two weeks before the range;
    /// an expression's is what it computed in the range.
    func anomalyBand(of ref: String, k: Double, queries: [Value], series: [String: [Double: Double]],
                     labels: [String: String], period: Int, start: Double, end: Double,
                     _ context: RequestContext) throws(MetricMath.Failure) -> [MetricMath.Labeled]
    {
        guard let query = queries.first(where: { $0.string("Id") == ref }) else {
            throw MetricMath.Failure(message: "Unrecognized metric id or function: \(ref)")
        }
        var history: [Double: Double] = [:]
        var p = period
        if let stat = query["MetricStat"] {
            p = stat.int("Period") ?? period
            let metric = stat["Metric"] ?? .empty
            let dims = ((try? dimensions(metric["Dimensions"], prefix: "")) ?? [])
            let matched = state.withLock {
                $0.metrics.matching(account: context.accountId, region: context.region,
                                    namespace: metric.string("Namespace") ?? "", name: metric.string("MetricName") ?? "",
                                    dimensions: dims, unit: stat.string("Unit"))
            }
            let statName = stat.string("Stat") ?? "Average"
            for (t, b) in Self.buckets(matched, start: start - AnomalyModel.window, end: end, period: p) {
                if let v = b.value(of: statName) { history[t] = v }
            }
            // A stored detector for this metric and statistic leaves its excluded time ranges out of training.
            let key = AnomalyDetector.singleKey(account: context.accountId, namespace: metric.string("Namespace") ?? "",
                                                name: metric.string("MetricName") ?? "", stat: statName, dimensions: dims)
            let excluded = state.withLock { $0.detectors["\(context.accountId)/\(context.region)/\(key)"] }?
                .configuration?["ExcludedTimeRanges"]?.listValue ?? []
            for r in excluded {
                guard case .timestamp(let a)? = r["StartTime"], case .timestamp(let b)? = r["EndTime"] else { continue }
                history = history.filter { !($0.key >= a && $0.key < b) }
            }
        } else {
            guard let s = series[ref] else { throw MetricMath.Failure(message: "Unrecognized metric id or function: \(ref)") }
            history = s
        }
        let origin = Self.alignedStart(start, period: p)
        let times = stride(from: origin, to: end, by: Double(p)).prefix(100_800).map { $0 }
        let band = AnomalyModel.band(history: history, at: times, k: k)
        let name = labels[ref] ?? ref
        return [MetricMath.Labeled(label: "\(name) Lower", values: band.lower),
                MetricMath.Labeled(label: "\(name) Upper", values: band.upper)]
    }
}
