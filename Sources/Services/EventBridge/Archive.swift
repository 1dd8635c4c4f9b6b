import SimfraCore

/// An archive of one bus's events (those its pattern matches, or all), kept for
/// `RetentionDays` (0: for ever). Each archived event is its own durable record, written
/// before PutEvents answers, so an event a client was told succeeded is in the archive after
/// a restart.
struct Archive: Sendable {
    var name: String
    var accountId: String
    var region: String
    var source: BusRef
    var description: String?
    var eventPattern: String?
    var compiled: RulePattern?
    var retentionDays: Int
    var kmsKeyIdentifier: String?
    var created: Double
    var events: [ArchivedEvent] = []
    /// The last sequence number given to an archived event (orders the records).
    var sequence: Int = 0

    var arn: String { "arn:aws:events:\(region):\(accountId):archive/\(name)" }
    var sizeBytes: Int { events.reduce(0) { $0 + $1.event.json.utf8.count } }

    func accepts(_ event: DeliveredEvent) -> Bool {
        guard eventPattern != nil else { return true }
        return compiled?.matches(event.value) == true
    }

    /// Events past the retention period at `now`.
    func expired(now: Double) -> [ArchivedEvent] {
        retentionDays > 0 ? events.filter { now - $0.ingested > Double(retentionDays) * 86_400 } : []
    }

    func deletes() -> [DurableWrite] {
        [.delete(kind: ArchiveRecord.kind, account: accountId, region: region, id: name)]
            + events.map { .delete(kind: ArchivedEventRecord.kind, account: accountId, region: region, id: $0.recordId(name)) }
    }

    func summary() -> [String: Value] {
        [
            "ArchiveName": .string(name), "EventSourceArn": .string(source.arn), "State": "ENABLED",
            "RetentionDays": .integer(Int64(retentionDays)), "SizeBytes": .integer(Int64(sizeBytes)),
            "EventCount": .integer(Int64(events.count)), "CreationTime": .timestamp(created),
        ]
    }
}

struct ArchivedEvent: Sendable {
    var sequence: Int
    var ingested: Double
    var event: DeliveredEvent

    /// `<archive>/<sequence, zero-padded>`: records of one archive load in arrival order.
    func recordId(_ archive: String) -> String {
        let digits = String(sequence)
        return archive + "/" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }
}

/// A replay: the archived events of a time range sent again to the bus's rules (or only
/// those in `FilterArns`), each with `replay-name` in its envelope.
struct Replay: Sendable {
    var name: String
    var accountId: String
    var region: String
    var description: String?
    var archiveArn: String
    var start: Double
    var end: Double
    var destination: String
    var filterArns: [String]?
    var state: String
    var started: Double
    var ended: Double?
    var lastReplayed: Double?

    var arn: String { "arn:aws:events:\(region):\(accountId):replay/\(name)" }

    func summary(describe: Bool) -> Value {
        var o: [String: Value] = [
            "ReplayName": .string(name), "EventSourceArn": .string(archiveArn), "State": .string(state),
            "EventStartTime": .timestamp(start), "EventEndTime": .timestamp(end), "ReplayStartTime": .timestamp(started),
        ]
        if let ended { o["ReplayEndTime"] = .timestamp(ended) }
        if let lastReplayed { o["EventLastReplayedTime"] = .timestamp(lastReplayed) }
        if describe {
            o["ReplayArn"] = .string(arn)
            if let description { o["Description"] = .string(description) }
            var d: [String: Value] = ["Arn": .string(destination)]
            if let filterArns { d["FilterArns"] = .list(filterArns.map { .string($0) }) }
            o["Destination"] = .object(d)
        }
        return .object(o)
    }
}

enum ArchiveRecord {
    static let kind = "archive"

    static func encode(_ a: Archive) -> [UInt8] {
        var o: [String: Value] = [
            "v": 1, "source": .string(a.source.name), "retention": .integer(Int64(a.retentionDays)),
            "created": .double(a.created), "sequence": .integer(Int64(a.sequence)),
        ]
        if let d = a.description { o["description"] = .string(d) }
        if let p = a.eventPattern { o["pattern"] = .string(p) }
        if let k = a.kmsKeyIdentifier { o["kms"] = .string(k) }
        return RecordJSON.write(.object(o))
    }

    static func decode(_ r: DurableRecord) throws -> Archive {
        let o = try RecordJSON.read(r, what: "archive")
        let pattern = o.string("pattern")
        return Archive(
            name: r.id, accountId: r.account, region: r.region,
            source: BusRef(accountId: r.account, region: r.region, name: o.string("source") ?? "default"),
            description: o.string("description"), eventPattern: pattern, compiled: pattern.flatMap { try? RulePattern($0) },
            retentionDays: o.int("retention") ?? 0, kmsKeyIdentifier: o.string("kms"),
            created: o["created"]?.doubleValue ?? 0, sequence: o.int("sequence") ?? 0)
    }
}

enum ArchivedEventRecord {
    static let kind = "archived-event"

    static func encode(_ e: ArchivedEvent) -> [UInt8] {
        let ev = e.event
        return RecordJSON.write([
            "v": 1, "seq": .integer(Int64(e.sequence)), "ingested": .double(e.ingested), "id": .string(ev.id),
            "detailType": .string(ev.detailType), "source": .string(ev.source), "account": .string(ev.account),
            "time": .string(ev.time), "region": .string(ev.region), "resources": .list(ev.resources.map { .string($0) }),
            "detail": ev.detail,
        ])
    }

    /// The archive's name and the event.
    static func decode(_ r: DurableRecord) throws -> (String, ArchivedEvent) {
        let o = try RecordJSON.read(r, what: "archived event")
        guard let slash = r.id.lastIndex(of: "/") else {
            throw RecordJSON.DecodeError(description: "EventBridge archived event record \(r.id) names no archive")
        }
        let event = DeliveredEvent(
            id: o.string("id") ?? "", detailType: o.string("detailType") ?? "", source: o.string("source") ?? "",
            account: o.string("account") ?? r.account, time: o.string("time") ?? "", region: o.string("region") ?? r.region,
            resources: o.stringList("resources") ?? [], detailText: "", detail: o["detail"] ?? .object([:]))
        return (String(r.id[..<slash]),
                ArchivedEvent(sequence: o.int("seq") ?? 0, ingested: o["ingested"]?.doubleValue ?? 0, event: event))
    }
}
