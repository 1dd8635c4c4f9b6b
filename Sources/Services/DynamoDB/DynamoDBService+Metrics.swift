import SimfraCore

/// AWS/DynamoDB metrics, summed per minute (per flush) and published as statistic sets:
/// - `ConsumedReadCapacityUnits` / `ConsumedWriteCapacityUnits` (Count; `TableName`, and
///   `TableName`+`GlobalSecondaryIndexName` for reads through a global secondary index): the
///   units the service accounts for the request (what `ReturnConsumedCapacity` reports);
/// - `SuccessfulRequestLatency` (Milliseconds; `TableName`, `Operation`): time in the
///   handler, its SampleCount the number of successful requests;
/// - `ReturnedItemCount` (Count; `TableName`, `Operation`) for Query, Scan and ExecuteStatement;
/// - `ConditionalCheckFailedRequests` (Count; `TableName`) and `UserErrors` (Count, no
///   dimension; HTTP 400s other than failed conditions, as AWS separates them).
/// `ThrottledRequests` is never published: nothing here throttles, and AWS publishes it only
/// when a request was throttled.
///
/// Nothing is measured while no CloudWatch is connected.
extension DynamoDBService: MetricPublishingService {
    static let measuredOperations: Set<String> = [
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
        "TransactWriteItems", "TransactGetItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
    ]
    static let readOperations: Set<String> = ["GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"]

    func registerMetricsFlush() {
        metricSums.flushes(on: metrics, now: { [clock] in clock.now() })
    }

    /// Runs one operation, measuring it when metrics are wanted. Capacity is read from the
    /// operation's own `ConsumedCapacity` answer, asked for on the caller's behalf and taken
    /// out again when the caller did not ask, so the metrics and the API agree.
    func measured(_ op: String, _ input: Value, _ ctx: RequestContext,
                  _ run: (Value) throws -> (Value, [Commit])) throws -> (Value, [Commit])
    {
        guard metrics.isConnected, Self.measuredOperations.contains(op) else { return try run(input) }
        let asked = input["ReturnConsumedCapacity"]?.stringValue.map { $0 != "NONE" } ?? false
        var effective = input
        if !asked { effective["ReturnConsumedCapacity"] = "TOTAL" }
        let started = ContinuousClock.now
        let result: (Value, [Commit])
        do {
            result = try run(effective)
        } catch let e as AWSError {
            noteFailure(e, op, input, ctx)
            throw e
        }
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var out = result.0
        let consumed = out["ConsumedCapacity"]
        if !asked { out["ConsumedCapacity"] = nil }
        let gsi = globalIndexName(op, input, ctx)
        let count: Int? = switch op {
        case "Query", "Scan": out["Count"]?.intValue.map { Int($0) }
        case "ExecuteStatement": out["Items"]?.listValue?.count
        default: nil
        }
        let isRead = Self.readOperations.contains(op) || (op.hasSuffix("Statement") || op == "ExecuteTransaction")
            && Self.isSelectOnly(op, input)
        let capacityName = isRead ? "ConsumedReadCapacityUnits" : "ConsumedWriteCapacityUnits"
        let units = Self.capacity(consumed)
        let tables = units.isEmpty ? Self.tableNames(op, input) : units.map(\.table)
        metricSums.record(account: ctx.accountId, region: ctx.region) { add in
            for t in Set(tables) {
                add("SuccessfulRequestLatency", .init("TableName", t, "Operation", op), ms, "Milliseconds")
                if let count { add("ReturnedItemCount", .init("TableName", t, "Operation", op), Double(count), "Count") }
            }
            for u in units {
                add(capacityName, .init("TableName", u.table), u.units, "Count")
                if let gsi { add(capacityName, .init("TableName", u.table, "GlobalSecondaryIndexName", gsi), u.units, "Count") }
            }
        }
        return (out, result.1)
    }

    func noteFailure(_ e: AWSError, _ op: String, _ input: Value, _ ctx: RequestContext) {
        guard e.status == 400 else { return }
        if e.code == "ConditionalCheckFailedException" {
            for t in Set(Self.tableNames(op, input)) {
                metricSums.add(account: ctx.accountId, region: ctx.region, "ConditionalCheckFailedRequests",
                               .init("TableName", t), 1, unit: "Count")
            }
        } else {
            metricSums.add(account: ctx.accountId, region: ctx.region, "UserErrors", .none, 1, unit: "Count")
        }
    }

    /// (table, units) from a `ConsumedCapacity` answer (one, or a list for batches).
    static func capacity(_ v: Value?) -> [(table: String, units: Double)] {
        let list = v?.listValue ?? (v.map { [$0] } ?? [])
        return list.compactMap { c in
            guard let t = c["TableName"]?.stringValue, let u = c["CapacityUnits"]?.doubleValue else { return nil }
            return (t, u)
        }
    }

    /// The tables a request names (for latency without a capacity answer, and failures).
    static func tableNames(_ op: String, _ input: Value) -> [String] {
        switch op {
        case "BatchGetItem", "BatchWriteItem":
            return (input["RequestItems"]?.objectValue ?? [:]).keys.map { tableName(.string($0)) }
        case "TransactWriteItems", "TransactGetItems":
            return (input["TransactItems"]?.listValue ?? []).compactMap { item in
                ["Put", "Update", "Delete", "ConditionCheck", "Get"].lazy.compactMap { item[$0]?["TableName"] }.first
                    .map { tableName($0) }
            }
        default:
            return input["TableName"].map { [tableName($0)] } ?? []
        }
    }

    /// PartiQL reads are the statements that only SELECT.
    static func isSelectOnly(_ op: String, _ input: Value) -> Bool {
        let statements: [String] = op == "ExecuteStatement"
            ? [input["Statement"]?.stringValue ?? ""]
            : ((op == "BatchExecuteStatement" ? input["Statements"] : input["TransactStatements"])?.listValue ?? [])
            .map { $0["Statement"]?.stringValue ?? "" }
        return !statements.isEmpty && statements.allSatisfy {
            $0.drop { $0.isWhitespace }.prefix(6).uppercased() == "SELECT"
        }
    }

    /// The global secondary index a Query or Scan read through, if any (local indexes draw
    /// on the table's capacity only).
    func globalIndexName(_ op: String, _ input: Value, _ ctx: RequestContext) -> String? {
        guard op == "Query" || op == "Scan", let name = input["IndexName"]?.stringValue else { return nil }
        let key = Self.tableKey(ctx.accountId, ctx.region, Self.tableName(input["TableName"]))
        return state.withLock { s in
            guard let t = s.tables[key], let i = t.index(name), t.indexes[i].global else { return nil }
            return name
        }
    }
}
