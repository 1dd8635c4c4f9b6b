import Foundation
import SimfraCore

extension DynamoDBService {
    static func keySchema(_ v: Value?, index: String? = nil) throws -> (String, String?) {
        let l = v?.listValue ?? []
        guard let first = l.first else { throw DDBError.validation("Invalid KeySchema: Some index key attributes are not defined") }
        guard first["KeyType"]?.stringValue == "HASH" else {
            throw DDBError.validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
        }
        let h = first["AttributeName"]?.stringValue ?? ""
        var r: String?
        if l.count > 1 {
            guard l[1]["KeyType"]?.stringValue == "RANGE" else {
                throw DDBError.validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
            }
            r = l[1]["AttributeName"]?.stringValue
            if r == h {
                throw DDBError.validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
            }
        }
        return (h, r)
    }

    static func throughput(_ v: Value?) -> (Int64, Int64)? {
        guard let v, let r = v["ReadCapacityUnits"]?.intValue, let w = v["WriteCapacityUnits"]?.intValue else { return nil }
        return (r, w)
    }

    static func parseIndex(_ v: Value, global: Bool, billing: String) throws -> IndexInfo {
        let name = v["IndexName"]?.stringValue ?? ""
        let (h, r) = try keySchema(v["KeySchema"])
        let projection = v["Projection"] ?? .empty
        let ptype = projection["ProjectionType"]?.stringValue ?? "ALL"
        let nonKey = (projection["NonKeyAttributes"]?.listValue ?? []).compactMap { $0.stringValue }
        if ptype != "INCLUDE" && !nonKey.isEmpty {
            throw DDBError.invalid("ProjectionType is \(ptype), but NonKeyAttributes is specified")
        }
        var rcu: Int64 = 0, wcu: Int64 = 0
        if global {
            let tp = throughput(v["ProvisionedThroughput"])
            if billing == "PROVISIONED" {
                guard let tp else { throw DDBError.invalid("ProvisionedThroughput must be specified for index: \(name)") }
                (rcu, wcu) = tp
            } else if tp != nil && billing == "PAY_PER_REQUEST" && (tp!.0 > 0 || tp!.1 > 0) {
                throw DDBError.invalid("ProvisionedThroughput should not be specified for index: \(name) when BillingMode is PAY_PER_REQUEST")
            }
        }
        return IndexInfo(name: name, global: global, hash: h, range: r, projectionType: ptype, nonKey: nonKey, rcu: rcu, wcu: wcu)
    }

