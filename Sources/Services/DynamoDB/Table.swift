import SimfraCore

struct IndexInfo: Sendable {
    var name: String
    var global: Bool
    var hash: String
    var range: String?
    var projectionType: String
    var nonKey: [String]
    var rcu: Int64
    var wcu: Int64
    var store = ItemStore()
}

/// One table: its definition and its items (base store plus one store per index).
struct Table: Sendable {
    var name: String
    var account: String
    var region: String
    var id: String
    var created: Double
    var hash: String
    var range: String?
    var attrDefs: [(name: String, type: String)]
    var billing: String
    var rcu: Int64
    var wcu: Int64
    var indexes: [IndexInfo] = []
    var tags: [(String, String)] = []
    var deletionProtection = false
    var streamEnabled = false
    var streamViewType: String?
    var streamLabel: String?
    var sseEnabled = false
    /// SSE with a KMS key (`SSESpecification` Enabled, SSEType KMS): the key's ARN and the
    /// table's data key as KMS encrypted it (a ciphertext blob; it opens only through KMS).
    var kmsKeyArn: String?
    var kmsDataKey: [UInt8]?
    /// The grant DynamoDB made itself on that key for this table.
    var kmsGrantId: String?
    /// When DynamoDB last found the table's KMS key disabled, pending deletion or gone
    /// (memory only: found again after a restart on the first access).
    var inaccessibleSince: Double?
    var ttlAttr: String?
    var ttlEnabled = false
    var pitr = false
    var tableClass = "STANDARD"
    var billingUpdated: Double?
    var store = ItemStore()

    var arn: String { "arn:aws:dynamodb:\(region):\(account):table/\(name)" }

    func attrType(_ n: String) -> String? { attrDefs.first { $0.name == n }?.type }

    func index(_ n: String) -> Int? { indexes.firstIndex { $0.name == n } }

    // MARK: keys

    func keyPart(_ item: Item, _ attr: String, forKey: Bool) throws -> KeyPart {
        guard let v = item[attr] else {
            throw forKey ? DDBError.validation("The provided key element does not match the schema")
                : DDBError.invalid("Missing the key \(attr) in the item")
        }
        let want = attrType(attr) ?? "S"
        guard v.typeName == want, let k = KeyPart(v) else {
            throw forKey ? DDBError.validation("The provided key element does not match the schema")
                : DDBError.invalid("Type mismatch for key \(attr) expected: \(want) actual: \(v.typeName)")
        }
        if case .s(let s) = k, s.isEmpty { throw emptyKey(attr) }
        if case .b(let b) = k, b.isEmpty { throw emptyKey(attr, binary: true) }
        return k
    }

    func emptyKey(_ attr: String, binary: Bool = false) -> AWSError {
        DDBError.validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty \(binary ? "binary" : "string") value. Key: \(attr)")
    }

    /// The primary key of a full item.
    func itemKey(_ item: Item) throws -> (KeyPart, [KeyPart]) {
        let pk = try keyPart(item, hash, forKey: false)
        if let range { return (pk, [try keyPart(item, range, forKey: false)]) }
        return (pk, [])
    }

    /// A `Key` parameter: exactly the key attributes.
    func parseKey(_ key: Item) throws -> (KeyPart, [KeyPart]) {
        guard key.count == (range == nil ? 1 : 2) else {
            throw DDBError.validation("The provided key element does not match the schema")
        }
        let pk = try keyPart(key, hash, forKey: true)
        if let range { return (pk, [try keyPart(key, range, forKey: true)]) }
        return (pk, [])
    }

    func keyItem(_ item: Item) -> Item {
        var k: Item = [hash: item[hash]!]
        if let range { k[range] = item[range] }
        return k
    }

