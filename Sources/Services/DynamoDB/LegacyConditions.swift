import SimfraCore

/// The pre-expression API (Expected, KeyConditions, QueryFilter, ScanFilter, AttributeUpdates,
/// AttributesToGet) translated into the same condition and update trees expressions produce.
enum Legacy {
    static let expressionMembers = ["ConditionExpression", "UpdateExpression", "KeyConditionExpression", "FilterExpression", "ProjectionExpression"]
    static let legacyMembers = ["Expected", "AttributeUpdates", "KeyConditions", "QueryFilter", "ScanFilter", "AttributesToGet"]

    static func checkNotMixed(_ input: Value) throws {
        let legacy = legacyMembers.filter { input[$0] != nil }
        let expr = expressionMembers.filter { input[$0] != nil }
        if !legacy.isEmpty && !expr.isEmpty {
            throw DDBError.validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {\(legacy.joined(separator: ", "))} Expression parameters: {\(expr.joined(separator: ", "))}")
        }
    }

    static func operand(_ v: AV) -> Operand { .value(v, "") }

    /// One `{ComparisonOperator, AttributeValueList}` (or Expected's `Value`/`Exists`) entry.
    static func condition(_ name: String, _ spec: Value) throws -> Condition {
        let path: Operand = .path([.name(name)])
        let values = try (spec["AttributeValueList"]?.listValue ?? []).map(AV.from)
        if spec["ComparisonOperator"] == nil {
            // Expected's simple form.
            if spec["Exists"]?.boolValue == false {
                if spec["Value"] != nil {
                    throw DDBError.invalid("Value cannot be used when Exists is false for Attribute: \(name)")
                }
                return .notExists([.name(name)])
            }
            guard let v = spec["Value"] else {
                throw DDBError.invalid("Value must be provided when Exists is true for Attribute: \(name)")
            }
            return .compare(path, "=", operand(try AV.from(v)))
        }
        let op = spec["ComparisonOperator"]?.stringValue ?? "EQ"
        func need(_ n: Int) throws {
            if values.count != n {
                throw DDBError.invalid("Invalid number of argument(s) for the \(op) ComparisonOperator")
            }
        }
        switch op {
        case "EQ", "NE", "LE", "LT", "GE", "GT":
            try need(1)
            let sym = ["EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"][op]!
            return .compare(path, sym, operand(values[0]))
        case "NOT_NULL": try need(0); return .exists([.name(name)])
        case "NULL": try need(0); return .notExists([.name(name)])
        case "CONTAINS": try need(1); return .contains(path, operand(values[0]))
        case "NOT_CONTAINS": try need(1); return .and(.exists([.name(name)]), .not(.contains(path, operand(values[0]))))
        case "BEGINS_WITH": try need(1); return .beginsWith(path, operand(values[0]))
        case "IN":
            if values.isEmpty { try need(1) }
            return .inList(path, values.map(operand))
        case "BETWEEN":
            try need(2)
            return .between(path, operand(values[0]), operand(values[1]))
        default:
            throw DDBError.validation("Unsupported ComparisonOperator: \(op)")
        }
    }

    /// A map of conditions joined by ConditionalOperator (AND unless OR).
    static func conditions(_ map: Value?, _ conditionalOperator: Value?) throws -> Condition? {
        guard let m = map?.objectValue, !m.isEmpty else { return nil }
        let or = conditionalOperator?.stringValue == "OR"
        var result: Condition?
        for name in m.keys.sorted() {
            let c = try condition(name, m[name]!)
            result = result.map { or ? .or($0, c) : .and($0, c) } ?? c
        }
        return result
    }

    static func updates(_ map: Value?) throws -> [UpdateAction] {
        var actions: [UpdateAction] = []
        for (name, spec) in (map?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let action = spec["Action"]?.stringValue ?? "PUT"
            let value = try spec["Value"].map(AV.from)
            switch action {
            case "DELETE":
                if let value {
                    actions.append(UpdateAction(kind: .delete, path: [.name(name)], operand: operand(value)))
                } else {
                    actions.append(UpdateAction(kind: .remove, path: [.name(name)], operand: nil))
                }
            case "ADD":
                guard let value else { throw DDBError.invalid("Only DELETE action is allowed when no attribute value is specified") }
                actions.append(UpdateAction(kind: .add, path: [.name(name)], operand: operand(value)))
            default:
                guard let value else { throw DDBError.invalid("Only DELETE action is allowed when no attribute value is specified") }
                actions.append(UpdateAction(kind: .set, path: [.name(name)], operand: operand(value)))
            }
        }
        return actions
    }
}
