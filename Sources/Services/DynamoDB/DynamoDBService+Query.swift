import SimfraCore

let pageLimitBytes = 1024 * 1024

/// Accumulates one Query or Scan page under DynamoDB's rules: Limit counts evaluated items,
/// and a page stops once 1 MB of evaluated items was read.
struct PageBuilder {
    var limit: Int?
    var filter: Condition?
    var projection: [DocPath]?
    var countOnly: Bool
    var items: [Value] = []
    var count = 0
    var scanned = 0
    var bytes = 0
    var lastKey: Item?

    /// Adds one evaluated item; returns false when the page is full.
    mutating func add(_ item: Item, returned: Item, key: Item) throws -> Bool {
        scanned += 1
        bytes += ItemCodec.size(item)
        if try filter.map({ try Evaluator.evaluate($0, item) }) ?? true {
            count += 1
            if !countOnly { items.append(ItemCodec.value(projection.map { Evaluator.project(returned, $0) } ?? returned)) }
        }
        if let limit, scanned >= limit { lastKey = key; return false }
        if bytes >= pageLimitBytes { lastKey = key; return false }
        return true
    }

    func output(_ consumed: Value?) -> Value {
        var out: Value = ["Count": .integer(Int64(count)), "ScannedCount": .integer(Int64(scanned))]
        if !countOnly { out["Items"] = .list(items) }
        if let lastKey { out["LastEvaluatedKey"] = ItemCodec.value(lastKey) }
        if let consumed { out["ConsumedCapacity"] = consumed }
        return out
    }
}

extension DynamoDBService {
    /// Resolves IndexName, Select and projection rules shared by Query and Scan.
    func readSetup(_ input: Value, _ t: Table, _ scope: ExpressionScope) throws -> (IndexInfo?, PageBuilder) {
        var ix: IndexInfo?
        if let n = input["IndexName"]?.stringValue {
            guard let i = t.index(n) else {
                throw DDBError.validation("The table does not have the specified index: \(n)")
            }
            ix = t.indexes[i]
            if ix!.global && input["ConsistentRead"]?.boolValue == true {
                throw DDBError.validation("Consistent reads are not supported on global secondary indexes")
            }
        }
        let projection = try Self.parseProjection(input, scope)
        try Legacy.checkNotMixed(input)
        let filter = try Self.parseCondition(input, "FilterExpression", scope)
            ?? Legacy.conditions(input["QueryFilter"] ?? input["ScanFilter"], input["ConditionalOperator"])
        var select = input["Select"]?.stringValue
        if select == nil { select = projection != nil ? "SPECIFIC_ATTRIBUTES" : (ix != nil ? "ALL_PROJECTED_ATTRIBUTES" : "ALL_ATTRIBUTES") }
        if select == "SPECIFIC_ATTRIBUTES" && projection == nil {
            throw DDBError.validation("Select type SPECIFIC_ATTRIBUTES requires AttributesToGet or ProjectionExpression")
        }
        if projection != nil && select != "SPECIFIC_ATTRIBUTES" {
            throw DDBError.validation("Cannot specify the ProjectionExpression when choosing to get \(select!)")
        }
        if select == "ALL_PROJECTED_ATTRIBUTES" && ix == nil {
            throw DDBError.validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        }
        if select == "ALL_ATTRIBUTES", let ix, ix.global, ix.projectionType != "ALL" {
            throw DDBError.invalid("Select type ALL_ATTRIBUTES is not supported for global secondary index \(ix.name) because its projection type is not ALL")
        }
        var limit: Int?
        if let l = input["Limit"]?.intValue {
            if l < 1 { throw DDBError.validation("1 validation error detected: Value '\(l)' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1") }
            limit = Int(l)
        }
        return (ix, PageBuilder(limit: limit, filter: filter, projection: projection, countOnly: select == "COUNT"))
    }

    /// The key a page reports as LastEvaluatedKey: table key plus index key attributes.
    static func pageKey(_ t: Table, _ ix: IndexInfo?, _ item: Item) -> Item {
        var k = t.keyItem(item)
        if let ix {
            k[ix.hash] = item[ix.hash]
            if let r = ix.range { k[r] = item[r] }
        }
        return k
    }

    /// ExclusiveStartKey → (partition, sort tuple) in the store being read.
    static func startPosition(_ input: Value, _ t: Table, _ ix: IndexInfo?) throws -> (KeyPart, [KeyPart])? {
        guard let v = input["ExclusiveStartKey"] else { return nil }
        let key = try ItemCodec.item(v)
        func bad() -> AWSError {
            DDBError.validation("The provided starting key is invalid: The provided key element does not match the schema")
        }
        do {
            var attrs = [t.hash] + (t.range.map { [$0] } ?? [])
            if let ix { attrs += [ix.hash] + (ix.range.map { [$0] } ?? []) }
            guard Set(key.keys) == Set(attrs) else { throw bad() }
            let tk = try t.itemKey(key)
            if let ix {
                guard let k = t.indexKey(ix, key) else { throw bad() }
                return k
            }
            return tk
        } catch is AWSError {
            throw bad()
        }
    }