    /// Index key of an item, nil when the item does not appear in the index (sparse).
    func indexKey(_ ix: IndexInfo, _ item: Item) -> (KeyPart, [KeyPart])? {
        guard let hv = item[ix.hash], hv.typeName == attrType(ix.hash), let h = KeyPart(hv) else { return nil }
        var sort: [KeyPart] = []
        if let r = ix.range {
            guard let rv = item[r], rv.typeName == attrType(r), let k = KeyPart(rv) else { return nil }
            sort.append(k)
        }
        let (pk, sk) = try! itemKey(item)
        sort.append(pk)
        sort += sk
        return (h, sort)
    }

    /// Index key attributes present with the wrong type are rejected on write.
    func validateIndexAttributes(_ item: Item) throws {
        for ix in indexes {
            for a in [ix.hash] + (ix.range.map { [$0] } ?? []) {
                guard let v = item[a], let want = attrType(a) else { continue }
                if v.typeName != want {
                    throw DDBError.invalid("Type mismatch for Index Key \(a) Expected: \(want) Actual: \(v.typeName) IndexName: \(ix.name)")
                }
                if case .s(let s) = v, s.isEmpty {
                    throw DDBError.invalid("Index key attributes cannot contain an empty string value. IndexName: \(ix.name), IndexKey: \(a)")
                }
            }
        }
    }

    func get(_ key: (KeyPart, [KeyPart])) -> Item? { store.get(key.0, key.1) }

    /// Restore path: partitions are put in scan order once, after all items are in.
    mutating func beginBulkLoad() {
        store.deferOrder = true
        for i in indexes.indices { indexes[i].store.deferOrder = true }
    }

    mutating func finishBulkLoad() {
        store.finishBulkLoad()
        for i in indexes.indices { indexes[i].store.finishBulkLoad() }
    }

    @discardableResult
    mutating func put(_ item: Item) -> Item? {
        let (pk, sk) = try! itemKey(item)
        let old = store.put(pk, sk, item)
        for i in indexes.indices {
            if let old, let k = indexKey(indexes[i], old) { indexes[i].store.remove(k.0, k.1) }
            if let k = indexKey(indexes[i], item) { indexes[i].store.put(k.0, k.1, item) }
        }
        return old
    }

    @discardableResult
    mutating func delete(_ key: (KeyPart, [KeyPart])) -> Item? {
        guard let old = store.remove(key.0, key.1) else { return nil }
        for i in indexes.indices {
            if let k = indexKey(indexes[i], old) { indexes[i].store.remove(k.0, k.1) }
        }
        return old
    }

    mutating func backfill(_ i: Int) {
        var s = ItemStore()
        let ix = indexes[i]
        for (_, entries) in store.partitions {
            for e in entries {
                if let k = indexKey(ix, e.item) { s.put(k.0, k.1, e.item) }
            }
        }
        indexes[i].store = s
    }

    /// The item as an index returns it (its projection).
    func projected(_ ix: IndexInfo, _ item: Item) -> Item {
        switch ix.projectionType {
        case "ALL": return item
        default:
            var keep: Set<String> = [hash, ix.hash]
            if let range { keep.insert(range) }
            if let r = ix.range { keep.insert(r) }
            if ix.projectionType == "INCLUDE" { keep.formUnion(ix.nonKey) }
            return item.filter { keep.contains($0.key) }
        }
    }

    // MARK: description

    func throughputValue(_ r: Int64, _ w: Int64) -> Value {
        let v: Value = [
            "ReadCapacityUnits": .integer(billing == "PAY_PER_REQUEST" ? 0 : r),
            "WriteCapacityUnits": .integer(billing == "PAY_PER_REQUEST" ? 0 : w),
            "NumberOfDecreasesToday": 0,
        ]
        return v
    }

    func keySchemaValue(_ h: String, _ r: String?) -> Value {
        var l: [Value] = [["AttributeName": .string(h), "KeyType": "HASH"]]
        if let r { l.append(["AttributeName": .string(r), "KeyType": "RANGE"]) }
        return .list(l)
    }

