import SimfraCore
import Synchronization
import Testing

@testable import SimfraDynamoDB

/// A DurableRecords that keeps rows in memory, to prove write-through and restore.
final class RecordingStore: DurableRecords {
    let rows = Mutex<[String: DurableRecord]>([:])
    var isPersistent: Bool { true }

    func put(kind: String, account: String, region: String, id: String, data: [UInt8]) -> Commit {
        rows.withLock { $0["\(kind)|\(account)|\(region)|\(id)"] = DurableRecord(kind: kind, account: account, region: region, id: id, data: data) }
        return .done
    }

    func delete(kind: String, account: String, region: String, id: String) -> Commit {
        rows.withLock { $0["\(kind)|\(account)|\(region)|\(id)"] = nil }
        return .done
    }

    func apply(_ writes: [DurableWrite]) -> Commit {
        for w in writes {
            switch w {
            case .put(let k, let a, let r, let i, let d): _ = put(kind: k, account: a, region: r, id: i, data: d)
            case .delete(let k, let a, let r, let i): _ = delete(kind: k, account: a, region: r, id: i)
            }
        }
        return .done
    }

    func loadAll() throws -> [DurableRecord] { rows.withLock { r in r.keys.sorted().map { r[$0]! } } }
    func seal(_ plaintext: [UInt8], aad: String) -> [UInt8] { plaintext }
    func unseal(_ sealed: [UInt8], aad: String) throws -> [UInt8] { sealed }
    var count: Int { rows.withLock { $0.count } }
}

struct TestClock: SimfraClock {
    let t: Double
    func now() -> Double { t }
}

private let ctx = RequestContext(
    requestId: "r", accountId: "000000000000", region: "us-east-1", principalArn: "arn:aws:iam::000000000000:root",
    userId: "000000000000", accessKeyId: "AKID", service: "dynamodb", operation: "", endpoint: "http://localhost:4599",
    host: "localhost")

private func S(_ s: String) -> Value { ["S": .string(s)] }
private func N(_ s: String) -> Value { ["N": .string(s)] }

private func makeService(_ records: any DurableRecords = MemoryOnlyRecords()) async throws -> DynamoDBService {
    let svc = DynamoDBService(records: records, clock: TestClock(t: 1_700_000_000), ttlSweepInterval: 0)
    _ = try await svc.handle(operation: "CreateTable", input: [
        "TableName": "t", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"]],
        "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "sk", "AttributeType": "N"]],
        "StreamSpecification": ["StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"],
    ], context: ctx)
    return svc
}

