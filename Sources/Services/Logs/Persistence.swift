import Foundation
import SimfraCore

/// Durable records of CloudWatch Logs. Ids join names with `:`, which no group, stream or
/// filter name may contain.
///
/// - `group` (id = name): the group's settings as JSON.
/// - `stream` (id = `group:stream`): the stream's metadata.
/// - `batch` (id = `group:stream:<12-digit batch number>`): the events one PutLogEvents call
///   accepted, `{"e":[[timestamp, ingestionTime, sequence, "message"], …]}`. One record per
///   call (written atomically with the stream's metadata) keeps a 10,000-event batch one row.
/// - `metricFilter`, `subscriptionFilter` (id = `group:filter`), `policy`, `destination` (id = name),
///   `exportTask` (id = task id).
enum LogsRecord {
    static let group = "group", stream = "stream", batch = "batch", metricFilter = "metricFilter"
    static let subscriptionFilter = "subscriptionFilter", policy = "policy", destination = "destination"
    static let exportTask = "exportTask"

    struct Batch: Codable {
        var e: [Row]
    }

    /// One event as a JSON array, compact and order-preserving.
    struct Row: Codable {
        var timestamp: Int64
        var ingestionTime: Int64
        var sequence: Int64
        var message: String

        init(_ e: LogEvent) {
            timestamp = e.timestamp
            ingestionTime = e.ingestionTime
            sequence = e.sequence
            message = e.message
        }

        init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            timestamp = try c.decode(Int64.self)
            ingestionTime = try c.decode(Int64.self)
            sequence = try c.decode(Int64.self)
            message = try c.decode(String.self)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(timestamp)
            try c.encode(ingestionTime)
            try c.encode(sequence)
            try c.encode(message)
        }
    }

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    /// A batch record written by hand: JSONEncoder took a fifth of PutLogEvents' CPU for a
    /// 100-event batch. Same document (`{"e":[[t,i,s,"message"],…]}`), read back by `decode`.
    static func encodeBatch(_ events: [LogEvent]) -> [UInt8] {
        var out = "{\"e\":["
        out.reserveCapacity(events.reduce(16) { $0 + $1.message.utf8.count + 48 })
        for (i, e) in events.enumerated() {
            out += i == 0 ? "[" : ",["
            out += "\(e.timestamp),\(e.ingestionTime),\(e.sequence),"
            JSONText.append(e.message, to: &out)
            out += "]"
        }
        out += "]}"
        return Array(out.utf8)
    }

    static func encode<T: Encodable>(_ v: T) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return Array((try? e.encode(v)) ?? Data())
    }

    static func decode<T: Decodable>(_ t: T.Type, _ r: DurableRecord) throws -> T {
        do {
            return try JSONDecoder().decode(t, from: Data(r.data))
        } catch {
            throw DecodeError(description: "CloudWatch Logs record \(r.kind) \(r.account)/\(r.region)/\(r.id) is unreadable: \(error)")
        }
    }

    static func batchId(_ group: String, _ stream: String, _ n: Int) -> String {
        let digits = String(n)
        return "\(group):\(stream):" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }
}

extension LogsService {
    func put(_ kind: String, _ g: LogGroup, id: String, _ data: [UInt8]) -> DurableWrite {
        .put(kind: kind, account: g.account, region: g.region, id: id, data: data)
    }

    func del(_ kind: String, _ g: LogGroup, id: String) -> DurableWrite {
        .delete(kind: kind, account: g.account, region: g.region, id: id)
    }

    func groupWrite(_ g: LogGroup) -> DurableWrite { put(LogsRecord.group, g, id: g.name, LogsRecord.encode(g)) }

    func streamWrite(_ g: LogGroup, _ s: LogStream) -> DurableWrite {
        put(LogsRecord.stream, g, id: "\(g.name):\(s.name)", LogsRecord.encode(s))
    }

    /// Every record of a group: settings, streams, batches, filters (DeleteLogGroup, removeAccount).
    func deleteWrites(_ gs: GroupState) -> [DurableWrite] {
        let g = gs.group
        var w = [del(LogsRecord.group, g, id: g.name)]
        for (name, _) in gs.streams {
            w.append(del(LogsRecord.stream, g, id: "\(g.name):\(name)"))
            for b in (gs.batchCounts[name] ?? [:]).keys { w.append(del(LogsRecord.batch, g, id: LogsRecord.batchId(g.name, name, b))) }
        }
        for f in gs.metricFilters.keys { w.append(del(LogsRecord.metricFilter, g, id: "\(g.name):\(f)")) }
        for f in gs.subscriptionFilters.keys { w.append(del(LogsRecord.subscriptionFilter, g, id: "\(g.name):\(f)")) }
        return w
    }