    func describe(status: String = "ACTIVE") -> Value {
        var d: Value = [
            "TableName": .string(name),
            "TableArn": .string(arn),
            "TableId": .string(id),
            "TableStatus": .string(inaccessibleSince != nil && status == "ACTIVE" ? "INACCESSIBLE_ENCRYPTION_CREDENTIALS" : status),
            "CreationDateTime": .timestamp(created),
            "KeySchema": keySchemaValue(hash, range),
            "AttributeDefinitions": .list(attrDefs.map { ["AttributeName": .string($0.name), "AttributeType": .string($0.type)] }),
            "ItemCount": .integer(Int64(store.count)),
            "TableSizeBytes": .integer(Int64(store.bytes)),
            "ProvisionedThroughput": throughputValue(rcu, wcu),
            "DeletionProtectionEnabled": .bool(deletionProtection),
        ]
        if billing == "PAY_PER_REQUEST" {
            d["BillingModeSummary"] = [
                "BillingMode": "PAY_PER_REQUEST",
                "LastUpdateToPayPerRequestDateTime": .timestamp(billingUpdated ?? created),
            ]
        }
        if tableClass != "STANDARD" { d["TableClassSummary"] = ["TableClass": .string(tableClass)] }
        var gsis: [Value] = [], lsis: [Value] = []
        for ix in indexes {
            var projection: Value = ["ProjectionType": .string(ix.projectionType)]
            if !ix.nonKey.isEmpty { projection["NonKeyAttributes"] = .list(ix.nonKey.map { .string($0) }) }
            var v: Value = [
                "IndexName": .string(ix.name),
                "KeySchema": keySchemaValue(ix.hash, ix.range),
                "Projection": projection,
                "IndexSizeBytes": .integer(Int64(ix.store.bytes)),
                "ItemCount": .integer(Int64(ix.store.count)),
                "IndexArn": .string("\(arn)/index/\(ix.name)"),
            ]
            if ix.global {
                v["IndexStatus"] = "ACTIVE"
                v["ProvisionedThroughput"] = throughputValue(ix.rcu, ix.wcu)
                gsis.append(v)
            } else {
                lsis.append(v)
            }
        }
        if !gsis.isEmpty { d["GlobalSecondaryIndexes"] = .list(gsis) }
        if !lsis.isEmpty { d["LocalSecondaryIndexes"] = .list(lsis) }
        if streamEnabled, let streamLabel {
            d["StreamSpecification"] = ["StreamEnabled": true, "StreamViewType": .string(streamViewType ?? "NEW_AND_OLD_IMAGES")]
            d["LatestStreamLabel"] = .string(streamLabel)
            d["LatestStreamArn"] = .string("\(arn)/stream/\(streamLabel)")
        }
        if let kmsKeyArn {
            var sse: Value = ["Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": .string(kmsKeyArn)]
            if let inaccessibleSince { sse["InaccessibleEncryptionDateTime"] = .timestamp(inaccessibleSince) }
            d["SSEDescription"] = sse
        } else if sseEnabled {
            // Tables from before KMS: enabled without a resolved key.
            d["SSEDescription"] = [
                "Status": "ENABLED", "SSEType": "KMS",
                "KMSMasterKeyArn": .string("arn:aws:kms:\(region):\(account):key/aws/dynamodb"),
            ]
        }
        return d
    }

    // MARK: persistence of the definition

