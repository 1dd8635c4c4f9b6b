import SimfraCore

extension DynamoDBService {
    func batchGet(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let requests = input["RequestItems"]?.objectValue ?? [:]
        let total = requests.values.reduce(0) { $0 + ($1["Keys"]?.listValue?.count ?? 0) }
        if total > 100 { throw DDBError.validation("Too many items requested for the BatchGetItem call") }
        var responses: [String: Value] = [:]
        try state.withLock { s in
            for (tn, req) in requests.sorted(by: { $0.key < $1.key }) {
                let name = Self.tableName(.string(tn))
                guard let t = s.tables[Self.tableKey(ctx.accountId, ctx.region, name)] else { throw DDBError.notFound() }
                let scope = try ExpressionScope(input: req)
                let projection = try Self.parseProjection(req, scope)
                try scope.checkUnused()
                var seen: Set<[KeyPart]> = []
                var items: [Value] = []
                for k in req["Keys"]?.listValue ?? [] {
                    let key = try t.parseKey(try ItemCodec.item(k))
                    if !seen.insert([key.0] + key.1).inserted {
                        throw DDBError.validation("Provided list of item keys contains duplicates")
                    }
                    if let item = t.get(key) {
                        items.append(ItemCodec.value(projection.map { Evaluator.project(item, $0) } ?? item))
                    }
                }
                responses[tn] = .list(items)
            }
        }
        var out: Value = ["Responses": .object(responses), "UnprocessedKeys": .empty]
        if input["ReturnConsumedCapacity"]?.stringValue.map({ $0 != "NONE" }) == true {
            out["ConsumedCapacity"] = .list(requests.keys.sorted().compactMap { consumed(input, $0, 1) })
        }
        return out
    }

    func batchWrite(_ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        let requests = input["RequestItems"]?.objectValue ?? [:]
        let total = requests.values.reduce(0) { $0 + ($1.listValue?.count ?? 0) }
        if total > 25 { throw DDBError.validation("Too many items requested for the BatchWriteItem call") }
        let now = clock.now()
        let commit = try state.withLock { s -> Commit in
            // Validate everything first: a batch with one bad request writes nothing.
            var plans: [(String, (KeyPart, [KeyPart]), Item?)] = []
            for (tn, reqs) in requests.sorted(by: { $0.key < $1.key }) {
                let key = Self.tableKey(ctx.accountId, ctx.region, Self.tableName(.string(tn)))
                guard let t = s.tables[key] else { throw DDBError.notFound() }
                var seen: Set<[KeyPart]> = []
                for r in reqs.listValue ?? [] {
                    let k: (KeyPart, [KeyPart])
                    var item: Item?
                    if let p = r["PutRequest"] {
                        let it = try ItemCodec.item(p["Item"])
                        k = try t.itemKey(it)
                        try t.validateIndexAttributes(it)
                        try Self.checkSize(it)
                        item = it
                    } else if let d = r["DeleteRequest"] {
                        k = try t.parseKey(try ItemCodec.item(d["Key"]))
                    } else {
                        throw DDBError.validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
                    }
                    if !seen.insert([k.0] + k.1).inserted {
                        throw DDBError.validation("Provided list of item keys contains duplicates")
                    }
                    plans.append((key, k, item))
                }
            }
            var writes: [DurableWrite] = []
            for (tkey, k, item) in plans {
                let old: Item?
                if let item { old = s.tables[tkey]!.put(item) } else { old = s.tables[tkey]!.delete(k) }
                Self.emit(&s, tkey, old: old, new: item, now: now)
                writes.append(itemWrite(s.tables[tkey]!, k, item))
            }
            return self.persist(writes)
        }
        var out: Value = ["UnprocessedItems": .empty]
        if input["ReturnConsumedCapacity"]?.stringValue.map({ $0 != "NONE" }) == true {
            out["ConsumedCapacity"] = .list(requests.keys.sorted().compactMap { consumed(input, $0, 1) })
        }
        return (out, [commit])
    }

