import SimfraCore
import Synchronization
import Testing

@testable import SimfraDynamoDB

/// KMS behind the invoker: one key whose state the test sets, every call recorded.
final class FakeKMS: ServiceInvoker, @unchecked Sendable {
    static let arn = "arn:aws:kms:us-east-1:000000000000:key/9f1e2d3c-0000-4000-8000-000000000001"
    let calls = Mutex<[InternalCall]>([])
    let keyState = Mutex("Enabled")

    func invoke(_ call: InternalCall) async throws -> Value {
        calls.withLock { $0.append(call) }
        let state = keyState.withLock { $0 }
        switch call.operation {
        case "DescribeKey":
            return ["KeyMetadata": ["Arn": .string(Self.arn), "KeyState": .string(state), "KeySpec": "SYMMETRIC_DEFAULT"]]
        case "CreateGrant":
            return ["GrantId": "g1", "GrantToken": "t"]
        case "RetireGrant":
            return [:]
        case "GenerateDataKey", "Decrypt":
            if state == "Disabled" { throw AWSError(code: "DisabledException", message: "\(Self.arn) is disabled.") }
            if state == "PendingDeletion" {
                throw AWSError(code: "KMSInvalidStateException", message: "\(Self.arn) is pending deletion.")
            }
            return ["Plaintext": .blob(Array(repeating: 1, count: 32)), "CiphertextBlob": .blob([9, 9, 9]), "KeyId": .string(Self.arn)]
        default:
            throw AWSError(code: "UnsupportedOperation", message: call.operation)
        }
    }

    var operations: [String] { calls.withLock { $0.map(\.operation) } }
}

/// A clock tests move by hand.
final class MovingClock: SimfraClock {
    private let t = Mutex(1_700_000_000.0)
    func now() -> Double { t.withLock { $0 } }
    func advance(_ s: Double) { t.withLock { $0 += s } }
}

@Suite struct DynamoDBEncryptionTests {
    let ctx = RequestContext(
        requestId: "r", accountId: "000000000000", region: "us-east-1", principalArn: "arn:aws:iam::000000000000:root",
        userId: "000000000000", accessKeyId: "AKID", service: "dynamodb", operation: "", endpoint: "http://localhost:4599",
        host: "localhost")

    func call(_ svc: DynamoDBService, _ op: String, _ input: Value) async throws -> Value {
        try await svc.handle(operation: op, input: input, context: ctx)
    }

    func code(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let e as AWSError {
            return e.code
        } catch {
            return "\(error)"
        }
    }

