import Foundation
import SimfraCore

/// Archives (events kept as they arrive, durably) and replays (archived events of a time
/// range sent again to the bus's rules).
extension EventBridgeService {
    func createArchive(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("ArchiveName") ?? ""
        try EventsError.checkName(name, member: "archiveName")
        guard let source = BusRef.resolve(input.string("EventSourceArn"), context), source.accountId == context.accountId
        else { throw EventsError.validation("Parameter EventSourceArn is not valid. Reason: Provided Arn is not in correct format.") }
        let pattern = input.string("EventPattern")
        let compiled = try pattern.map { (p: String) throws(AWSError) in try RulePattern(p) }
        let now = clock.now()
        let archive = Archive(
            name: name, accountId: context.accountId, region: context.region, source: source,
            description: input.string("Description"), eventPattern: pattern, compiled: compiled,
            retentionDays: input.int("RetentionDays") ?? 0, kmsKeyIdentifier: input.string("KmsKeyIdentifier"),
            created: now)
        try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
            guard s.bus(source, now: now) != nil else { throw EventsError.busNotFound(source.name) }
            if s.archives[archive.arn] != nil { throw EventsError.alreadyExists("Archive \(name) already exists.") }
            s.archives[archive.arn] = archive
            return ((), [.put(kind: ArchiveRecord.kind, account: archive.accountId, region: archive.region, id: name,
                              data: ArchiveRecord.encode(archive))])
        }
        return ["ArchiveArn": .string(archive.arn), "State": "ENABLED", "CreationTime": .timestamp(now)]
    }

    func archiveArn(_ name: String, _ context: RequestContext) -> String {
        "arn:aws:events:\(context.region):\(context.accountId):archive/\(name)"
    }

    func describeArchive(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("ArchiveName") ?? ""
        guard let a = state.withLock({ $0.archives[archiveArn(name, context)] }) else {
            throw EventsError.notFound("Archive \(name) does not exist.")
        }
        var o = a.summary()
        o["ArchiveArn"] = .string(a.arn)
        if let d = a.description { o["Description"] = .string(d) }
        if let p = a.eventPattern { o["EventPattern"] = .string(p) }
        if let k = a.kmsKeyIdentifier { o["KmsKeyIdentifier"] = .string(k) }
        return .object(o)
    }

    func updateArchive(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("ArchiveName") ?? ""
        let pattern = input.string("EventPattern")
        if pattern == nil, input["RetentionDays"] == nil, input["Description"] == nil {
            throw EventsError.validation("At least one of EventPattern, RetentionDays or Description must be provided.")
        }
        let compiled = try pattern.map { (p: String) throws(AWSError) in try RulePattern(p) }
        let arn = archiveArn(name, context)
        let created = try await mutate { (s: inout EventsState) throws(AWSError) -> (Double, [DurableWrite]) in
            guard var a = s.archives[arn] else { throw EventsError.notFound("Archive \(name) does not exist.") }
            if let pattern { a.eventPattern = pattern; a.compiled = compiled }
            if let d = input.string("Description") { a.description = d }
            if let r = input.int("RetentionDays") { a.retentionDays = r }
            if let k = input.string("KmsKeyIdentifier") { a.kmsKeyIdentifier = k.isEmpty ? nil : k }
            s.archives[arn] = a
            return (a.created, [.put(kind: ArchiveRecord.kind, account: a.accountId, region: a.region, id: name,
                                     data: ArchiveRecord.encode(a))])
        }
        return ["ArchiveArn": .string(arn), "State": "ENABLED", "CreationTime": .timestamp(created)]
    }

    func deleteArchive(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("ArchiveName") ?? ""
        let arn = archiveArn(name, context)
        try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
            guard let a = s.archives.removeValue(forKey: arn) else {
                throw EventsError.notFound("Archive \(name) does not exist.")
            }
            return ((), a.deletes())
        }
        return .empty
    }

    func listArchives(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let prefix = input.string("NamePrefix") ?? ""
        let source = input.string("EventSourceArn")
        let wantState = input.string("State")
        let now = clock.now()
        let all = try state.withLock { (s: inout EventsState) throws(AWSError) -> [Archive] in
            if let source {
                guard let ref = BusRef.resolve(source, context), s.bus(ref, now: now) != nil else {
                    throw EventsError.busNotFound(BusRef.resolve(source, context)?.name ?? source)
                }
            }
            return s.archives.values.filter {
                $0.accountId == context.accountId && $0.region == context.region && $0.name.hasPrefix(prefix)
                    && (source == nil || $0.source.arn == source) && (wantState == nil || wantState == "ENABLED")
            }
        }.sorted { $0.name < $1.name }
        let (page, next) = Self.page(all, key: \.name, input)
        var out: [String: Value] = ["Archives": .list(page.map { .object($0.summary()) })]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    /// Adds accepted events to every archive of their bus that takes them (and drops what
    /// retention has expired), durably, before PutEvents answers. Replayed events are not
    /// archived again.
    func archive(_ events: [(BusRef, DeliveredEvent)], now: Double) async throws {
        let hasArchives = state.withLock { !$0.archives.isEmpty }
        guard hasArchives else { return }
        try await mutate { (s: inout EventsState) -> ((), [DurableWrite]) in
            var writes: [DurableWrite] = []
            for (arn, var a) in s.archives {
                var changed = false
                for old in a.expired(now: now) {
                    writes.append(.delete(kind: ArchivedEventRecord.kind, account: a.accountId, region: a.region,
                                          id: old.recordId(a.name)))
                    changed = true
                }
                if changed { a.events.removeAll { e in now - e.ingested > Double(a.retentionDays) * 86_400 } }
                for (ref, event) in events where ref == a.source && event.replayName == nil && a.accepts(event) {
                    a.sequence += 1
                    let archived = ArchivedEvent(sequence: a.sequence, ingested: now, event: event)
                    a.events.append(archived)
                    writes.append(.put(kind: ArchivedEventRecord.kind, account: a.accountId, region: a.region,
                                       id: archived.recordId(a.name), data: ArchivedEventRecord.encode(archived)))
                    changed = true
                }
                if changed {
                    s.archives[arn] = a
                    writes.append(.put(kind: ArchiveRecord.kind, account: a.accountId, region: a.region, id: a.name,
                                       data: ArchiveRecord.encode(a)))
                }
            }
            return ((), writes)
        }
    }

    // MARK: Replays

    func startReplay(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("ReplayName") ?? ""
        try EventsError.checkName(name, member: "replayName")
        let archiveArn = input.string("EventSourceArn") ?? ""
        guard case .timestamp(let start)? = input["EventStartTime"], case .timestamp(let end)? = input["EventEndTime"] else {
            throw EventsError.validation("Parameter EventStartTime is not valid.")
        }
        let destination = input["Destination"]?.string("Arn") ?? ""
        let filters = input["Destination"]?.stringList("FilterArns")
        let now = clock.now()
        let replay = Replay(
            name: name, accountId: context.accountId, region: context.region, description: input.string("Description"),
            archiveArn: archiveArn, start: start, end: end, destination: destination, filterArns: filters,
            state: "STARTING", started: now)
        let events = try state.withLock { (s: inout EventsState) throws(AWSError) -> [ArchivedEvent] in
            guard let archive = s.archives[archiveArn] else {
                let archiveName = archiveArn.split(separator: "/").last.map(String.init) ?? archiveArn
                throw EventsError.validation("Parameter EventSourceArn is not valid. Reason: Archive \(archiveName) does not exist.")
            }
            guard let dest = BusRef.resolve(destination, context), s.bus(dest, now: now) != nil else {
                throw EventsError.busNotFound(BusRef.resolve(destination, context)?.name ?? destination)
            }
            if dest != archive.source {
                throw EventsError.validation("Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
            }
            if start >= end {
                throw EventsError.validation("Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
            }
            if s.replays[replay.arn] != nil { throw EventsError.alreadyExists("Replay \(name) already exists.") }
            s.replays[replay.arn] = replay
            return archive.events.filter { $0.ingested >= start && $0.ingested < end }
        }
        Task { await self.runReplay(replay, events: events) }
        return ["ReplayArn": .string(replay.arn), "State": "STARTING", "ReplayStartTime": .timestamp(now)]
    }

    /// Sends the events again, in arrival order, unless the replay is cancelled meanwhile.
    func runReplay(_ replay: Replay, events: [ArchivedEvent]) async {
        let ref = BusRef.resolve(replay.destination, RequestContext(
            requestId: "", accountId: replay.accountId, region: replay.region, principalArn: "", userId: "",
            accessKeyId: "", service: "events", operation: "", endpoint: "", host: ""))!
        let context = RequestContext(
            requestId: replay.name, accountId: replay.accountId, region: replay.region,
            principalArn: "events.amazonaws.com", userId: "", accessKeyId: "", service: "events",
            operation: "StartReplay", endpoint: "", host: "")
        setReplay(replay.arn) { $0.state = "RUNNING" }
        for archived in events {
            if state.withLock({ $0.replays[replay.arn]?.state }) == "CANCELLING" { break }
            var event = archived.event
            event.replayName = replay.name
            await route([(ref, event)], context: context, only: replay.filterArns.map(Set.init))
            let t = archived.ingested
            setReplay(replay.arn) { $0.lastReplayed = t }
        }
        let now = clock.now()
        setReplay(replay.arn) {
            $0.state = $0.state == "CANCELLING" ? "CANCELLED" : "COMPLETED"
            $0.ended = now
        }
    }

    private func setReplay(_ arn: String, _ body: (inout Replay) -> Void) {
        state.withLock { s in
            guard var r = s.replays[arn] else { return }
            body(&r)
            s.replays[arn] = r
        }
    }

    func describeReplay(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("ReplayName") ?? ""
        let arn = "arn:aws:events:\(context.region):\(context.accountId):replay/\(name)"
        guard let r = state.withLock({ $0.replays[arn] }) else { throw EventsError.notFound("Replay \(name) does not exist.") }
        return r.summary(describe: true)
    }

    func listReplays(_ input: Value, _ context: RequestContext) -> Value {
        let prefix = input.string("NamePrefix") ?? ""
        let source = input.string("EventSourceArn")
        let wantState = input.string("State")
        let all = state.withLock { s in
            s.replays.values.filter {
                $0.accountId == context.accountId && $0.region == context.region && $0.name.hasPrefix(prefix)
                    && (source == nil || $0.archiveArn == source) && (wantState == nil || $0.state == wantState)
            }
        }.sorted { $0.name < $1.name }
        let (page, next) = Self.page(all, key: \.name, input)
        var out: [String: Value] = ["Replays": .list(page.map { $0.summary(describe: false) })]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    func cancelReplay(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("ReplayName") ?? ""
        let arn = "arn:aws:events:\(context.region):\(context.accountId):replay/\(name)"
        try state.withLock { (s: inout EventsState) throws(AWSError) in
            guard var r = s.replays[arn] else { throw EventsError.notFound("Replay \(name) does not exist.") }
            guard r.state == "STARTING" || r.state == "RUNNING" else {
                throw AWSError(code: "IllegalStatusException", message: "Replay \(name) is not in a valid state for this operation.")
            }
            r.state = "CANCELLING"
            s.replays[arn] = r
        }
        return ["ReplayArn": .string(arn), "State": "CANCELLING"]
    }
}
