import Foundation
import SimfraCore
import SimfraEventing
import SimfraProtocols

/// A schedule group's durable record (id: its name):
/// `{"v":1,"arn":…,"created":…,"modified":…,"tags":[["k","v"]],"clientToken":…}`.
enum GroupRecord {
    static let kind = "group"
    static let version = 1

    static func encode(_ g: ScheduleGroup) -> [UInt8] {
        var doc: [String: Value] = [
            "v": .integer(Int64(version)), "arn": .string(g.arn), "created": .double(g.created),
            "modified": .double(g.modified), "tags": .list(g.tags.map { [.string($0.key), .string($0.value)] }),
        ]
        if let t = g.clientToken { doc["clientToken"] = .string(t) }
        return Array(ValueJSON.encode(.object(doc)).utf8)
    }

    static func decode(_ r: DurableRecord) throws -> ScheduleGroup {
        let doc = try RecordDecoding.document(r, version: version)
        guard let arn = doc.string("arn") else { throw RecordDecoding.fail(r, "no ARN") }
        var g = ScheduleGroup(accountId: r.account, region: r.region, name: r.id, arn: arn,
                              created: ScheduleDefinition.timestamp(doc["created"]) ?? 0,
                              modified: ScheduleDefinition.timestamp(doc["modified"]) ?? 0,
                              clientToken: doc.string("clientToken"))
        for pair in doc["tags"]?.listValue ?? [] {
            if let l = pair.listValue, l.count == 2, let k = l[0].stringValue, let v = l[1].stringValue { g.tags.append((k, v)) }
        }
        return g
    }
}

/// A schedule's durable record (id: `<group>/<name>`): its definition as GetSchedule reports
/// it, plus the client token. When it next fires is not stored: restore plans it afresh.
enum ScheduleRecord {
    static let kind = "schedule"
    static let version = 1

    static func encode(_ s: Schedule) -> [UInt8] {
        var doc: [String: Value] = [
            "v": .integer(Int64(version)), "arn": .string(s.arn), "expression": .string(s.expression.text),
            "timezone": .string(s.timezone), "enabled": .bool(s.enabled), "deleteAfterCompletion": .bool(s.deleteAfterCompletion),
            "target": s.target, "created": .double(s.created), "modified": .double(s.modified),
        ]
        if let v = s.startDate { doc["start"] = .double(v) }
        if let v = s.endDate { doc["end"] = .double(v) }
        if let v = s.description { doc["description"] = .string(v) }
        if let v = s.flexibleWindowMinutes { doc["window"] = .integer(Int64(v)) }
        if let v = s.kmsKeyArn { doc["kmsKeyArn"] = .string(v) }
        if let v = s.clientToken { doc["clientToken"] = .string(v) }
        return Array(ValueJSON.encode(.object(doc)).utf8)
    }

    static func decode(_ r: DurableRecord) throws -> Schedule {
        let doc = try RecordDecoding.document(r, version: version)
        let parts = r.id.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let arn = doc.string("arn"), let text = doc.string("expression"),
            let timezone = doc.string("timezone"), let target = doc["target"]
        else { throw RecordDecoding.fail(r, "no ARN, expression, time zone or target") }
        guard let zone = ScheduleExpression.timeZone(named: timezone), let expression = try? ScheduleExpression(text, timeZone: zone)
        else { throw RecordDecoding.fail(r, "the expression \(text) in \(timezone) no longer parses") }
        let key = ScheduleKey(accountId: r.account, region: r.region, group: String(parts[0]), name: String(parts[1]))
        return Schedule(
            key: key, arn: arn, expression: expression, timezone: timezone,
            startDate: ScheduleDefinition.timestamp(doc["start"]), endDate: ScheduleDefinition.timestamp(doc["end"]),
            description: doc.string("description"), enabled: doc.bool("enabled") ?? true,
            flexibleWindowMinutes: doc.int("window"), deleteAfterCompletion: doc.bool("deleteAfterCompletion") ?? false,
            kmsKeyArn: doc.string("kmsKeyArn"), target: target,
            created: ScheduleDefinition.timestamp(doc["created"]) ?? 0,
            modified: ScheduleDefinition.timestamp(doc["modified"]) ?? 0, clientToken: doc.string("clientToken"))
    }
}

enum RecordDecoding {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func fail(_ r: DurableRecord, _ why: String) -> Failure {
        Failure(description: "Scheduler \(r.kind) record \(r.account)/\(r.region)/\(r.id) is unreadable: \(why)")
    }

    static func document(_ r: DurableRecord, version: Int) throws -> Value {
        guard let doc = try? JSONReader.parse(r.data), case .object = doc else { throw fail(r, "not a JSON object") }
        guard let v = doc.int("v") else { throw fail(r, "no version") }
        guard v <= version else { throw fail(r, "record version \(v) is newer than this Simfra understands (\(version))") }
        return doc
    }
}

extension SchedulerService: StatefulService {
    /// Rebuilds groups and schedules, then plans every enabled schedule's next firing from now:
    /// firings missed while Simfra was down are not replayed.
    public func restore() throws {
        let all = try records.loadAll()
        let groups = try all.filter { $0.kind == GroupRecord.kind }.map(GroupRecord.decode)
        let schedules = try all.filter { $0.kind == ScheduleRecord.kind }.map(ScheduleRecord.decode)
        let now = clock.now()
        state.withLock { s in
            for g in groups { s.groups[GroupKey(accountId: g.accountId, region: g.region, name: g.name)] = g }
            for sc in schedules {
                s.schedules[sc.key] = sc
                s.plan.plan(sc, after: now - 0.001, flexibleDelay: flexibleDelay)
            }
        }
        if !schedules.isEmpty { startLoop(delay: 2) }
    }

    /// The group's record as it now is. Call under the lock; await the commit after.
    func persist(_ g: ScheduleGroup) -> Commit {
        records.put(kind: GroupRecord.kind, account: g.accountId, region: g.region, id: g.name, data: GroupRecord.encode(g))
    }

    func persist(_ s: Schedule) -> Commit {
        records.put(kind: ScheduleRecord.kind, account: s.key.accountId, region: s.key.region, id: s.key.recordId,
                    data: ScheduleRecord.encode(s))
    }
}

extension SchedulerService {
    /// Deleting or resetting an account removes its groups and schedules in every region.
    public func removeAccount(_ accountId: String) async throws {
        let commit = state.withLock { s -> Commit in
            var writes: [DurableWrite] = []
            for k in s.groups.keys where k.accountId == accountId {
                s.groups.removeValue(forKey: k)
                writes.append(.delete(kind: GroupRecord.kind, account: k.accountId, region: k.region, id: k.name))
            }
            for k in s.schedules.keys where k.accountId == accountId {
                s.schedules.removeValue(forKey: k)
                s.plan.cancel(k)
                writes.append(.delete(kind: ScheduleRecord.kind, account: k.accountId, region: k.region, id: k.recordId))
            }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        // Its pending retries go too: nothing of the account may fire after it is gone.
        retries.withLock { $0.removeAll { $0.schedule.key.accountId == accountId } }
        try await commit.wait()
    }
}