    func transactWrite(_ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        let ops = input["TransactItems"]?.listValue ?? []
        if ops.count > 100 {
            throw DDBError.validation("1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100")
        }
        let now = clock.now()
        let token = input["ClientRequestToken"]?.stringValue
        var fingerprint = input
        fingerprint["ClientRequestToken"] = nil
        fingerprint["ReturnConsumedCapacity"] = nil
        let commit = try state.withLock { s -> Commit in
            s.tokens = s.tokens.filter { now - $0.value.0 < 600 }
            if let token, let (_, prior) = s.tokens[ctx.accountId + "/" + token] {
                if prior != fingerprint {
                    throw AWSError(code: "IdempotentParameterMismatchException", message: "The request with the same client token was already received but with different parameters")
                }
                return .done
            }
            var plans: [(String, WriteKind, WritePlan)] = []
            var reasons: [Value] = []
            var failed = false
            var seen: Set<String> = []
            for op in ops {
                guard let (kindName, body) = op.objectValue?.first(where: { !$0.value.isNull }),
                    let kind = WriteKind(rawValue: kindName)
                else { throw DDBError.validation("TransactItems can only contain one of Check, Put, Update or Delete") }
                let name = Self.tableName(body["TableName"])
                let tkey = Self.tableKey(ctx.accountId, ctx.region, name)
                guard let t = s.tables[tkey] else { throw DDBError.notFound() }
                do {
                    let plan = try Self.planWrite(kind, body, t)
                    if !seen.insert(tkey + "\u{1F}" + Self.itemId(t, plan.key)).inserted {
                        throw DDBError.validation("Transaction request cannot include multiple operations on one item")
                    }
                    plans.append((tkey, kind, plan))
                    reasons.append(["Code": "None"])
                } catch let f as ConditionFailed {
                    failed = true
                    var r: Value = ["Code": "ConditionalCheckFailed", "Message": "The conditional request failed"]
                    if body["ReturnValuesOnConditionCheckFailure"]?.stringValue == "ALL_OLD", let old = f.old {
                        r["Item"] = ItemCodec.value(old)
                    }
                    reasons.append(r)
                }
            }
            if failed {
                let codes = reasons.map { $0["Code"]?.stringValue ?? "None" }.joined(separator: ", ")
                throw AWSError(
                    code: "TransactionCanceledException",
                    message: "Transaction cancelled, please refer cancellation reasons for specific reasons [\(codes)]",
                    extra: ["CancellationReasons": .list(reasons)])
            }
            var writes: [DurableWrite] = []
            for (tkey, kind, plan) in plans where kind != .check {
                if let new = plan.new {
                    s.tables[tkey]!.put(new)
                } else if plan.old != nil {
                    s.tables[tkey]!.delete(plan.key)
                } else {
                    continue
                }
                Self.emit(&s, tkey, old: plan.old, new: plan.new, now: now)
                writes.append(itemWrite(s.tables[tkey]!, plan.key, plan.new))
            }
            if let token { s.tokens[ctx.accountId + "/" + token] = (now, fingerprint) }
            return self.persist(writes)
        }
        return (.empty, [commit])
    }

    func transactGet(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let ops = input["TransactItems"]?.listValue ?? []
        if ops.count > 100 {
            throw DDBError.validation("1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100")
        }
        return try state.withLock { s in
            var responses: [Value] = []
            var seen: Set<String> = []
            for op in ops {
                let body = op["Get"] ?? .empty
                let name = Self.tableName(body["TableName"])
                guard let t = s.tables[Self.tableKey(ctx.accountId, ctx.region, name)] else { throw DDBError.notFound() }
                let scope = try ExpressionScope(input: body)
                let projection = try Self.parseProjection(body, scope)
                try scope.checkUnused()
                let key = try t.parseKey(try ItemCodec.item(body["Key"]))
                if !seen.insert(name + "\u{1F}" + Self.itemId(t, key)).inserted {
                    throw DDBError.validation("Transaction request cannot include multiple operations on one item")
                }
                if let item = t.get(key) {
                    responses.append(["Item": ItemCodec.value(projection.map { Evaluator.project(item, $0) } ?? item)])
                } else {
                    responses.append(.empty)
                }
            }
            return ["Responses": .list(responses)]
        }
    }
}
