import SimfraCore
import Testing

@testable import SimfraDynamoDB

@Suite struct DynamoDBAccountRemovalTests {
    private func context(_ account: String, _ region: String = "us-east-1") -> RequestContext {
        RequestContext(
            requestId: "r", accountId: account, region: region, principalArn: "arn:aws:iam::\(account):root",
            userId: account, accessKeyId: "AKID", service: "dynamodb", operation: "", endpoint: "http://localhost:4599",
            host: "localhost")
    }

    @Test func removesTablesItemsAndStreamsOfTheAccountOnly() async throws {
        let records = RecordingStore()
        let ddb = DynamoDBService(records: records, clock: TestClock(t: 1_700_000_000), ttlSweepInterval: 0)
        let a1 = context("111111111111"), a2 = context("111111111111", "eu-west-1"), b = context("222222222222")
        for ctx in [a1, a2, b] {
            _ = try await ddb.handle(operation: "CreateTable", input: [
                "TableName": "t", "BillingMode": "PAY_PER_REQUEST", "DeletionProtectionEnabled": true,
                "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
                "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"]],
                "StreamSpecification": ["StreamEnabled": true, "StreamViewType": "NEW_IMAGE"],
            ], context: ctx)
            for i in 0..<5 {
                _ = try await ddb.handle(operation: "PutItem", input: ["TableName": "t", "Item": ["pk": ["S": .string("k\(i)")]]],
                                         context: ctx)
            }
        }
        #expect(records.count == 18)
        #expect(ddb.state.withLock { $0.streams.count } == 3)

        try await ddb.removeAccount("111111111111")

        #expect(records.count == 6)
        #expect(try records.loadAll().allSatisfy { $0.account == "222222222222" })
        #expect(ddb.state.withLock { s in s.streams.keys.allSatisfy { $0.contains(":222222222222:") } && s.streams.count == 1 })
        for ctx in [a1, a2] {
            #expect(try await ddb.handle(operation: "ListTables", input: [:], context: ctx)["TableNames"] == [])
        }
        let scan = try await ddb.handle(operation: "Scan", input: ["TableName": "t"], context: b)
        #expect(scan["Count"]?.intValue == 5)
        // A restart from the records agrees.
        let again = DynamoDBService(records: records, clock: TestClock(t: 1_700_000_000), ttlSweepInterval: 0)
        try again.restore()
        #expect(try await again.handle(operation: "ListTables", input: [:], context: a1)["TableNames"] == [])
        #expect(try await again.handle(operation: "ListTables", input: [:], context: b)["TableNames"] == ["t"])
    }
}
