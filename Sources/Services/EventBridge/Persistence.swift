import SimfraCore
import SimfraProtocols

/// A bus's durable record as JSON: `{"v":1,"created":…,"modified":…,"description":…,
/// "kms":…,"dlq":…,"policy":…,"tags":[["k","v"]]}`; the name, account and region are the
/// record's identity.
enum BusRecord {
    static let kind = "bus"
    static let version: Int64 = 1

    static func encode(_ b: EventBus) -> [UInt8] {
        var o: [String: Value] = [
            "v": .integer(version), "created": .double(b.created), "modified": .double(b.modified),
            "tags": .list(b.tags.map { [.string($0.key), .string($0.value)] }),
        ]
        if let d = b.description { o["description"] = .string(d) }
        if let k = b.kmsKeyIdentifier { o["kms"] = .string(k) }
        if let a = b.deadLetterArn { o["dlq"] = .string(a) }
        if let p = b.policy { o["policy"] = .string(p) }
        return RecordJSON.write(.object(o))
    }

    static func decode(_ r: DurableRecord) throws -> EventBus {
        let o = try RecordJSON.read(r, what: "event bus")
        return EventBus(
            name: r.id, accountId: r.account, region: r.region, description: o.string("description"),
            kmsKeyIdentifier: o.string("kms"), deadLetterArn: o.string("dlq"), policy: o.string("policy"),
            tags: RecordJSON.tags(o), created: o["created"]?.doubleValue ?? 0, modified: o["modified"]?.doubleValue ?? 0)
    }
}

/// A rule's durable record, with its targets as PutTargets received them. The id is
/// `<bus>/<rule>` (neither name may contain `/`).
enum RuleRecord {
    static let kind = "rule"
    static let version: Int64 = 1

    static func id(_ r: Rule) -> String { "\(r.bus.name)/\(r.name)" }

    static func encode(_ r: Rule) -> [UInt8] {
        var o: [String: Value] = [
            "v": .integer(version), "state": .string(r.state), "createdBy": .string(r.createdBy),
            "created": .double(r.created), "targets": .list(r.targets),
            "tags": .list(r.tags.map { [.string($0.key), .string($0.value)] }),
        ]
        if let p = r.eventPattern { o["pattern"] = .string(p) }
        if let s = r.scheduleExpression { o["schedule"] = .string(s) }
        if let d = r.description { o["description"] = .string(d) }
        if let a = r.roleArn { o["roleArn"] = .string(a) }
        if let m = r.managedBy { o["managedBy"] = .string(m) }
        return RecordJSON.write(.object(o))
    }

    static func decode(_ r: DurableRecord) throws -> Rule {
        let o = try RecordJSON.read(r, what: "rule")
        let parts = r.id.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw RecordJSON.DecodeError(description: "EventBridge rule record \(r.id) has no bus") }
        let ref = BusRef(accountId: r.account, region: r.region, name: parts[0])
        let pattern = o.string("pattern")
        var rule = Rule(
            name: parts[1], bus: ref, eventPattern: pattern, compiled: nil, scheduleExpression: o.string("schedule"),
            state: o.string("state") ?? "ENABLED", description: o.string("description"), roleArn: o.string("roleArn"),
            managedBy: o.string("managedBy"), createdBy: o.string("createdBy") ?? r.account, tags: RecordJSON.tags(o),
            targets: o["targets"]?.listValue ?? [], created: o["created"]?.doubleValue ?? 0)
        // A pattern was valid when it was stored; one the matcher now refuses is kept as text
        // and matches nothing, rather than stopping startup.
        rule.compiled = pattern.flatMap { try? RulePattern($0) }
        return rule
    }
}

enum RecordJSON {
    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    static func write(_ v: Value) -> [UInt8] {
        var w = ByteWriter()
        JSONShapeCodec.writeGeneric(v, into: &w)
        return w.bytes
    }

    static func read(_ r: DurableRecord, what: String) throws -> Value {
        guard let o = try? JSONReader.parse(r.data), case .object = o else {
            throw DecodeError(description: "EventBridge \(what) record \(r.account)/\(r.region)/\(r.id) is not a JSON object")
        }
        guard let v = o["v"]?.intValue else { throw DecodeError(description: "EventBridge \(what) record \(r.id) has no version") }
        guard v <= 1 else {
            throw DecodeError(description: "EventBridge \(what) record \(r.id) has version \(v), newer than this Simfra understands (1)")
        }
        return o
    }

    static func tags(_ o: Value) -> [(key: String, value: String)] {
        (o["tags"]?.listValue ?? []).compactMap { pair in
            guard let l = pair.listValue, l.count == 2, let k = l[0].stringValue, let v = l[1].stringValue else { return nil }
            return (k, v)
        }
    }
}

extension EventBridgeService: StatefulService {
    public func restore() throws {
        var buses: [EventBus] = []
        var rules: [Rule] = []
        var archives: [Archive] = []
        var archived: [String: [ArchivedEvent]] = [:]
        var connections: [Connection] = []
        var destinations: [ApiDestination] = []
        for r in try records.loadAll() {
            switch r.kind {
            case BusRecord.kind: buses.append(try BusRecord.decode(r))
            case RuleRecord.kind: rules.append(try RuleRecord.decode(r))
            case ArchiveRecord.kind: archives.append(try ArchiveRecord.decode(r))
            case ConnectionRecord.kind: connections.append(try ConnectionRecord.decode(r))
            case ApiDestinationRecord.kind: destinations.append(try ApiDestinationRecord.decode(r))
            case ArchivedEventRecord.kind:
                let (archive, event) = try ArchivedEventRecord.decode(r)
                archived["\(r.account)|\(r.region)|\(archive)", default: []].append(event)
            default: continue
            }
        }
        state.withLock { s in
            for c in connections { s.connections["\(c.accountId)|\(c.region)|\(c.name)"] = c }
            for d in destinations { s.apiDestinations["\(d.accountId)|\(d.region)|\(d.name)"] = d }
            for var a in archives {
                a.events = (archived["\(a.accountId)|\(a.region)|\(a.name)"] ?? []).sorted { $0.sequence < $1.sequence }
                s.archives[a.arn] = a
            }
            for b in buses { s.buses[b.arn] = b }
            for r in rules {
                // A rule's bus exists (the default bus implicitly).
                if s.buses[r.bus.arn] == nil, r.bus.name == "default" {
                    s.buses[r.bus.arn] = EventBus(name: "default", accountId: r.bus.accountId, region: r.bus.region,
                                                  created: r.created, modified: r.created)
                }
                s.rules[r.bus.arn, default: [:]][r.name] = r
            }
        }
        // Scheduled rules resume firing after a restart.
        if rules.contains(where: { $0.scheduleExpression != nil }) { startScheduler() }
    }
}
