import SimfraCore

/// A condition that did not hold, with the item as it was.
struct ConditionFailed: Error {
    var old: Item?
}

enum WriteKind: String { case put = "Put", update = "Update", delete = "Delete", check = "ConditionCheck" }

/// The outcome of one computed write (nothing applied yet).
struct WritePlan {
    var key: (KeyPart, [KeyPart])
    var old: Item?
    /// The item after the write; nil for a delete, or unchanged for a check.
    var new: Item?
    var updatedPaths: [DocPath] = []
}

let maxItemSize = 400 * 1024

extension DynamoDBService {
    static func parseCondition(_ input: Value, _ member: String, _ scope: ExpressionScope) throws -> Condition? {
        guard let text = input[member]?.stringValue else { return nil }
        var p = try ExpressionParser(text, kind: member, scope: scope)
        return try p.parseCondition()
    }

    static func parseProjection(_ input: Value, _ scope: ExpressionScope) throws -> [DocPath]? {
        if let text = input["ProjectionExpression"]?.stringValue {
            var p = try ExpressionParser(text, kind: "ProjectionExpression", scope: scope)
            return try p.parseProjection()
        }
        if let atg = input["AttributesToGet"]?.listValue {
            return atg.compactMap { $0.stringValue }.map { [.name($0)] }
        }
        return nil
    }

    static func checkSize(_ item: Item) throws {
        if ItemCodec.size(item) > maxItemSize {
            throw DDBError.validation("Item size has exceeded the maximum allowed size")
        }
    }

    /// Parses, validates and evaluates one write against the table's current state.
    static func planWrite(_ kind: WriteKind, _ input: Value, _ t: Table) throws -> WritePlan {
        try Legacy.checkNotMixed(input)
        let scope = try ExpressionScope(input: input)
        let key: (KeyPart, [KeyPart])
        var newItem: Item?
        var actions: [UpdateAction] = []
        switch kind {
        case .put:
            let item = try ItemCodec.item(input["Item"])
            key = try t.itemKey(item)
            try t.validateIndexAttributes(item)
            newItem = item
        default:
            key = try t.parseKey(try ItemCodec.item(input["Key"]))
            if kind == .update, let text = input["UpdateExpression"]?.stringValue {
                var p = try ExpressionParser(text, kind: "UpdateExpression", scope: scope)
                actions = try p.parseUpdate()
            } else if kind == .update, input["AttributeUpdates"] != nil {
                actions = try Legacy.updates(input["AttributeUpdates"])
            }
            if kind == .update {
                for a in actions {
                    if case .name(let n) = a.path[0], a.path.count == 1 || true, n == t.hash || n == t.range {
                        throw DDBError.invalid("Cannot update attribute \(n). This attribute is part of the key")
                    }
                }
            }
        }
        let cond = try parseCondition(input, "ConditionExpression", scope)
            ?? Legacy.conditions(input["Expected"], input["ConditionalOperator"])
        if kind == .check && cond == nil {
            throw DDBError.validation("The ConditionExpression is required for a ConditionCheck")
        }
        try scope.checkUnused()
        if let v = input["ReturnValues"]?.stringValue, kind != .update, v != "NONE", v != "ALL_OLD" {
            throw DDBError.validation("ReturnValues can only be ALL_OLD or NONE")
        }
        if let newItem { try checkSize(newItem) }
        let old = t.get(key)
        if let cond, try !Evaluator.evaluate(cond, old ?? [:]) {
            throw ConditionFailed(old: old)
        }
        switch kind {
        case .put:
            return WritePlan(key: key, old: old, new: newItem)
        case .delete:
            return WritePlan(key: key, old: old, new: nil)
        case .check:
            return WritePlan(key: key, old: old, new: old)
        case .update:
            var base = old ?? [:]
            if old == nil {
                base[t.hash] = key.0.av
                if let r = t.range { base[r] = key.1[0].av }
            }
            let updated = try Evaluator.applyUpdate(actions, to: base)
            try t.validateIndexAttributes(updated)
            try checkSize(updated)
            return WritePlan(key: key, old: old, new: updated, updatedPaths: actions.map(\.path))
        }
    }

    func conditionError(_ f: ConditionFailed, _ input: Value) -> AWSError {
        var extra: [String: Value] = [:]
        if input["ReturnValuesOnConditionCheckFailure"]?.stringValue == "ALL_OLD", let old = f.old {
            extra["Item"] = ItemCodec.value(old)
        }
        return AWSError(code: "ConditionalCheckFailedException", message: "The conditional request failed", extra: extra)
    }

    func writeItem(_ op: String, _ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        let kind: WriteKind = op == "PutItem" ? .put : op == "UpdateItem" ? .update : .delete
        let name = Self.tableName(input["TableName"])
        let tkey = Self.tableKey(ctx.accountId, ctx.region, name)
        let now = clock.now()
        let (plan, commit) = try state.withLock { s -> (WritePlan, Commit) in
            // The plan is computed in its own scope so no copy of the table is alive when the
            // table is mutated below (a live copy would make the write copy every item).
            let plan: WritePlan = try {
                guard let t = s.tables[tkey] else { throw DDBError.notFound() }
                do {
                    return try Self.planWrite(kind, input, t)
                } catch let f as ConditionFailed {
                    throw conditionError(f, input)
                }
            }()
            if let new = plan.new {
                s.tables[tkey]!.put(new)
            } else if plan.old != nil {
                s.tables[tkey]!.delete(plan.key)
            } else {
                return (plan, .done)
            }
            Self.emit(&s, tkey, old: plan.old, new: plan.new, now: now)
            return (plan, self.persist([itemWrite(s.tables[tkey]!, plan.key, plan.new)]))
        }
        var out: Value = .empty
        let rv = input["ReturnValues"]?.stringValue ?? "NONE"
        switch rv {
        case "ALL_OLD": if let o = plan.old { out["Attributes"] = ItemCodec.value(o) }
        case "ALL_NEW": if let n = plan.new { out["Attributes"] = ItemCodec.value(n) }
        case "UPDATED_OLD":
            if let o = plan.old {
                let p = Evaluator.project(o, plan.updatedPaths)
                if !p.isEmpty { out["Attributes"] = ItemCodec.value(p) }
            }
        case "UPDATED_NEW":
            if let n = plan.new {
                let p = Evaluator.project(n, plan.updatedPaths)
                if !p.isEmpty { out["Attributes"] = ItemCodec.value(p) }
            }
        default: break
        }
        if let c = consumed(input, name, 1) { out["ConsumedCapacity"] = c }
        return (out, [commit])
    }

    func getItem(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let name = Self.tableName(input["TableName"])
        try Legacy.checkNotMixed(input)
        let scope = try ExpressionScope(input: input)
        let projection = try Self.parseProjection(input, scope)
        try scope.checkUnused()
        let item: Item? = try withTable(input, ctx, notFound: DDBError.notFound()) { t in
            t.get(try t.parseKey(try ItemCodec.item(input["Key"])))
        }
        var out: Value = .empty
        if let item { out["Item"] = ItemCodec.value(projection.map { Evaluator.project(item, $0) } ?? item) }
        if let c = consumed(input, name, 0.5) { out["ConsumedCapacity"] = c }
        return out
    }
}
