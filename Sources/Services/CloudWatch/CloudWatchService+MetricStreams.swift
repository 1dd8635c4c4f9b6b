import Foundation
import SimfraCore

/// A metric stream: stored with its filters, format and destination. Firehose does not exist
/// in Simfra yet, so a running stream delivers nothing (it is never reported as delivering).
struct MetricStream: Sendable {
    var account: String
    var region: String
    var name: String
    var arn: String
    /// PutMetricStream's members (filters, FirehoseArn, RoleArn, OutputFormat…), tags excepted.
    var config: [String: Value]
    var tags: [(key: String, value: String)] = []
    var running = true
    var created: Double
    var updated: Double

    var entry: Value {
        ["Arn": .string(arn), "Name": .string(name), "FirehoseArn": config["FirehoseArn"] ?? "",
         "OutputFormat": config["OutputFormat"] ?? "", "State": .string(running ? "running" : "stopped"),
         "CreationDate": .timestamp(created), "LastUpdateDate": .timestamp(updated)]
    }

    var described: Value {
        var o = entry.objectValue ?? [:]
        for (k, v) in config where k != "Tags" { o[k] = v }
        o["State"] = .string(running ? "running" : "stopped")
        return .object(o)
    }
}

/// Put/Get/List/Delete/Start/StopMetricStream(s).
extension CloudWatchService {
    static func streamArn(_ name: String, _ context: RequestContext) -> String {
        "arn:\(partition(context)):cloudwatch:\(context.region):\(context.accountId):metric-stream/\(name)"
    }

    func putMetricStream(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        if input["IncludeFilters"]?.listValue?.isEmpty == false, input["ExcludeFilters"]?.listValue?.isEmpty == false {
            throw CloudWatchError.combination("You cannot specify both IncludeFilters and ExcludeFilters.")
        }
        let arn = Self.streamArn(name, context)
        var config = input.objectValue ?? [:]
        config.removeValue(forKey: "Name")
        config.removeValue(forKey: "Tags")
        let tags = (input["Tags"]?.listValue ?? []).map { (key: $0.string("Key") ?? "", value: $0.string("Value") ?? "") }
        let now = (clock.now() * 1000).rounded() / 1000
        let commit = state.withLock { s -> Commit in
            var stream = s.streams[arn] ?? MetricStream(account: context.accountId, region: context.region, name: name,
                                                        arn: arn, config: [:], tags: tags, created: now, updated: now)
            stream.config = config
            stream.updated = now
            s.streams[arn] = stream
            return records.put(kind: StreamRecord.kind, account: stream.account, region: stream.region, id: name,
                               data: StreamRecord.encode(stream))
        }
        try await commit.wait()
        return ["Arn": .string(arn)]
    }

    func getMetricStream(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("Name") ?? ""
        guard let stream = state.withLock({ $0.streams[Self.streamArn(name, context)] }) else {
            throw CloudWatchError.resourceNotFound("The specified metric stream \(name) does not exist.")
        }
        return stream.described
    }

    func listMetricStreams(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let all = state.withLock { s in
            s.streams.values.filter { $0.account == context.accountId && $0.region == context.region }
        }.sorted { $0.name < $1.name }
        let max = Swift.max(1, input.int("MaxResults") ?? 100)
        var offset = 0
        if let token = input.string("NextToken") {
            guard let n = Int(token), n >= 0, n <= all.count else { throw CloudWatchError.invalidNextToken }
            offset = n
        }
        var out: [String: Value] = ["Entries": .list(all[offset..<min(all.count, offset + max)].map(\.entry))]
        if offset + max < all.count { out["NextToken"] = .string(String(offset + max)) }
        return .object(out)
    }

    /// DeleteMetricStream (one name; AWS answers success for an unknown one) and
    /// Start/StopMetricStreams (unknown names are skipped).
    func changeStreams(_ operation: String, _ input: Value, _ context: RequestContext) async throws -> Value {
        let names = operation == "DeleteMetricStream" ? [input.string("Name") ?? ""] : (input.stringList("Names") ?? [])
        let now = (clock.now() * 1000).rounded() / 1000
        let commit = state.withLock { s -> Commit in
            var writes: [DurableWrite] = []
            for name in names {
                let arn = Self.streamArn(name, context)
                guard var stream = s.streams[arn] else { continue }
                if operation == "DeleteMetricStream" {
                    s.streams.removeValue(forKey: arn)
                    writes.append(.delete(kind: StreamRecord.kind, account: stream.account, region: stream.region, id: name))
                    continue
                }
                stream.running = operation == "StartMetricStreams"
                stream.updated = now
                s.streams[arn] = stream
                writes.append(.put(kind: StreamRecord.kind, account: stream.account, region: stream.region, id: name,
                                   data: StreamRecord.encode(stream)))
            }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        try await commit.wait()
        return .empty
    }
}

/// A metric stream's durable record: its configuration as tagged `Value` JSON (see AlarmRecord).
enum StreamRecord {
    static let kind = "metricstream"

    static func encode(_ m: MetricStream) -> [UInt8] {
        let doc: [String: Any] = [
            "v": 1, "arn": m.arn, "config": AlarmRecord.tagged(.object(m.config)), "tags": m.tags.map { [$0.key, $0.value] },
            "running": m.running, "created": AlarmRecord.millis(m.created), "updated": AlarmRecord.millis(m.updated),
        ]
        return Array((try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])) ?? Data())
    }

    static func decode(_ r: DurableRecord) throws -> MetricStream {
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(r.data))) as? [String: Any],
            let arn = doc["arn"] as? String, case .object(let config)? = AlarmRecord.untagged(doc["config"])
        else {
            throw AlarmRecord.DecodeError(description: "CloudWatch metric stream record \(r.account)/\(r.region)/\(r.id) is unreadable")
        }
        func time(_ k: String) -> Double { Double((doc[k] as? NSNumber)?.int64Value ?? 0) / 1000 }
        var m = MetricStream(account: r.account, region: r.region, name: r.id, arn: arn, config: config,
                             created: time("created"), updated: time("updated"))
        m.running = doc["running"] as? Bool ?? true
        for pair in doc["tags"] as? [[String]] ?? [] where pair.count == 2 { m.tags.append((pair[0], pair[1])) }
        return m
    }
}
