import Foundation
import SimfraCore
import Synchronization

/// Amazon DynamoDB: tables, indexes, items, the expression language, queries, batches and
/// transactions, with tables and every item written through to the durable store.
public final class DynamoDBService: AWSService, StatefulService, InvokingService, Sendable {
    public let serviceName = "dynamodb"
    public let implementedOperations: Set<String> = [
        "CreateTable", "DescribeTable", "DeleteTable", "ListTables", "UpdateTable",
        "TagResource", "UntagResource", "ListTagsOfResource", "DescribeLimits", "DescribeEndpoints",
        "UpdateTimeToLive", "DescribeTimeToLive", "DescribeContinuousBackups", "UpdateContinuousBackups",
        "PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan",
        "BatchGetItem", "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
        "DescribeKinesisStreamingDestination", "GetResourcePolicy", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
    ]

    struct State: Sendable {
        var tables: [String: Table] = [:]
        /// TransactWriteItems ClientRequestToken → (time, input).
        var tokens: [String: (Double, Value)] = [:]
        /// Stream ARN → stream records (transient).
        var streams: [String: StreamLog] = [:]
        var streamSeq = 0
    }

    let records: any DurableRecords
    let clock: any SimfraClock
    let state = Mutex(State())
    /// KMS, for tables encrypted with a KMS key (connected by the server).
    public let invoker = InvokerLink()
    /// Callers whose access to a table's KMS key was checked recently (memory only).
    let kmsChecks = TableKeyChecks()
    /// Seconds a successful key check stands (AWS caches for minutes; short here so a
    /// disabled key shows at once).
    let kmsCheckInterval: Double = 1
    /// Where AWS/DynamoDB metrics go (CloudWatch, connected by the server), and their sums.
    public let metrics = MetricLink()
    let metricSums = MetricAccumulator(namespace: "AWS/DynamoDB")

    public init(records: any DurableRecords, clock: any SimfraClock, ttlSweepInterval: Double = 2) {
        self.records = records
        self.clock = clock
        registerMetricsFlush()
        guard ttlSweepInterval > 0 else { return }
        // TTL: expired items are deleted in the background (AWS does it within days; we sweep
        // every couple of seconds so tests can observe it). The task ends with the service.
        Task.detached { [weak self] in
            while true {
                try? await Task.sleep(nanoseconds: UInt64(ttlSweepInterval * 1_000_000_000))
                guard let self else { return }
                try? await self.expireItems(now: self.clock.now()).wait()
            }
        }
    }

    /// Deletes every item whose TTL attribute (a Number of epoch seconds) lies before `now`
    /// in tables with TTL enabled; emits REMOVE stream records with the TTL service identity.
    /// Returns the commit of the deletions.
    @discardableResult
    func expireItems(now: Double) -> Commit {
        state.withLock { s in
            var writes: [DurableWrite] = []
            for tkey in s.tables.keys.sorted() {
                // Collected in a closure so no copy of the table outlives the reading.
                let found: (String, String, String, [(KeyPart, [KeyPart])])? = {
                    guard let t = s.tables[tkey], t.ttlEnabled, let attr = t.ttlAttr else { return nil }
                    var expired: [(KeyPart, [KeyPart])] = []
                    let cutoff = DDBNumber.parse(String(Int64(now.rounded(.down))))!
                    for (pk, entries) in t.store.partitions {
                        for e in entries {
                            if case .n(let n)? = e.item[attr], n < cutoff { expired.append((pk, e.sort)) }
                        }
                    }
                    return expired.isEmpty ? nil : (t.name, t.account, t.region, expired)
                }()
                guard let (name, account, region, expired) = found else { continue }
                for k in expired {
                    guard let old = s.tables[tkey]!.delete(k) else { continue }
                    Self.emit(&s, tkey, old: old, new: nil, now: now, byTTL: true)
                    var w = BinaryWriter()
                    w.av(k.0.av)
                    for x in k.1 { w.av(x.av) }
                    writes.append(.delete(kind: "item", account: account, region: region, id: name + "\u{1F}" + Base64.encode(w.bytes)))
                }
            }
            return self.persist(writes)
        }
    }

    static func tableKey(_ account: String, _ region: String, _ name: String) -> String {
        "\(account)/\(region)/\(name)"
    }