    func query(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let name = Self.tableName(input["TableName"])
        return try state.withLock { s in
            guard let t = s.tables[Self.tableKey(ctx.accountId, ctx.region, name)] else { throw DDBError.notFound() }
            let scope = try ExpressionScope(input: input)
            let (ix, page0) = try readSetup(input, t, scope)
            var page = page0
            let cond: Condition
            if let kce = input["KeyConditionExpression"]?.stringValue {
                var parser = try ExpressionParser(kce, kind: "KeyConditionExpression", scope: scope)
                cond = try parser.parseCondition()
            } else if let legacy = try Legacy.conditions(input["KeyConditions"], nil) {
                cond = legacy
            } else {
                throw DDBError.validation("Either the KeyConditions or QueryFilter parameter must be specified in the request.")
            }
            try scope.checkUnused()
            let hashAttr = ix?.hash ?? t.hash
            let rangeAttr = ix != nil ? ix!.range : t.range
            let (pk, range) = try Self.keyCondition(cond, hash: hashAttr, range: rangeAttr, t)
            let start = try Self.startPosition(input, t, ix)
            let forward = input["ScanIndexForward"]?.boolValue ?? true
            let store = ix?.store ?? t.store
            let entries = store.query(pk, range: range, forward: forward, exclusiveStart: start?.1)
            func visit(_ e: ItemStore.Entry) throws -> Bool {
                let returned = ix.map { ix in !ix.global && input["Select"]?.stringValue == "ALL_ATTRIBUTES" ? e.item : t.projected(ix, e.item) } ?? e.item
                return try page.add(e.item, returned: returned, key: Self.pageKey(t, ix, e.item))
            }
            if forward {
                for e in entries where try !visit(e) { break }
            } else {
                for e in entries.reversed() where try !visit(e) { break }
            }
            return page.output(consumed(input, name, Double(max(1, page.bytes / 4096)) / 2))
        }
    }

    /// Splits a key condition into the partition value and a sort-key range.
    static func keyCondition(_ c: Condition, hash: String, range: String?, _ t: Table) throws -> (KeyPart, SortRange?) {
        var parts: [Condition] = []
        func flatten(_ c: Condition) throws {
            switch c {
            case .and(let a, let b): try flatten(a); try flatten(b)
            case .or: throw DDBError.validation("Invalid operator used in KeyConditionExpression: OR")
            case .not: throw DDBError.validation("Invalid operator used in KeyConditionExpression: NOT")
            default: parts.append(c)
            }
        }
        try flatten(c)
        var pk: KeyPart?
        var sort: SortRange?
        func attr(_ o: Operand) -> String? {
            if case .path(let p) = o, p.count == 1, case .name(let n) = p[0] { return n }
            return nil
        }
        func value(_ o: Operand, _ a: String) throws -> KeyPart {
            guard case .value(let v, _) = o else { throw DDBError.validation("Query key condition not supported") }
            guard v.typeName == t.attrType(a), let k = KeyPart(v) else {
                throw DDBError.invalid("Condition parameter type does not match schema type")
            }
            return k
        }
        for p in parts {
            switch p {
            case .compare(let l, let op, let r):
                var (lhs, rhs, o) = (l, r, op)
                if attr(lhs) == nil, attr(rhs) != nil {
                    (lhs, rhs) = (rhs, lhs)
                    o = ["<": ">", ">": "<", "<=": ">=", ">=": "<="][op] ?? op
                }
                guard let a = attr(lhs) else { throw DDBError.validation("Query key condition not supported") }
                if a == hash {
                    guard o == "=", pk == nil else { throw DDBError.validation("Query key condition not supported") }
                    pk = try value(rhs, a)
                } else if a == range, sort == nil {
                    let v = try value(rhs, a)
                    switch o {
                    case "=": sort = .eq(v)
                    case "<": sort = .lt(v)
                    case "<=": sort = .le(v)
                    case ">": sort = .gt(v)
                    case ">=": sort = .ge(v)
                    default: throw DDBError.validation("Unsupported operator on KeyConditionExpression: operator: \(o)")
                    }
                } else {
                    throw DDBError.validation("Query condition missed key schema element: \(pk == nil ? hash : (range ?? hash))")
                }
            case .between(let l, let lo, let hi):
                guard let a = attr(l), a == range, sort == nil else { throw DDBError.validation("Query key condition not supported") }
                sort = .between(try value(lo, a), try value(hi, a))
            case .beginsWith(let l, let v):
                guard let a = attr(l), a == range, sort == nil else { throw DDBError.validation("Query key condition not supported") }
                if case .value(let av, _) = v, av.typeName == "N" || t.attrType(a) == "N" {
                    throw DDBError.validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
                }
                sort = .beginsWith(try value(v, a))
            default:
                throw DDBError.validation("Invalid operator used in KeyConditionExpression")
            }
        }
        guard let pk else { throw DDBError.validation("Query condition missed key schema element: \(hash)") }
        return (pk, sort)
    }

    func scan(_ input: Value, _ ctx: RequestContext, partiql: Bool = false) throws -> Value {
        let name = Self.tableName(input["TableName"])
        let seg = input["Segment"]?.intValue, total = input["TotalSegments"]?.intValue
        if seg != nil && total == nil {
            throw DDBError.validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
        }
        if total != nil && seg == nil {
            throw DDBError.validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
        }
        if let seg, let total, seg >= total {
            throw DDBError.validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: \(seg) is not less than TotalSegments: \(total)")
        }
        return try state.withLock { s in
            guard let t = s.tables[Self.tableKey(ctx.accountId, ctx.region, name)] else { throw DDBError.notFound() }
            let scope = try ExpressionScope(input: input)
            let (ix, page0) = try readSetup(input, t, scope)
            if !partiql { try scope.checkUnused() }
            var page = page0
            let start = try Self.startPosition(input, t, ix)
            let store = ix?.store ?? t.store
            var failure: Error?
            store.scan(after: start, segment: Int(seg ?? 0), totalSegments: Int(total ?? 1)) { _, e in
                let returned = ix.map { t.projected($0, e.item) } ?? e.item
                do {
                    return try page.add(e.item, returned: returned, key: Self.pageKey(t, ix, e.item))
                } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            return page.output(consumed(input, name, Double(max(1, page.bytes / 4096)) / 2))
        }
    }
}
