import SimfraCore
import Synchronization
import Testing

@testable import SimfraDynamoDB

/// AWS/DynamoDB metrics: capacity as the service accounts it, latency and returned items per
/// (TableName, Operation), failed conditions apart from other user errors; the caller's
/// answer is unchanged; nothing while no CloudWatch is connected.
@Suite struct DynamoDBMetricsTests {
    final class Sink: MetricSink {
        let points = Mutex<[MetricDatum]>([])
        func publish(accountId: String, region: String, _ data: [MetricDatum]) { points.withLock { $0 += data } }
    }

    let ctx = RequestContext(
        requestId: "r", accountId: "000000000000", region: "us-east-1", principalArn: "arn:aws:iam::000000000000:root",
        userId: "000000000000", accessKeyId: "AKID", service: "dynamodb", operation: "", endpoint: "http://localhost:4599",
        host: "localhost")

    func call(_ s: DynamoDBService, _ op: String, _ input: Value) async throws -> Value {
        try await s.handle(operation: op, input: input, context: ctx)
    }

    func service() async throws -> DynamoDBService {
        let s = DynamoDBService(records: MemoryOnlyRecords(), clock: TestClock(t: 1_700_000_000), ttlSweepInterval: 0)
        _ = try await call(s, "CreateTable", [
            "TableName": "t", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
            "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "g", "AttributeType": "S"]],
            "GlobalSecondaryIndexes": [["IndexName": "byG", "KeySchema": [["AttributeName": "g", "KeyType": "HASH"]],
                                        "Projection": ["ProjectionType": "ALL"]]],
        ])
        return s
    }

    @Test func capacityLatencyItemsAndErrors() async throws {
        let s = try await service()
        let sink = Sink()
        s.metrics.connect(sink)
        for i in 0..<3 {
            _ = try await call(s, "PutItem", ["TableName": "t", "Item": ["pk": ["S": .string("k\(i)")], "g": ["S": "x"]]])
        }
        let got = try await call(s, "GetItem", ["TableName": "t", "Key": ["pk": ["S": "k1"]]])
        #expect(got["ConsumedCapacity"] == nil)
        let q = try await call(s, "Query", ["TableName": "t", "IndexName": "byG", "KeyConditionExpression": "g = :g",
                                            "ExpressionAttributeValues": [":g": ["S": "x"]], "ReturnConsumedCapacity": "TOTAL"])
        #expect(q["ConsumedCapacity"] != nil)
        do {
            _ = try await call(s, "PutItem", ["TableName": "t", "Item": ["pk": ["S": "k1"]],
                                              "ConditionExpression": "attribute_not_exists(pk)"])
        } catch {}
        do { _ = try await call(s, "GetItem", ["TableName": "missing", "Key": ["pk": ["S": "k1"]]]) } catch {}
        s.metrics.flushNow()
        let points = sink.points.withLock { $0 }
        func point(_ name: String, _ dims: [String]) -> MetricDatum? {
            points.first { $0.name == name && $0.dimensions.map { "\($0.name)=\($0.value)" } == dims }
        }
        #expect(point("ConsumedWriteCapacityUnits", ["TableName=t"])?.statistics?.sampleCount == 3)
        #expect(point("ConsumedWriteCapacityUnits", ["TableName=t"])?.statistics?.sum == 3)
        #expect(point("ConsumedReadCapacityUnits", ["TableName=t"])?.statistics?.sampleCount == 2)
        #expect(point("ConsumedReadCapacityUnits", ["TableName=t", "GlobalSecondaryIndexName=byG"])?.statistics?.sampleCount == 1)
        let latency = point("SuccessfulRequestLatency", ["TableName=t", "Operation=PutItem"])
        #expect(latency?.unit == "Milliseconds" && latency?.statistics?.sampleCount == 3)
        #expect(point("ReturnedItemCount", ["TableName=t", "Operation=Query"])?.statistics?.sum == 3)
        #expect(point("ConditionalCheckFailedRequests", ["TableName=t"])?.statistics?.sum == 1)
        #expect(point("UserErrors", [])?.statistics?.sum == 1)
        #expect(points.allSatisfy { $0.namespace == "AWS/DynamoDB" })
    }

    @Test func nothingWithoutCloudWatch() async throws {
        let s = try await service()
        _ = try await call(s, "PutItem", ["TableName": "t", "Item": ["pk": ["S": "a"]]])
        let sink = Sink()
        s.metrics.connect(sink)
        s.metrics.flushNow()
        #expect(sink.points.withLock { $0 }.isEmpty)
    }
}
