import Foundation
import SimfraCore

/// Anomaly detectors (PutAnomalyDetector, DescribeAnomalyDetectors, DeleteAnomalyDetector):
/// stored and persisted, one per metric and statistic (or per metric-math query list). The band
/// they stand for is computed by `AnomalyModel` whenever ANOMALY_DETECTION_BAND is evaluated.
struct AnomalyDetector: Sendable {
    var account: String
    var region: String
    /// A stable identity: the metric, its dimensions and statistic, or the math queries.
    var key: String
    /// SingleMetricAnomalyDetector (AccountId filled in) or MetricMathAnomalyDetector.
    var single: Value?
    var math: Value?
    var configuration: Value?
    var characteristics: Value?

    static func singleKey(account: String, namespace: String, name: String, stat: String,
                          dimensions: [MetricStore.Dimension]) -> String
    {
        (["single", account, namespace, name, stat] + dimensions.sorted().flatMap { [$0.name, $0.value] }).joined(separator: "\u{1f}")
    }

    var recordId: String {
        // FNV-1a: the key can be long (a math detector's queries); the id only has to be stable.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }
}

extension CloudWatchService {
    static let statistics: Set<String> = ["SampleCount", "Sum", "Minimum", "Maximum", "Average"]

    /// The detector an input names: the legacy top-level members, SingleMetricAnomalyDetector or
    /// MetricMathAnomalyDetector (exactly one way).
    func detector(from input: Value, _ context: RequestContext) throws(AWSError) -> AnomalyDetector {
        let legacy = input.string("Namespace") != nil || input.string("MetricName") != nil || input.string("Stat") != nil
            || input["Dimensions"] != nil
        let singleIn = input["SingleMetricAnomalyDetector"], mathIn = input["MetricMathAnomalyDetector"]
        if [legacy, singleIn != nil, mathIn != nil].filter({ $0 }).count > 1 {
            throw CloudWatchError.combination(
                "The parameters SingleMetricAnomalyDetector, MetricMathAnomalyDetector and the top-level metric parameters are mutually exclusive and you have specified more than one.")
        }
        var d = AnomalyDetector(account: context.accountId, region: context.region, key: "")
        if let mathIn {
            let queries = mathIn["MetricDataQueries"]?.listValue ?? []
            guard !queries.isEmpty else { throw CloudWatchError.missing("MetricMathAnomalyDetector.MetricDataQueries") }
            guard queries.filter({ $0.bool("ReturnData") ?? true }).count == 1 else {
                throw CloudWatchError.invalidValue("Metrics list must contain exactly one metric with ReturnData set to true.")
            }
            d.math = ["MetricDataQueries": .list(queries)]
            d.key = "math:" + String(decoding: AlarmRecord.encodeValue(.list(queries)), as: UTF8.self)
            return d
        }
        let src = singleIn ?? input
        let prefix = singleIn == nil ? "" : "SingleMetricAnomalyDetector."
        guard let ns = src.string("Namespace") else { throw CloudWatchError.missing("\(prefix)Namespace") }
        guard let name = src.string("MetricName") else { throw CloudWatchError.missing("\(prefix)MetricName") }
        guard let stat = src.string("Stat") else { throw CloudWatchError.missing("\(prefix)Stat") }
        guard Self.statistics.contains(stat) || ExtendedStatistic.isValid(stat) else {
            throw CloudWatchError.invalidValue("The value \(stat) for parameter \(prefix)Stat is invalid.")
        }
        let dims = try dimensions(src["Dimensions"], prefix: "\(prefix)Dimensions")
        let account = src.string("AccountId") ?? context.accountId
        d.single = ["AccountId": .string(account), "Namespace": .string(ns), "MetricName": .string(name), "Stat": .string(stat),
                    "Dimensions": .list(dims.map { ["Name": .string($0.name), "Value": .string($0.value)] })]
        d.key = AnomalyDetector.singleKey(account: account, namespace: ns, name: name, stat: stat, dimensions: dims)
        return d
    }

    func putAnomalyDetector(_ input: Value, _ context: RequestContext) async throws -> Value {
        var d = try detector(from: input, context)
        if let c = input["Configuration"] {
            for (i, r) in (c["ExcludedTimeRanges"]?.listValue ?? []).enumerated() {
                if case .timestamp(let a)? = r["StartTime"], case .timestamp(let b)? = r["EndTime"], a >= b {
                    throw CloudWatchError.invalidValue(
                        "The StartTime of Configuration.ExcludedTimeRanges.member.\(i + 1) must be before its EndTime.")
                }
            }
            d.configuration = c
        }
        d.characteristics = input["MetricCharacteristics"]
        let commit = state.withLock { s -> Commit in
            s.detectors["\(d.account)/\(d.region)/\(d.key)"] = d
            return records.put(kind: DetectorRecord.kind, account: d.account, region: d.region, id: d.recordId,
                               data: DetectorRecord.encode(d))
        }
        try await commit.wait()
        return .empty
    }