@Suite struct ServiceTests {
    @Test func writeThroughAndRestore() async throws {
        let rec = RecordingStore()
        let svc = try await makeService(rec)
        for i in 0..<20 {
            _ = try await svc.handle(operation: "PutItem", input: ["TableName": "t", "Item": ["pk": S("p\(i % 3)"), "sk": N(String(i)), "v": ["B": .blob([UInt8(i)])]]], context: ctx)
        }
        _ = try await svc.handle(operation: "DeleteItem", input: ["TableName": "t", "Key": ["pk": S("p0"), "sk": N("0")]], context: ctx)
        #expect(rec.count == 1 + 19)
        let before = try await svc.handle(operation: "DescribeTable", input: ["TableName": "t"], context: ctx)
        let svc2 = DynamoDBService(records: rec, clock: TestClock(t: 1_700_000_000), ttlSweepInterval: 0)
        try svc2.restore()
        let after = try await svc2.handle(operation: "DescribeTable", input: ["TableName": "t"], context: ctx)
        #expect(before == after)
        let q = try await svc2.handle(operation: "Query", input: ["TableName": "t", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": [":p": S("p1")]], context: ctx)
        #expect(q["Count"] == .integer(7))
        _ = try await svc2.handle(operation: "DeleteTable", input: ["TableName": "t"], context: ctx)
        #expect(rec.count == 0)
    }

    @Test func streamsRecordChanges() async throws {
        let svc = try await makeService()
        let streams = DynamoDBStreamsService(dynamodb: svc)
        _ = try await svc.handle(operation: "PutItem", input: ["TableName": "t", "Item": ["pk": S("a"), "sk": N("1")]], context: ctx)
        _ = try await svc.handle(operation: "UpdateItem", input: ["TableName": "t", "Key": ["pk": S("a"), "sk": N("1")], "UpdateExpression": "SET x = :x", "ExpressionAttributeValues": [":x": S("y")]], context: ctx)
        _ = try await svc.handle(operation: "DeleteItem", input: ["TableName": "t", "Key": ["pk": S("a"), "sk": N("1")]], context: ctx)
        let list = try await streams.handle(operation: "ListStreams", input: ["TableName": "t"], context: ctx)
        let arn = list["Streams"]?.listValue?.first?["StreamArn"]?.stringValue ?? ""
        let desc = try await streams.handle(operation: "DescribeStream", input: ["StreamArn": .string(arn)], context: ctx)
        let shard = desc["StreamDescription"]?["Shards"]?.listValue?.first?["ShardId"] ?? .null
        let it = try await streams.handle(operation: "GetShardIterator", input: ["StreamArn": .string(arn), "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"], context: ctx)
        let recs = try await streams.handle(operation: "GetRecords", input: ["ShardIterator": it["ShardIterator"]!], context: ctx)
        let names = recs["Records"]?.listValue?.compactMap { $0["eventName"]?.stringValue }
        #expect(names == ["INSERT", "MODIFY", "REMOVE"])
        let next = try await streams.handle(operation: "GetRecords", input: ["ShardIterator": recs["NextShardIterator"]!], context: ctx)
        #expect(next["Records"]?.listValue?.isEmpty == true)
    }

    @Test func ttlExpiry() async throws {
        let svc = try await makeService()
        _ = try await svc.handle(operation: "UpdateTimeToLive", input: ["TableName": "t", "TimeToLiveSpecification": ["Enabled": true, "AttributeName": "exp"]], context: ctx)
        _ = try await svc.handle(operation: "PutItem", input: ["TableName": "t", "Item": ["pk": S("old"), "sk": N("1"), "exp": N("1600000000")]], context: ctx)
        _ = try await svc.handle(operation: "PutItem", input: ["TableName": "t", "Item": ["pk": S("new"), "sk": N("1"), "exp": N("1800000000")]], context: ctx)
        svc.expireItems(now: 1_700_000_000)
        let scan = try await svc.handle(operation: "Scan", input: ["TableName": "t"], context: ctx)
        #expect(scan["Count"] == .integer(1))
    }

    @Test func transactionIdempotency() async throws {
        let svc = try await makeService()
        let put: Value = ["TransactItems": [["Put": ["TableName": "t", "Item": ["pk": S("a"), "sk": N("1")], "ConditionExpression": "attribute_not_exists(pk)"]]], "ClientRequestToken": "tok"]
        _ = try await svc.handle(operation: "TransactWriteItems", input: put, context: ctx)
        _ = try await svc.handle(operation: "TransactWriteItems", input: put, context: ctx)  // replay: no condition failure
        await #expect(throws: AWSError.self) {
            _ = try await svc.handle(operation: "TransactWriteItems", input: ["TransactItems": [["Put": ["TableName": "t", "Item": ["pk": S("b"), "sk": N("1")]]]], "ClientRequestToken": "tok"], context: ctx)
        }
    }

    @Test func partiQLBasics() async throws {
        let svc = try await makeService()
        func run(_ st: String, _ params: [Value] = []) async throws -> Value {
            try await svc.handle(operation: "ExecuteStatement", input: ["Statement": .string(st), "Parameters": .list(params)], context: ctx)
        }
        _ = try await run("INSERT INTO \"t\" VALUE {'pk': 'a', 'sk': 1, 'status': 'new', 'tags': <<'x', 'y'>>, 'm': {'k': [1, 'two']}}")
        _ = try await run("INSERT INTO t VALUE {'pk': ?, 'sk': ?}", [S("b"), N("2")])
        await #expect(throws: AWSError.self) { _ = try await run("INSERT INTO t VALUE {'pk': 'a', 'sk': 1}") }
        var r = try await run("SELECT * FROM t WHERE pk = 'a' AND sk = 1")
        #expect(r["Items"]?.listValue?.first?["status"] == S("new"))
        _ = try await run("UPDATE t SET status = 'done' SET n = 5 WHERE pk = 'a' AND sk = 1")
        r = try await run("SELECT status, m.k[1] FROM t WHERE pk = ? AND sk = ?", [S("a"), N("1")])
        #expect(r["Items"] == [["status": S("done"), "m": ["M": ["k": ["L": [S("two")]]]]]])
        r = try await run("SELECT pk FROM t WHERE n IS MISSING")
        #expect(r["Items"] == [["pk": S("b")]])
        _ = try await run("DELETE FROM t WHERE pk = 'b' AND sk = 2")
        r = try await run("SELECT * FROM \"t\"")
        #expect(r["Items"]?.listValue?.count == 1)
        await #expect(throws: AWSError.self) { _ = try await run("UPDATE t SET x = 1 WHERE pk = 'zz' AND sk = 1") }
    }

    @Test func partiQLTransaction() async throws {
        let svc = try await makeService()
        let ok: Value = ["TransactStatements": [
            ["Statement": "INSERT INTO t VALUE {'pk': 'a', 'sk': 1}"],
            ["Statement": "INSERT INTO t VALUE {'pk': 'b', 'sk': 1}"],
        ]]
        _ = try await svc.handle(operation: "ExecuteTransaction", input: ok, context: ctx)
        do {
            _ = try await svc.handle(operation: "ExecuteTransaction", input: ["TransactStatements": [
                ["Statement": "INSERT INTO t VALUE {'pk': 'c', 'sk': 1}"],
                ["Statement": "INSERT INTO t VALUE {'pk': 'a', 'sk': 1}"],
            ]], context: ctx)
            Issue.record("expected a cancellation")
        } catch let e as AWSError {
            #expect(e.code == "TransactionCanceledException")
            #expect(e.message.hasSuffix("[None, ConditionalCheckFailed]"))
        }
        let r = try await svc.handle(operation: "ExecuteTransaction", input: ["TransactStatements": [
            ["Statement": "SELECT * FROM t WHERE pk = 'a' AND sk = 1"], ["Statement": "SELECT * FROM t WHERE pk = 'c' AND sk = 1"],
        ]], context: ctx)
        #expect(r["Responses"]?.listValue?.count == 2)
        #expect(r["Responses"]?.listValue?[1] == .empty)
    }

    @Test func legacyParameters() async throws {
        let svc = try await makeService()
        for i in 0..<5 {
            _ = try await svc.handle(operation: "PutItem", input: ["TableName": "t", "Item": ["pk": S("a"), "sk": N(String(i))]], context: ctx)
        }
        await #expect(throws: AWSError.self) {
            _ = try await svc.handle(operation: "PutItem", input: ["TableName": "t", "Item": ["pk": S("a"), "sk": N("1")], "Expected": ["pk": ["Exists": false]]], context: ctx)
        }
        _ = try await svc.handle(operation: "UpdateItem", input: ["TableName": "t", "Key": ["pk": S("a"), "sk": N("1")], "AttributeUpdates": ["c": ["Action": "ADD", "Value": N("2")]]], context: ctx)
        let q = try await svc.handle(operation: "Query", input: [
            "TableName": "t",
            "KeyConditions": ["pk": ["ComparisonOperator": "EQ", "AttributeValueList": [S("a")]], "sk": ["ComparisonOperator": "BETWEEN", "AttributeValueList": [N("1"), N("3")]]],
            "QueryFilter": ["c": ["ComparisonOperator": "NOT_NULL"]],
        ], context: ctx)
        #expect(q["Count"] == .integer(1) && q["ScannedCount"] == .integer(3))
        do {
            _ = try await svc.handle(operation: "Scan", input: ["TableName": "t", "ScanFilter": ["c": ["ComparisonOperator": "NOT_NULL"]], "FilterExpression": "attribute_exists(c)"], context: ctx)
            Issue.record("mixing must fail")
        } catch let e as AWSError {
            #expect(e.message == "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}")
        }
    }
}
