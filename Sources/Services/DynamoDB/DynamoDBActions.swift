import SimfraCore

/// DynamoDB's IAM table: action, table (or index) ARN and condition keys per operation, as
/// the Service Authorization Reference lists them. Batch and transaction calls name every
/// table they touch, and a transaction needs the item action of each of its parts.
extension DynamoDBService: ResourcePolicyService {
    /// Resource-based policies on tables (PutResourcePolicy) are not implemented yet, so a
    /// table or stream of another account, named by ARN, is never reachable: its owner comes
    /// from the ARN and the engine then needs a policy that does not exist.
    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? { nil }

    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        Self.arnAccount(arn)
    }

    /// A table's tags (an index ARN `table/T/index/I` is its table's).
    public func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]? {
        guard let account = Self.arnAccount(arn), let r = arn.range(of: ":table/") else { return nil }
        let name = arn[r.upperBound...].split(separator: "/").first.map(String.init) ?? ""
        let region = arn.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false).dropFirst(3).first.map(String.init) ?? context.region
        return state.withLock { s -> [String: String]? in
            guard let t = s.tables[Self.tableKey(account, region, name)], !t.tags.isEmpty else { return nil }
            return Dictionary(t.tags, uniquingKeysWith: { _, b in b })
        }
    }

    /// The account field of an ARN (`arn:aws:dynamodb:<region>:<account>:table/…`).
    static func arnAccount(_ arn: String) -> String? {
        // A byte scan: this runs for every authorised request.
        let u = arn.utf8
        guard u.starts(with: "arn:".utf8) else { return nil }
        var colons = 0
        var start = u.startIndex
        var i = u.startIndex
        while i != u.endIndex {
            if u[i] == UInt8(ascii: ":") {
                colons += 1
                if colons == 4 { start = u.index(after: i) }
                if colons == 5 { return start == i ? nil : String(arn[start..<i]) }
            }
            i = u.index(after: i)
        }
        return nil
    }


    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let action = "dynamodb:" + operation
        switch operation {
        case "ListTables", "DescribeLimits", "DescribeEndpoints":
            return [ActionRequirement(action: action)]
        case "TagResource", "UntagResource", "ListTagsOfResource", "GetResourcePolicy":
            var keys: [String: [String]] = [:]
            if operation == "TagResource" {
                keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
            } else if operation == "UntagResource", let names = input["TagKeys"]?.listValue?.compactMap(\.stringValue) {
                keys["aws:tagkeys"] = names
            }
            return [ActionRequirement(action: action, resources: [input["ResourceArn"]?.stringValue ?? "*"], conditionKeys: keys)]
        case "PutItem", "GetItem", "UpdateItem", "DeleteItem":
            let table = input["TableName"]?.stringValue ?? ""
            let key = operation == "PutItem" ? input["Item"] : input["Key"]
            return [ActionRequirement(action: action, resources: [tableArn(table, context)],
                                      conditionKeys: itemKeys(table, key, input, context))]
        case "Query", "Scan":
            let table = input["TableName"]?.stringValue ?? ""
            var arn = tableArn(table, context)
            if let index = input["IndexName"]?.stringValue { arn += "/index/" + index }
            var keys: [String: [String]] = [:]
            if let select = input["Select"]?.stringValue { keys["dynamodb:select"] = [select] }
            if operation == "Query", let leading = queryLeadingKey(table, input, context) { keys["dynamodb:leadingkeys"] = [leading] }
            return [ActionRequirement(action: action, resources: [arn], conditionKeys: keys)]
        case "BatchGetItem", "BatchWriteItem":
            let tables = input["RequestItems"]?.objectValue?.keys.sorted() ?? []
            return [ActionRequirement(action: action, resources: tables.map { tableArn($0, context) })]
        case "TransactWriteItems", "TransactGetItems":
            var reqs: [ActionRequirement] = []
            for part in input["TransactItems"]?.listValue ?? [] {
                guard let (kind, body) = part.objectValue?.first else { continue }
                let item: String
                switch kind {
                case "Put": item = "PutItem"
                case "Update": item = "UpdateItem"
                case "Delete": item = "DeleteItem"
                case "ConditionCheck": item = "ConditionCheckItem"
                default: item = "GetItem"
                }
                let table = body["TableName"]?.stringValue ?? ""
                reqs.append(ActionRequirement(
                    action: "dynamodb:" + item, resources: [tableArn(table, context)],
                    conditionKeys: itemKeys(table, kind == "Put" ? body["Item"] : body["Key"], body, context)))
            }
            return reqs.isEmpty ? [ActionRequirement(action: action)] : reqs
        case "ExecuteStatement":
            return [partiQL(input["Statement"]?.stringValue ?? "", context)]
        case "BatchExecuteStatement", "ExecuteTransaction":
            let list = input[operation == "ExecuteTransaction" ? "TransactStatements" : "Statements"]?.listValue ?? []
            let reqs = list.map { partiQL($0["Statement"]?.stringValue ?? "", context) }
            return reqs.isEmpty ? [ActionRequirement(action: "dynamodb:PartiQLSelect")] : reqs
        default:
            // CreateTable, DescribeTable, UpdateTable, DeleteTable, TTL, backups, Kinesis
            // destinations: the table's own ARN.
            let keys = operation == "CreateTable" ? ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue) : [:]
            return [ActionRequirement(action: action, resources: [tableArn(input["TableName"]?.stringValue ?? "", context)],
                                      conditionKeys: keys)]
        }
    }

    /// A table name or ARN as the ARN IAM sees (names are the caller's account and region).
    func tableArn(_ nameOrArn: String, _ context: RequestContext) -> String {
        if nameOrArn.hasPrefix("arn:") { return nameOrArn }
        return "arn:aws:dynamodb:\(context.region):\(context.accountId):table/\(nameOrArn)"
    }

    /// `dynamodb:LeadingKeys` (the partition key value) and `dynamodb:Attributes` /
    /// `dynamodb:ReturnValues` for a single-item call.
    private func itemKeys(_ table: String, _ key: Value?, _ input: Value, _ context: RequestContext) -> [String: [String]] {
        var keys: [String: [String]] = [:]
        if let hash = hashAttribute(table, context), let v = key?[hash], let s = Self.scalar(v) {
            keys["dynamodb:leadingkeys"] = [s]
        }
        if let names = key?.objectValue?.keys { keys["dynamodb:attributes"] = names.sorted() }
        if let rv = input["ReturnValues"]?.stringValue { keys["dynamodb:returnvalues"] = [rv] }
        return keys
    }

    /// The partition key value a Query's key condition fixes, from `KeyConditions` or an
    /// equality on the hash key in `KeyConditionExpression` with its placeholder value.
    private func queryLeadingKey(_ table: String, _ input: Value, _ context: RequestContext) -> String? {
        guard let hash = hashAttribute(table, context) else { return nil }
        if let cond = input["KeyConditions"]?[hash], let v = cond["AttributeValueList"]?.listValue?.first {
            return Self.scalar(v)
        }
        guard let expr = input["KeyConditionExpression"]?.stringValue else { return nil }
        let names = input["ExpressionAttributeNames"]?.objectValue ?? [:]
        let values = input["ExpressionAttributeValues"]
        // Split on AND; find `<hash or #alias> = :v`.
        for clause in Self.andClauses(expr) {
            let sides = clause.split(separator: "=", maxSplits: 1).map { Self.trimmed(String($0), " ") }
            guard sides.count == 2 else { continue }
            let lhs = sides[0].hasPrefix("#") ? names[sides[0]]?.stringValue ?? "" : sides[0]
            if lhs == hash, sides[1].hasPrefix(":"), let v = values?[sides[1]] { return Self.scalar(v) }
        }
        return nil
    }

    private func hashAttribute(_ table: String, _ context: RequestContext) -> String? {
        let name = Self.tableName(.string(table))
        let account = table.hasPrefix("arn:") ? (table.split(separator: ":").dropFirst(4).first.map(String.init) ?? context.accountId) : context.accountId
        return state.withLock { $0.tables[Self.tableKey(account, context.region, name)]?.hash }
    }

    /// An AttributeValue's scalar as IAM compares it (`{"S": "u1"}` → "u1").
    static func scalar(_ v: Value) -> String? {
        guard let (_, inner) = v.objectValue?.first else { return nil }
        return inner.stringValue
    }

    /// A PartiQL statement's action and table: `SELECT … FROM t`, `INSERT INTO t`,
    /// `UPDATE t`, `DELETE FROM t`.
    private func partiQL(_ statement: String, _ context: RequestContext) -> ActionRequirement {
        let words = statement.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        let verb = words.first?.uppercased() ?? "SELECT"
        let action: String
        var tableWord: Substring?
        switch verb {
        case "INSERT":
            action = "dynamodb:PartiQLInsert"
            if let i = words.firstIndex(where: { $0.uppercased() == "INTO" }), i + 1 < words.count { tableWord = words[i + 1] }
        case "UPDATE":
            action = "dynamodb:PartiQLUpdate"
            if words.count > 1 { tableWord = words[1] }
        case "DELETE":
            action = "dynamodb:PartiQLDelete"
            if let i = words.firstIndex(where: { $0.uppercased() == "FROM" }), i + 1 < words.count { tableWord = words[i + 1] }
        default:
            action = "dynamodb:PartiQLSelect"
            if let i = words.firstIndex(where: { $0.uppercased() == "FROM" }), i + 1 < words.count { tableWord = words[i + 1] }
        }
        guard var t = tableWord.map(String.init) else { return ActionRequirement(action: action) }
        // "table"."index" or "table"
        if let dot = t.range(of: "\".\"") { t = String(t[..<dot.lowerBound]) + "\"" }
        let name = Self.trimmed(t, "\"")
        return ActionRequirement(action: action, resources: [tableArn(name, context)])
    }
}