    func deleteAnomalyDetector(_ input: Value, _ context: RequestContext) async throws -> Value {
        let d = try detector(from: input, context)
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            guard s.detectors.removeValue(forKey: "\(d.account)/\(d.region)/\(d.key)") != nil else {
                throw CloudWatchError.resourceNotFound("No anomaly detector found for the given metric and statistic.")
            }
            return records.delete(kind: DetectorRecord.kind, account: d.account, region: d.region, id: d.recordId)
        }
        try await commit.wait()
        return .empty
    }

    func describeAnomalyDetectors(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let types = Set(input.stringList("AnomalyDetectorTypes") ?? [])
        let ns = input.string("Namespace"), name = input.string("MetricName")
        let dims = input["Dimensions"] == nil ? nil : try dimensions(input["Dimensions"], prefix: "Dimensions").sorted()
        let all = state.withLock { s in
            s.detectors.values.filter { $0.account == context.accountId && $0.region == context.region }
        }.sorted { $0.key < $1.key }
        let now = clock.now()
        let matching = all.filter { d in
            if !types.isEmpty, !types.contains(d.math == nil ? "SINGLE_METRIC" : "METRIC_MATH") { return false }
            if ns != nil || name != nil || dims != nil {
                guard let single = d.single else { return false }
                if let ns, single.string("Namespace") != ns { return false }
                if let name, single.string("MetricName") != name { return false }
                if let dims, (try? dimensions(single["Dimensions"], prefix: ""))?.sorted() != dims { return false }
            }
            return true
        }
        let limit = input.int("MaxResults") ?? 100
        guard (1...100).contains(limit) else {
            throw CloudWatchError.invalidValue("The value \(limit) for parameter MaxResults is not in the range 1 to 100.")
        }
        var from = 0
        if let token = input.string("NextToken") {
            guard let n = Int(token), n >= 0, n <= matching.count else { throw CloudWatchError.invalidNextToken }
            from = n
        }
        let page = matching[from...].prefix(limit)
        var out: [String: Value] = ["AnomalyDetectors": .list(page.map { described($0, now: now) })]
        if from + page.count < matching.count { out["NextToken"] = .string(String(from + page.count)) }
        return .object(out)
    }

    /// AWS's AnomalyDetector shape; a single-metric one repeats its metric at the top level (deprecated members).
    func described(_ d: AnomalyDetector, now: Double) -> Value {
        var config: [String: Value] = ["ExcludedTimeRanges": d.configuration?["ExcludedTimeRanges"] ?? .list([])]
        if let tz = d.configuration?["MetricTimezone"] { config["MetricTimezone"] = tz }
        var o: [String: Value] = ["Configuration": .object(config), "StateValue": .string(trainingState(d, now: now))]
        if let c = d.characteristics { o["MetricCharacteristics"] = c }
        if let single = d.single {
            o["SingleMetricAnomalyDetector"] = single
            for k in ["Namespace", "MetricName", "Dimensions", "Stat"] { o[k] = single[k] }
        }
        if let math = d.math { o["MetricMathAnomalyDetector"] = math }
        return .object(o)
    }

    /// Simfra's model is trained once the metric has `AnomalyModel.minimumPoints` five-minute
    /// periods of data in the trailing two weeks; a math detector's inputs are not inspected.
    func trainingState(_ d: AnomalyDetector, now: Double) -> String {
        guard let single = d.single else { return "PENDING_TRAINING" }
        let dims = (try? dimensions(single["Dimensions"], prefix: "")) ?? []
        let matched = state.withLock {
            $0.metrics.matching(account: d.account, region: d.region, namespace: single.string("Namespace") ?? "",
                                name: single.string("MetricName") ?? "", dimensions: dims, unit: nil)
        }
        let periods = Self.buckets(matched, start: now - AnomalyModel.window, end: now + 1, period: 300).count
        return periods >= AnomalyModel.minimumPoints ? "TRAINED" : "PENDING_TRAINING"
    }
}

/// An anomaly detector's durable record: `{"v":1,"key":"…","single":{…},"math":{…},"configuration":{…}}`
/// with the `Value` members in AlarmRecord's tagged form.
enum DetectorRecord {
    static let kind = "anomaly-detector"

    static func encode(_ d: AnomalyDetector) -> [UInt8] {
        var doc: [String: Any] = ["v": 1, "key": d.key]
        if let v = d.single { doc["single"] = AlarmRecord.tagged(v) }
        if let v = d.math { doc["math"] = AlarmRecord.tagged(v) }
        if let v = d.configuration { doc["configuration"] = AlarmRecord.tagged(v) }
        if let v = d.characteristics { doc["characteristics"] = AlarmRecord.tagged(v) }
        return Array((try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])) ?? Data())
    }

    static func decode(_ r: DurableRecord) throws -> AnomalyDetector {
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(r.data))) as? [String: Any], let key = doc["key"] as? String
        else {
            throw AlarmRecord.DecodeError(description: "CloudWatch anomaly detector record \(r.account)/\(r.region)/\(r.id) is unreadable")
        }
        return AnomalyDetector(account: r.account, region: r.region, key: key, single: AlarmRecord.untagged(doc["single"]),
                               math: AlarmRecord.untagged(doc["math"]), configuration: AlarmRecord.untagged(doc["configuration"]),
                               characteristics: AlarmRecord.untagged(doc["characteristics"]))
    }
}