    public func restore() throws {
        let all = try records.loadAll()
        var st = LogsState()
        // Groups first: every other record hangs off one.
        for r in all where r.kind == LogsRecord.group {
            let g = try LogsRecord.decode(LogGroup.self, r)
            st.groups[RegionKey(account: r.account, region: r.region), default: [:]][g.name] = GroupState(group: g)
        }
        func split(_ id: String, _ n: Int) -> [String] { id.split(separator: ":", maxSplits: n - 1).map(String.init) }
        for r in all {
            let key = RegionKey(account: r.account, region: r.region)
            switch r.kind {
            case LogsRecord.stream:
                let p = split(r.id, 2)
                let s = try LogsRecord.decode(LogStream.self, r)
                st.groups[key]?[p[0]]?.streams[s.name] = s
            case LogsRecord.batch:
                let p = split(r.id, 3)
                guard p.count == 3, let n = Int(p[2]) else { continue }
                let b = try LogsRecord.decode(LogsRecord.Batch.self, r)
                guard var gs = st.groups[key]?[p[0]] else { continue }
                let events = b.e.map { LogEvent(timestamp: $0.timestamp, ingestionTime: $0.ingestionTime, message: $0.message,
                                                batch: n, sequence: $0.sequence) }
                gs.events[p[1], default: []].append(contentsOf: events)
                gs.batchCounts[p[1], default: [:]][n] = events.count
                gs.nextSequence = max(gs.nextSequence, (events.map(\.sequence).max() ?? -1) + 1)
                st.groups[key]?[p[0]] = gs
            case LogsRecord.metricFilter:
                let f = try LogsRecord.decode(MetricFilter.self, r)
                st.groups[key]?[f.logGroupName]?.metricFilters[f.name] = f
            case LogsRecord.subscriptionFilter:
                let f = try LogsRecord.decode(SubscriptionFilter.self, r)
                st.groups[key]?[f.logGroupName]?.subscriptionFilters[f.name] = f
            case LogsRecord.policy:
                let p = try LogsRecord.decode(LogsResourcePolicy.self, r)
                st.policies[key, default: [:]][p.name] = p
            case LogsRecord.destination:
                let d = try LogsRecord.decode(LogsDestination.self, r)
                st.destinations[key, default: [:]][d.name] = d
            case LogsRecord.exportTask:
                let t = try LogsRecord.decode(ExportTask.self, r)
                st.exportTasks[key, default: [:]][t.id] = t
            default: break
            }
        }
        for (key, groups) in st.groups {
            for name in groups.keys {
                for s in st.groups[key]?[name]?.events.keys.map({ $0 }) ?? [] {
                    st.groups[key]?[name]?.events[s]?.sort { ($0.timestamp, $0.sequence) < ($1.timestamp, $1.sequence) }
                }
            }
        }
        state.withLock { $0 = st }
    }
}

extension LogsService: AccountScopedService {
    /// Drops every group (with streams, events, filters), policy and destination of the account.
    public func removeAccount(_ accountId: String) async throws {
        let commit = state.withLock { st -> Commit in
            var writes: [DurableWrite] = []
            for key in st.groups.keys where key.account == accountId {
                for gs in (st.groups[key] ?? [:]).values { writes += deleteWrites(gs) }
                st.groups[key] = nil
            }
            for key in st.policies.keys where key.account == accountId {
                for n in (st.policies[key] ?? [:]).keys {
                    writes.append(.delete(kind: LogsRecord.policy, account: key.account, region: key.region, id: n))
                }
                st.policies[key] = nil
            }
            for key in st.destinations.keys where key.account == accountId {
                for n in (st.destinations[key] ?? [:]).keys {
                    writes.append(.delete(kind: LogsRecord.destination, account: key.account, region: key.region, id: n))
                }
                st.destinations[key] = nil
            }
            for key in st.exportTasks.keys where key.account == accountId {
                for n in (st.exportTasks[key] ?? [:]).keys {
                    writes.append(.delete(kind: LogsRecord.exportTask, account: key.account, region: key.region, id: n))
                }
                st.exportTasks[key] = nil
            }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        try await commit.wait()
        pendingFailures.withLock { $0.removeAll { f in f.account == accountId } }
        queries.withLock { all in all = all.filter { $0.value.account != accountId } }
    }
}