    func meta() -> Value {
        var v: Value = [
            "name": .string(name), "account": .string(account), "region": .string(region), "id": .string(id),
            "created": .double(created), "hash": .string(hash),
            "attrDefs": .list(attrDefs.map { [.string($0.name), .string($0.type)] }),
            "billing": .string(billing), "rcu": .integer(rcu), "wcu": .integer(wcu),
            "tags": .list(tags.map { [.string($0.0), .string($0.1)] }),
            "deletionProtection": .bool(deletionProtection), "streamEnabled": .bool(streamEnabled),
            "sseEnabled": .bool(sseEnabled), "ttlEnabled": .bool(ttlEnabled), "pitr": .bool(pitr),
            "tableClass": .string(tableClass),
            "indexes": .list(indexes.map { ix in
                var o: Value = [
                    "name": .string(ix.name), "global": .bool(ix.global), "hash": .string(ix.hash),
                    "projectionType": .string(ix.projectionType), "nonKey": .list(ix.nonKey.map { .string($0) }),
                    "rcu": .integer(ix.rcu), "wcu": .integer(ix.wcu),
                ]
                if let r = ix.range { o["range"] = .string(r) }
                return o
            }),
        ]
        if let range { v["range"] = .string(range) }
        if let streamViewType { v["streamViewType"] = .string(streamViewType) }
        if let streamLabel { v["streamLabel"] = .string(streamLabel) }
        if let ttlAttr { v["ttlAttr"] = .string(ttlAttr) }
        if let billingUpdated { v["billingUpdated"] = .double(billingUpdated) }
        if let kmsKeyArn { v["kmsKeyArn"] = .string(kmsKeyArn) }
        if let kmsDataKey { v["kmsDataKey"] = .string(Base64.encode(kmsDataKey)) }
        if let kmsGrantId { v["kmsGrantId"] = .string(kmsGrantId) }
        return v
    }

    init(name: String, account: String, region: String, id: String, created: Double, hash: String, range: String?,
         attrDefs: [(name: String, type: String)], billing: String, rcu: Int64, wcu: Int64) {
        self.name = name
        self.account = account
        self.region = region
        self.id = id
        self.created = created
        self.hash = hash
        self.range = range
        self.attrDefs = attrDefs
        self.billing = billing
        self.rcu = rcu
        self.wcu = wcu
    }

    init(meta v: Value) {
        func s(_ k: String) -> String { v[k]?.stringValue ?? "" }
        self.init(
            name: s("name"), account: s("account"), region: s("region"), id: s("id"),
            created: v["created"]?.doubleValue ?? 0, hash: s("hash"), range: v["range"]?.stringValue,
            attrDefs: (v["attrDefs"]?.listValue ?? []).map { p in
                (p.listValue?[0].stringValue ?? "", p.listValue?[1].stringValue ?? "")
            },
            billing: s("billing"), rcu: v["rcu"]?.intValue ?? 0, wcu: v["wcu"]?.intValue ?? 0)
        tags = (v["tags"]?.listValue ?? []).map { ($0.listValue?[0].stringValue ?? "", $0.listValue?[1].stringValue ?? "") }
        deletionProtection = v["deletionProtection"]?.boolValue ?? false
        streamEnabled = v["streamEnabled"]?.boolValue ?? false
        streamViewType = v["streamViewType"]?.stringValue
        streamLabel = v["streamLabel"]?.stringValue
        sseEnabled = v["sseEnabled"]?.boolValue ?? false
        kmsKeyArn = v["kmsKeyArn"]?.stringValue
        kmsDataKey = v["kmsDataKey"]?.stringValue.flatMap { Base64.decode($0) }
        kmsGrantId = v["kmsGrantId"]?.stringValue
        ttlAttr = v["ttlAttr"]?.stringValue
        ttlEnabled = v["ttlEnabled"]?.boolValue ?? false
        pitr = v["pitr"]?.boolValue ?? false
        tableClass = v["tableClass"]?.stringValue ?? "STANDARD"
        billingUpdated = v["billingUpdated"]?.doubleValue
        indexes = (v["indexes"]?.listValue ?? []).map { o in
            IndexInfo(
                name: o["name"]?.stringValue ?? "", global: o["global"]?.boolValue ?? true,
                hash: o["hash"]?.stringValue ?? "", range: o["range"]?.stringValue,
                projectionType: o["projectionType"]?.stringValue ?? "ALL",
                nonKey: (o["nonKey"]?.listValue ?? []).compactMap { $0.stringValue },
                rcu: o["rcu"]?.intValue ?? 0, wcu: o["wcu"]?.intValue ?? 0)
        }
    }
}
