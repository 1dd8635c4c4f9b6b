import Foundation
import SimfraCore
import Synchronization

/// Amazon DynamoDB: tables, indexes, items, the expression language, queries, batches and
/// transactions, with tables and every item written through to the durable store.
public final class DynamoDBService: AWSService, StatefulService, Sendable {
    public let serviceName = "dynamodb"
    public let implementedOperations: Set<String> = [
        "CreateTable", "DescribeTable", "DeleteTable", "ListTables", "UpdateTable",
        "TagResource", "UntagResource", "ListTagsOfResource", "DescribeLimits", "DescribeEndpoints",
        "UpdateTimeToLive", "DescribeTimeToLive", "DescribeContinuousBackups", "UpdateContinuousBackups",
        "PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan",
        "BatchGetItem", "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
    ]

    struct State: Sendable {
        var tables: [String: Table] = [:]
        /// TransactWriteItems ClientRequestToken → (time, input).
        var tokens: [String: (Double, Value)] = [:]
    }

    let records: any DurableRecords
    let clock: any SimfraClock
    let state = Mutex(State())

    public init(records: any DurableRecords, clock: any SimfraClock) {
        self.records = records
        self.clock = clock
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
        let (output, commits) = try dispatch(operation, input, context)
        for c in commits { try await c.wait() }
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
            let t = Table(meta: try reader.value())
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