    @Test func kmsTableDescribesItsKeyAndFollowsTheKeysState() async throws {
        let records = RecordingStore()
        let clock = MovingClock()
        let svc = DynamoDBService(records: records, clock: clock, ttlSweepInterval: 0)
        let kms = FakeKMS()
        svc.invoker.connect(kms)
        let created = try await call(svc, "CreateTable", [
            "TableName": "t", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
            "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"]],
            "SSESpecification": ["Enabled": true, "SSEType": "KMS", "KMSMasterKeyId": "alias/mine"],
        ])
        #expect(created["TableDescription"]?["SSEDescription"] == [
            "Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": .string(FakeKMS.arn),
        ])
        let describe = kms.calls.withLock { $0[0] }
        #expect(describe.operation == "DescribeKey")
        #expect(describe.input["KeyId"] == "alias/mine")
        #expect(describe.via == "dynamodb.amazonaws.com")
        let gen = kms.calls.withLock { $0[1] }
        #expect(gen.input["EncryptionContext"] == ["aws:dynamodb:tableName": "t", "aws:dynamodb:subscriberId": "000000000000"])
        let grant = kms.calls.withLock { $0[2] }
        #expect(grant.operation == "CreateGrant")
        #expect(grant.input["GranteePrincipal"] == "dynamodb.amazonaws.com")
        #expect(grant.input["Constraints"]?["EncryptionContextSubset"] == gen.input["EncryptionContext"])

        _ = try await call(svc, "PutItem", ["TableName": "t", "Item": ["pk": ["S": "a"]]])
        #expect(kms.operations.last == "Decrypt")
        #expect(kms.calls.withLock { $0.last!.asService } == nil)
        // Checked once per interval per caller.
        _ = try await call(svc, "GetItem", ["TableName": "t", "Key": ["pk": ["S": "a"]]])
        #expect(kms.operations.count == 4)
        // DescribeTable checks as DynamoDB itself.
        _ = try await call(svc, "DescribeTable", ["TableName": "t"])
        #expect(kms.calls.withLock { $0.last!.asService } == "dynamodb.amazonaws.com")

        kms.keyState.withLock { $0 = "Disabled" }
        clock.advance(2)
        let e = await code { _ = try await call(svc, "GetItem", ["TableName": "t", "Key": ["pk": ["S": "a"]]]) }
        #expect(e == "AccessDeniedException")
        let d = try await call(svc, "DescribeTable", ["TableName": "t"])
        #expect(d["Table"]?["TableStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS")
        #expect(d["Table"]?["SSEDescription"]?["InaccessibleEncryptionDateTime"] != nil)
        #expect(await code {
            _ = try await call(svc, "BatchWriteItem", ["RequestItems": ["t": [["PutRequest": ["Item": ["pk": ["S": "b"]]]]]]])
        } == "AccessDeniedException")
        #expect(await code { _ = try await call(svc, "ExecuteStatement", ["Statement": "SELECT * FROM \"t\""]) } == "AccessDeniedException")

        kms.keyState.withLock { $0 = "Enabled" }
        clock.advance(2)
        let back = try await call(svc, "DescribeTable", ["TableName": "t"])
        #expect(back["Table"]?["TableStatus"] == "ACTIVE")
        #expect(back["Table"]?["SSEDescription"]?["InaccessibleEncryptionDateTime"] == nil)
        #expect(try await call(svc, "GetItem", ["TableName": "t", "Key": ["pk": ["S": "a"]]])["Item"] != nil)

        // The key survives a restart.
        let again = DynamoDBService(records: records, clock: clock, ttlSweepInterval: 0)
        try again.restore()
        again.invoker.connect(kms)
        let r = try await again.handle(operation: "DescribeTable", input: ["TableName": "t"], context: ctx)
        #expect(r["Table"]?["SSEDescription"]?["KMSMasterKeyArn"] == .string(FakeKMS.arn))

        // Back to an AWS owned key: the grant is retired; no SSEDescription, no KMS calls.
        _ = try await call(svc, "UpdateTable", ["TableName": "t", "SSESpecification": ["Enabled": false]])
        #expect(kms.operations.last == "RetireGrant")
        #expect(kms.calls.withLock { $0.last!.input["GrantId"] } == "g1")
        let n = kms.operations.count
        kms.keyState.withLock { $0 = "Disabled" }
        clock.advance(2)
        _ = try await call(svc, "GetItem", ["TableName": "t", "Key": ["pk": ["S": "a"]]])
        #expect(kms.operations.count == n)
        #expect(try await call(svc, "DescribeTable", ["TableName": "t"])["Table"]?["SSEDescription"] == nil)
    }

    @Test func aDisabledKeyIsRefusedAtCreation() async throws {
        let svc = DynamoDBService(records: MemoryOnlyRecords(), clock: MovingClock(), ttlSweepInterval: 0)
        let kms = FakeKMS()
        svc.invoker.connect(kms)
        kms.keyState.withLock { $0 = "Disabled" }
        #expect(await code {
            _ = try await call(svc, "CreateTable", [
                "TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
                "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"]],
                "SSESpecification": ["Enabled": true],
            ])
        } == "ValidationException")
        #expect(kms.calls.withLock { $0[0].input["KeyId"] } == "alias/aws/dynamodb")
    }
}
