import Foundation
import SimfraCore

/// An alarm's durable record, JSON. Its configuration is a `Value` tree written with type tags
/// (`{"d":21.0}`, `{"i":1}`…) so a double threshold stays a double and an integer period an
/// integer after a restart.
///
/// ```json
/// {"v":1,"arn":"arn:aws:cloudwatch:…:alarm:x","config":{"o":{…}},"tags":[["k","v"]],"actionsEnabled":true,
///  "state":"OK","reason":"…","reasonData":"…","stateUpdated":…,"stateTransitioned":…,"configUpdated":…}
/// ```
enum AlarmRecord {
    static let kind = "alarm"
    static let version = 1

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    static func encode(_ a: MetricAlarm) -> [UInt8] {
        var doc: [String: Any] = [
            "v": version, "arn": a.arn, "config": tagged(.object(a.config)), "tags": a.tags.map { [$0.key, $0.value] },
            "actionsEnabled": a.actionsEnabled, "state": a.state, "reason": a.reason,
            "stateUpdated": millis(a.stateUpdated), "stateTransitioned": millis(a.stateTransitioned),
            "configUpdated": millis(a.configUpdated),
        ]
        if let d = a.reasonData { doc["reasonData"] = d }
        return Array((try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])) ?? Data())
    }

    static func decode(_ r: DurableRecord) throws -> MetricAlarm {
        func fail(_ why: String) -> DecodeError {
            DecodeError(description: "CloudWatch alarm record \(r.account)/\(r.region)/\(r.id) is unreadable: \(why)")
        }
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(r.data))) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        guard let v = doc["v"] as? Int else { throw fail("no version") }
        guard v <= version else { throw fail("record version \(v) is newer than this Simfra understands (\(version))") }
        guard let arn = doc["arn"] as? String, case .object(let config)? = untagged(doc["config"]),
            let state = doc["state"] as? String
        else { throw fail("no ARN, configuration or state") }
        func time(_ k: String) -> Double { Double((doc[k] as? NSNumber)?.int64Value ?? 0) / 1000 }
        var a = MetricAlarm(account: r.account, region: r.region, name: r.id, arn: arn, config: config,
                            stateUpdated: time("stateUpdated"), stateTransitioned: time("stateTransitioned"),
                            configUpdated: time("configUpdated"))
        a.state = state
        a.reason = doc["reason"] as? String ?? ""
        a.reasonData = doc["reasonData"] as? String
        a.actionsEnabled = doc["actionsEnabled"] as? Bool ?? true
        for pair in doc["tags"] as? [[String]] ?? [] where pair.count == 2 { a.tags.append((pair[0], pair[1])) }
        return a
    }

    /// Times as whole milliseconds (AWS's precision), which JSON carries exactly.
    static func millis(_ t: Double) -> Int64 { t.isFinite && abs(t) < 9e15 ? Int64((t * 1000).rounded()) : 0 }

    /// A value's tagged JSON, keys sorted: equal values give equal bytes (a detector's identity).
    static func encodeValue(_ v: Value) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: tagged(v), options: [.sortedKeys])) ?? Data())
    }

    static func tagged(_ v: Value) -> Any {
        switch v {
        case .null: ["n": true]
        case .bool(let b): ["b": b]
        case .integer(let i): ["i": i]
        case .double(let d): ["d": d]
        case .string(let s): ["s": s]
        case .blob(let b): ["x": Data(b).base64EncodedString()]
        case .timestamp(let t): ["t": t]
        case .list(let l): ["l": l.map(tagged)]
        case .object(let o): ["o": o.mapValues(tagged)]
        }
    }

    static func untagged(_ any: Any?) -> Value? {
        guard let o = any as? [String: Any], let (tag, x) = o.first, o.count == 1 else { return nil }
        switch tag {
        case "n": return .null
        case "b": return (x as? Bool).map(Value.bool)
        case "i": return (x as? NSNumber).map { .integer($0.int64Value) }
        case "d": return (x as? NSNumber).map { .double($0.doubleValue) }
        case "s": return (x as? String).map(Value.string)
        case "x": return (x as? String).flatMap { Data(base64Encoded: $0) }.map { .blob(Array($0)) }
        case "t": return (x as? NSNumber).map { .timestamp($0.doubleValue) }
        case "l":
            guard let l = x as? [Any] else { return nil }
            return .list(l.compactMap(untagged))
        case "o":
            guard let m = x as? [String: Any] else { return nil }
            return .object(m.compactMapValues(untagged))
        default: return nil
        }
    }
}

extension CloudWatchService: StatefulService {
    public func restore() throws {
        let all = try records.loadAll()
        let loaded = try all.filter { $0.kind == AlarmRecord.kind }.map(AlarmRecord.decode)
        let boards = try all.filter { $0.kind == DashboardRecord.kind }.map(DashboardRecord.decode)
        let streams = try all.filter { $0.kind == StreamRecord.kind }.map(StreamRecord.decode)
        let detectors = try all.filter { $0.kind == DetectorRecord.kind }.map(DetectorRecord.decode)
        state.withLock { s in
            for a in loaded { s.alarms[a.arn] = a }
            for d in boards { s.dashboards["\(d.account)/\(d.name)"] = d }
            for m in streams { s.streams[m.arn] = m }
            for d in detectors { s.detectors["\(d.account)/\(d.region)/\(d.key)"] = d }
        }
        if !loaded.isEmpty { startLoop() }
    }

    /// Writes the alarm as it now is; call with the state lock held, await the commit after.
    func saveLocked(_ a: MetricAlarm) -> Commit {
        records.put(kind: AlarmRecord.kind, account: a.account, region: a.region, id: a.name, data: AlarmRecord.encode(a))
    }
}