    static func streamLabel(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS"
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    func createTable(_ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        let name = Self.tableName(input["TableName"])
        let billing = input["BillingMode"]?.stringValue ?? "PROVISIONED"
        var rcu: Int64 = 0, wcu: Int64 = 0
        let tp = Self.throughput(input["ProvisionedThroughput"])
        if billing == "PROVISIONED" {
            guard let tp else {
                throw DDBError.invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
            }
            (rcu, wcu) = tp
        } else if input["ProvisionedThroughput"] != nil {
            throw DDBError.invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
        }
        let (h, r) = try Self.keySchema(input["KeySchema"])
        var defs: [(name: String, type: String)] = []
        for d in input["AttributeDefinitions"]?.listValue ?? [] {
            let n = d["AttributeName"]?.stringValue ?? ""
            if defs.contains(where: { $0.name == n }) {
                throw DDBError.invalid("Cannot have two attributes with the same name")
            }
            defs.append((n, d["AttributeType"]?.stringValue ?? "S"))
        }
        var indexes: [IndexInfo] = []
        for l in input["LocalSecondaryIndexes"]?.listValue ?? [] {
            let ix = try Self.parseIndex(l, global: false, billing: billing)
            guard r != nil else {
                throw DDBError.invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
            }
            if ix.hash != h {
                throw DDBError.invalid("Index KeySchema does not have the same leading hash key as table KeySchema for index: \(ix.name). index hash key: \(ix.hash), table hash key: \(h)")
            }
            if ix.range == nil {
                throw DDBError.invalid("Index KeySchema for a LocalSecondaryIndex must have a range key: \(ix.name)")
            }
            indexes.append(ix)
        }
        for g in input["GlobalSecondaryIndexes"]?.listValue ?? [] {
            indexes.append(try Self.parseIndex(g, global: true, billing: billing))
        }
        var names: Set<String> = []
        for ix in indexes {
            if !names.insert(ix.name).inserted { throw DDBError.invalid("Duplicate index name: \(ix.name)") }
        }
        var keyAttrs: [String] = [h] + (r.map { [$0] } ?? [])
        for ix in indexes {
            for a in [ix.hash] + (ix.range.map { [$0] } ?? []) where !keyAttrs.contains(a) { keyAttrs.append(a) }
        }
        let defined = Set(defs.map(\.name))
        let missing = keyAttrs.filter { !defined.contains($0) }
        if !missing.isEmpty {
            throw DDBError.invalid("Some index key attributes are not defined in AttributeDefinitions. Keys: [\(missing.joined(separator: ", "))], AttributeDefinitions: [\(defs.map(\.name).joined(separator: ", "))]")
        }
        if defs.count != keyAttrs.count {
            throw DDBError.invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
        }
        let now = clock.now()
        var t = Table(
            name: name, account: ctx.accountId, region: ctx.region, id: Self.uuid(), created: now, hash: h, range: r,
            attrDefs: defs, billing: billing, rcu: rcu, wcu: wcu)
        t.indexes = indexes
        t.tags = (input["Tags"]?.listValue ?? []).map { ($0["Key"]?.stringValue ?? "", $0["Value"]?.stringValue ?? "") }
        t.deletionProtection = input["DeletionProtectionEnabled"]?.boolValue ?? false
        t.tableClass = input["TableClass"]?.stringValue ?? "STANDARD"
        if billing == "PAY_PER_REQUEST" { t.billingUpdated = now }
        if let s = input["StreamSpecification"], s["StreamEnabled"]?.boolValue == true {
            t.streamEnabled = true
            t.streamViewType = s["StreamViewType"]?.stringValue ?? "NEW_AND_OLD_IMAGES"
            t.streamLabel = Self.streamLabel(now)
        }
        t.sseEnabled = input["SSESpecification"]?["Enabled"]?.boolValue ?? false
        if let k = Self.resolvedSSE(input) {
            t.kmsKeyArn = k.arn
            t.kmsDataKey = k.dataKey
            t.kmsGrantId = k.grantId
        }
        let key = Self.tableKey(ctx.accountId, ctx.region, name)
        let commit = try state.withLock { s -> Commit in
            if s.tables[key] != nil { throw DDBError.inUse("Table already exists: \(name)") }
            s.tables[key] = t
            Self.openStream(&s, t)
            return saveTable(t)
        }
        return (["TableDescription": t.describe()], [commit])
    }

    static func uuid() -> String { UUID().uuidString.lowercased() }

    func withTable<R>(_ input: Value, _ ctx: RequestContext, notFound: AWSError? = nil, _ body: (Table) throws -> R) throws -> R {
        let name = Self.tableName(input["TableName"])
        return try state.withLock { s in
            guard let t = s.tables[Self.tableKey(ctx.accountId, ctx.region, name)] else { throw notFound ?? Self.notFoundTable(name) }
            return try body(t)
        }
    }

    func describeTable(_ input: Value, _ ctx: RequestContext) throws -> Value {
        try withTable(input, ctx) { ["Table": $0.describe()] }
    }

    func deleteTable(_ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        let name = Self.tableName(input["TableName"])
        let key = Self.tableKey(ctx.accountId, ctx.region, name)
        return try state.withLock { s in
            guard let t = s.tables[key] else { throw Self.notFoundTable(name) }
            if t.deletionProtection {
                throw DDBError.validation("Resource cannot be deleted as it is currently protected against manual deletion. Disable deletion protection first.")
            }
            s.tables[key] = nil
            Self.closeStreams(&s, tableArn: t.arn)
            var writes: [DurableWrite] = []
            if records.isPersistent {
                for (pk, entries) in t.store.partitions {
                    for e in entries { writes.append(itemWrite(t, (pk, e.sort), nil)) }
                }
            }
            writes.append(.delete(kind: "table", account: t.account, region: t.region, id: t.name))
            return (["TableDescription": t.describe(status: "DELETING")], [self.persist(writes)])
        }
    }

    func listTables(_ input: Value, _ ctx: RequestContext) -> Value {
        let prefix = Self.tableKey(ctx.accountId, ctx.region, "")
        var names = state.withLock { s in s.tables.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) } }
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        if let start = input["ExclusiveStartTableName"]?.stringValue {
            names = names.filter { start.utf8.lexicographicallyPrecedes($0.utf8) }
        }
        let limit = max(1, Int(input["Limit"]?.intValue ?? 100))
        var out: Value = ["TableNames": .list(names.prefix(limit).map { .string($0) })]
        if names.count > limit { out["LastEvaluatedTableName"] = .string(names[limit - 1]) }
        return out
    }

    func updateTable(_ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        let name = Self.tableName(input["TableName"])
        let key = Self.tableKey(ctx.accountId, ctx.region, name)
        let now = clock.now()
        return try state.withLock { s in
            guard var t = s.tables[key] else { throw Self.notFoundTable(name) }
            for d in input["AttributeDefinitions"]?.listValue ?? [] {
                let n = d["AttributeName"]?.stringValue ?? ""
                let ty = d["AttributeType"]?.stringValue ?? "S"
                if let existing = t.attrType(n) {
                    if existing != ty { throw DDBError.invalid("Cannot change the type of an attribute: \(n)") }
                } else {
                    t.attrDefs.append((n, ty))
                }
            }
            if let b = input["BillingMode"]?.stringValue, b != t.billing {
                t.billing = b
                t.billingUpdated = now
                if b == "PROVISIONED" {
                    guard let tp = Self.throughput(input["ProvisionedThroughput"]) else {
                        throw DDBError.invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
                    }
                    (t.rcu, t.wcu) = tp
                    for i in t.indexes.indices where t.indexes[i].global && t.indexes[i].rcu == 0 {
                        (t.indexes[i].rcu, t.indexes[i].wcu) = tp
                    }
                }
            } else if let tp = Self.throughput(input["ProvisionedThroughput"]) {
                if t.billing == "PAY_PER_REQUEST" {
                    throw DDBError.validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
                }
                (t.rcu, t.wcu) = tp
            }
            if let dp = input["DeletionProtectionEnabled"]?.boolValue { t.deletionProtection = dp }
            if let tc = input["TableClass"]?.stringValue { t.tableClass = tc }
            if let sse = input["SSESpecification"]?["Enabled"]?.boolValue {
                t.sseEnabled = sse
                if !sse {
                    t.kmsKeyArn = nil
                    t.kmsDataKey = nil
                    t.kmsGrantId = nil
                    t.inaccessibleSince = nil
                }
            }
            if let k = Self.resolvedSSE(input) {
                t.kmsKeyArn = k.arn
                t.kmsDataKey = k.dataKey
                t.kmsGrantId = k.grantId
                t.inaccessibleSince = nil
            }
            if let ss = input["StreamSpecification"] {
                let enabled = ss["StreamEnabled"]?.boolValue ?? false
                if enabled && t.streamEnabled {
                    throw DDBError.validation("Table already has an enabled stream: \(t.arn)/stream/\(t.streamLabel ?? "")")
                }
                if !enabled && !t.streamEnabled {
                    throw DDBError.validation("Table does not have a stream to disable")
                }
                t.streamEnabled = enabled
                if !enabled { Self.closeStreams(&s, tableArn: t.arn) }
                if enabled {
                    t.streamViewType = ss["StreamViewType"]?.stringValue ?? "NEW_AND_OLD_IMAGES"
                    t.streamLabel = Self.streamLabel(now)
                }
            }
            for u in input["GlobalSecondaryIndexUpdates"]?.listValue ?? [] {
                if let c = u["Create"] {
                    let ix = try Self.parseIndex(c, global: true, billing: t.billing)
                    if t.index(ix.name) != nil {
                        throw DDBError.invalid("Duplicate index name: \(ix.name)")
                    }
                    for a in [ix.hash] + (ix.range.map { [$0] } ?? []) where t.attrType(a) == nil {
                        throw DDBError.invalid("Some index key attributes are not defined in AttributeDefinitions. Keys: [\(a)], AttributeDefinitions: [\(t.attrDefs.map(\.name).joined(separator: ", "))]")
                    }
                    t.indexes.append(ix)
                    t.backfill(t.indexes.count - 1)
                } else if let d = u["Delete"] {
                    let n = d["IndexName"]?.stringValue ?? ""
                    guard let i = t.index(n), t.indexes[i].global else {
                        throw DDBError.notFound("Requested resource not found: Index: \(n) not found")
                    }
                    t.indexes.remove(at: i)
                } else if let up = u["Update"] {
                    let n = up["IndexName"]?.stringValue ?? ""
                    guard let i = t.index(n), t.indexes[i].global else {
                        throw DDBError.notFound("Requested resource not found: Index: \(n) not found")
                    }
                    if let tp = Self.throughput(up["ProvisionedThroughput"]) { (t.indexes[i].rcu, t.indexes[i].wcu) = tp }
                }
            }
            s.tables[key] = t
            Self.openStream(&s, t)
            return (["TableDescription": t.describe()], [saveTable(t)])
        }
    }

    func tableForArn(_ s: State, _ arn: String, _ ctx: RequestContext) throws -> String {
        let name = Self.tableName(.string(arn))
        let key = Self.tableKey(ctx.accountId, ctx.region, name)
        guard arn.hasPrefix("arn:"), s.tables[key] != nil else {
            throw DDBError.notFound("Requested resource not found: ResourcArn: \(arn) not found")
        }
        return key
    }

    func tagResource(_ op: String, _ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        let arn = input["ResourceArn"]?.stringValue ?? ""
        return try state.withLock { s in
            let key = try tableForArn(s, arn, ctx)
            var t = s.tables[key]!
            if op == "TagResource" {
                for tag in input["Tags"]?.listValue ?? [] {
                    let k = tag["Key"]?.stringValue ?? "", v = tag["Value"]?.stringValue ?? ""
                    if let i = t.tags.firstIndex(where: { $0.0 == k }) { t.tags[i].1 = v } else { t.tags.append((k, v)) }
                }
                if t.tags.count > 50 { throw DDBError.validation("One or more parameter values were invalid: The number of tags exceeds the limit of 50") }
            } else {
                let remove = Set((input["TagKeys"]?.listValue ?? []).compactMap { $0.stringValue })
                t.tags.removeAll { remove.contains($0.0) }
            }
            s.tables[key] = t
            return (.empty, [saveTable(t)])
        }
    }

    func listTags(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let arn = input["ResourceArn"]?.stringValue ?? ""
        return try state.withLock { s in
            let t = s.tables[try tableForArn(s, arn, ctx)]!
            return ["Tags": .list(t.tags.map { ["Key": .string($0.0), "Value": .string($0.1)] })]
        }
    }

    func tableSettings(_ op: String, _ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        let name = Self.tableName(input["TableName"])
        let key = Self.tableKey(ctx.accountId, ctx.region, name)
        let now = clock.now()
        return try state.withLock { s in
            guard var t = s.tables[key] else {
                if op.hasSuffix("ContinuousBackups") { throw AWSError(code: "TableNotFoundException", message: "Table not found: \(name)") }
                throw Self.notFoundTable(name)
            }
            func pitrValue() -> Value {
                var p: Value = ["PointInTimeRecoveryStatus": .string(t.pitr ? "ENABLED" : "DISABLED")]
                if t.pitr {
                    p["EarliestRestorableDateTime"] = .timestamp(t.created)
                    p["LatestRestorableDateTime"] = .timestamp(now - 300)
                    p["RecoveryPeriodInDays"] = 35
                }
                return ["ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": p]
            }
            switch op {
            case "DescribeTimeToLive":
                var d: Value = ["TimeToLiveStatus": .string(t.ttlEnabled ? "ENABLED" : "DISABLED")]
                if t.ttlEnabled, let a = t.ttlAttr { d["AttributeName"] = .string(a) }
                return (["TimeToLiveDescription": d], [])
            case "UpdateTimeToLive":
                let spec = input["TimeToLiveSpecification"] ?? .empty
                let enabled = spec["Enabled"]?.boolValue ?? false
                if enabled && t.ttlEnabled { throw DDBError.validation("TimeToLive is already enabled") }
                if !enabled && !t.ttlEnabled { throw DDBError.validation("TimeToLive is already disabled") }
                t.ttlEnabled = enabled
                t.ttlAttr = spec["AttributeName"]?.stringValue
                s.tables[key] = t
                return (["TimeToLiveSpecification": spec], [saveTable(t)])
            case "DescribeContinuousBackups":
                return (["ContinuousBackupsDescription": pitrValue()], [])
            default:
                t.pitr = input["PointInTimeRecoverySpecification"]?["PointInTimeRecoveryEnabled"]?.boolValue ?? false
                s.tables[key] = t
                return (["ContinuousBackupsDescription": pitrValue()], [saveTable(t)])
            }
        }
    }
}