    static func tableName(_ v: Value?) -> String {
        let n = v?.stringValue ?? ""
        if n.hasPrefix("arn:"), let r = n.range(of: ":table/") {
            return String(n[r.upperBound...].split(separator: "/").first ?? "")
        }
        return n
    }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        var input = input
        // The grant a table held on its key before this call (given up when the table goes
        // or moves to another key).
        var previousGrant: (key: String?, grant: String?, table: String)?
        switch operation {
        case "CreateTable": input = try await resolveSSE(input, context)
        case "UpdateTable", "DeleteTable":
            if operation == "UpdateTable" { input = try await resolveSSE(input, context) }
            previousGrant = state.withLock { s in
                s.tables[Self.tableKey(context.accountId, context.region, Self.tableName(input["TableName"]))]
                    .map { ($0.kmsKeyArn, $0.kmsGrantId, $0.arn) }
            }
        case "DescribeTable": await probeTableKey(input, context)
        default: try await checkTableKeys(operation, input, context)
        }
        let (output, commits) = try measured(operation, input, context) { try dispatch(operation, $0, context) }
        for c in commits { try await c.wait() }
        if let p = previousGrant, p.grant != nil {
            let kept = state.withLock { s in
                s.tables[Self.tableKey(context.accountId, context.region, Self.tableName(input["TableName"]))]?.kmsGrantId
            }
            if kept != p.grant { await retireGrant(keyArn: p.key, grantId: p.grant, tableArn: p.table, context) }
        }
        return output
    }

    /// Runs an operation; returns its output and the commits to await before answering.
    func dispatch(_ op: String, _ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        switch op {
        case "CreateTable": return try createTable(input, ctx)
        case "DescribeTable": return (try describeTable(input, ctx), [])
        case "DeleteTable": return try deleteTable(input, ctx)
        case "ListTables": return (listTables(input, ctx), [])
        case "UpdateTable": return try updateTable(input, ctx)
        case "TagResource", "UntagResource": return try tagResource(op, input, ctx)
        case "ListTagsOfResource": return (try listTags(input, ctx), [])
        case "DescribeLimits":
            return ([
                "AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
                "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000,
            ], [])
        case "DescribeEndpoints":
            return (["Endpoints": [["Address": .string("dynamodb.\(ctx.region).amazonaws.com"), "CachePeriodInMinutes": 1440]]], [])
        case "UpdateTimeToLive", "DescribeTimeToLive", "UpdateContinuousBackups", "DescribeContinuousBackups":
            return try tableSettings(op, input, ctx)
        case "PutItem", "UpdateItem", "DeleteItem": return try writeItem(op, input, ctx)
        case "GetItem": return (try getItem(input, ctx), [])
        case "Query": return (try query(input, ctx), [])
        case "Scan": return (try scan(input, ctx), [])
        case "BatchGetItem": return (try batchGet(input, ctx), [])
        case "BatchWriteItem": return try batchWrite(input, ctx)
        case "TransactWriteItems": return try transactWrite(input, ctx)
        case "TransactGetItems": return (try transactGet(input, ctx), [])
        case "ExecuteStatement": return try executeStatement(input, ctx)
        case "BatchExecuteStatement": return try batchExecuteStatement(input, ctx)
        case "ExecuteTransaction": return try executeTransaction(input, ctx)
        case "DescribeKinesisStreamingDestination":
            return (try withTable(input, ctx) { t in
                ["TableName": .string(t.name), "KinesisDataStreamDestinations": []]
            }, [])
        case "GetResourcePolicy":
            let arn = input["ResourceArn"]?.stringValue ?? ""
            _ = try state.withLock { s in try tableForArn(s, arn, ctx) }
            throw AWSError(code: "PolicyNotFoundException", message: "Resource-based policy not found for the provided ResourceArn: \(arn)")
        default: throw AWSError.notImplemented(service: serviceName, operation: op)
        }
    }

    // MARK: persistence

    func saveTable(_ t: Table) -> Commit {
        var w = BinaryWriter()
        w.value(t.meta())
        return records.put(kind: "table", account: t.account, region: t.region, id: t.name, data: w.bytes)
    }

    static func itemId(_ t: Table, _ key: (KeyPart, [KeyPart])) -> String {
        var w = BinaryWriter()
        w.av(key.0.av)
        for k in key.1 { w.av(k.av) }
        return t.name + "\u{1F}" + Base64.encode(w.bytes)
    }

    func itemWrite(_ t: Table, _ key: (KeyPart, [KeyPart]), _ item: Item?) -> DurableWrite {
        let id = Self.itemId(t, key)
        guard let item else { return .delete(kind: "item", account: t.account, region: t.region, id: id) }
        var w = BinaryWriter()
        w.item(item)
        return .put(kind: "item", account: t.account, region: t.region, id: id, data: w.bytes)
    }

    func persist(_ writes: [DurableWrite]) -> Commit {
        guard records.isPersistent, !writes.isEmpty else { return .done }
        if writes.count == 1 {
            switch writes[0] {
            case .put(let k, let a, let r, let i, let d): return records.put(kind: k, account: a, region: r, id: i, data: d)
            case .delete(let k, let a, let r, let i): return records.delete(kind: k, account: a, region: r, id: i)
            }
        }
        return records.apply(writes)
    }

    public func restore() throws {
        let all = try records.loadAll()
        var tables: [String: Table] = [:]
        for r in all where r.kind == "table" {
            var reader = BinaryReader(r.data)
            var t = Table(meta: try reader.value())
            t.beginBulkLoad()
            tables[Self.tableKey(r.account, r.region, t.name)] = t
        }
        for r in all where r.kind == "item" {
            guard let sep = r.id.firstIndex(of: "\u{1F}") else { continue }
            let key = Self.tableKey(r.account, r.region, String(r.id[..<sep]))
            guard tables[key] != nil else { continue }
            var reader = BinaryReader(r.data)
            let item = try reader.item()
            tables[key]!.put(item)
        }
        for k in tables.keys { tables[k]!.finishBulkLoad() }
        state.withLock { $0.tables = tables }
    }

    // MARK: helpers

    static func notFoundTable(_ name: String) -> AWSError {
        DDBError.notFound("Requested resource not found: Table: \(name) not found")
    }

    func consumed(_ input: Value, _ table: String, _ units: Double) -> Value? {
        guard let r = input["ReturnConsumedCapacity"]?.stringValue, r != "NONE" else { return nil }
        var v: Value = ["TableName": .string(table), "CapacityUnits": .double(units)]
        if r == "INDEXES" { v["Table"] = ["CapacityUnits": .double(units)] }
        return v
    }
}