extension DynamoDBStreamsService: ResourcePolicyService {
    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? { nil }

    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        DynamoDBService.arnAccount(arn)
    }


    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let action = "dynamodb:" + operation
        switch operation {
        case "ListStreams":
            return [ActionRequirement(action: action)]
        case "GetRecords":
            // The iterator carries its stream ARN (base64 of `arn|shard|position`).
            let it = input["ShardIterator"]?.stringValue ?? ""
            let arn = Base64.decode(it).flatMap { String(decoding: $0, as: UTF8.self).split(separator: "|").first.map(String.init) }
            return [ActionRequirement(action: action, resources: arn.map { [$0] } ?? [])]
        default:
            return [ActionRequirement(action: action, resources: [input["StreamArn"]?.stringValue ?? "*"])]
        }
    }
}

extension DynamoDBService {
    /// The clauses of a key condition, split on the `AND` keyword.
    fileprivate static func andClauses(_ expr: String) -> [String] {
        var out: [String] = []
        var current: [Substring] = []
        for w in expr.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            if w.uppercased() == "AND" {
                out.append(current.joined(separator: " "))
                current = []
            } else {
                current.append(w)
            }
        }
        out.append(current.joined(separator: " "))
        return out
    }

    fileprivate static func trimmed(_ s: String, _ c: Character) -> String {
        var t = Substring(s)
        while t.first == c || t.first == " " { t = t.dropFirst() }
        while t.last == c || t.last == " " { t = t.dropLast() }
        return String(t)
    }
}
