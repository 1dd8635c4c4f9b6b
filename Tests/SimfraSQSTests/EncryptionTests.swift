import SimfraCore
import SimfraTestSupport
import Synchronization
import Testing

@testable import SimfraSQS

/// KMS behind the invoker: data keys on demand, every call recorded, failures as told.
final class FakeKMS: ServiceInvoker, @unchecked Sendable {
    let calls = Mutex<[InternalCall]>([])
    let failure = Mutex<AWSError?>(nil)

    func invoke(_ call: InternalCall) async throws -> Value {
        calls.withLock { $0.append(call) }
        if let f = failure.withLock({ $0 }) { throw f }
        switch call.operation {
        case "GenerateDataKey":
            return ["Plaintext": .blob(Array(repeating: 7, count: 32)), "CiphertextBlob": .blob([1, 2, 3]),
                    "KeyId": "arn:aws:kms:us-east-1:000000000000:key/k"]
        case "Decrypt":
            return ["Plaintext": .blob(Array(repeating: 7, count: 32)), "KeyId": "arn:aws:kms:us-east-1:000000000000:key/k"]
        default:
            throw AWSError(code: "UnsupportedOperation", message: call.operation)
        }
    }

    var operations: [String] { calls.withLock { $0.map(\.operation) } }
}

@Suite struct SQSEncryptionTests {
    func setUp(_ attrs: [String: Value]) async throws -> (SQSService, FakeKMS, ManualClock, String) {
        let clock = ManualClock()
        let sqs = SQSService(records: InMemoryRecords(), clock: clock)
        let kms = FakeKMS()
        sqs.invoker.connect(kms)
        let url = try await sqs.call("CreateQueue", ["QueueName": "q", "Attributes": .object(attrs)])["QueueUrl"]!
        return (sqs, kms, clock, url.stringValue!)
    }

    @Test func sendAndReceiveAskKMSAsTheCallerWithinTheReusePeriod() async throws {
        let (sqs, kms, clock, url) = try await setUp(["KmsMasterKeyId": "alias/mine", "KmsDataKeyReusePeriodSeconds": "60"])
        _ = try await sqs.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "a"])
        let gen = kms.calls.withLock { $0[0] }
        #expect(gen.operation == "GenerateDataKey")
        #expect(gen.input["KeyId"] == "alias/mine")
        #expect(gen.input["EncryptionContext"] == ["aws:sqs:arn": "arn:aws:sqs:us-east-1:000000000000:q"])
        #expect(gen.via == "sqs.amazonaws.com")
        // Reused within the period, for the same caller.
        _ = try await sqs.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "b"])
        #expect(kms.operations == ["GenerateDataKey"])
        let got = try await sqs.call("ReceiveMessage", ["QueueUrl": .string(url), "MaxNumberOfMessages": 10])
        #expect(got["Messages"]?.listValue?.count == 2)
        #expect(kms.operations == ["GenerateDataKey", "Decrypt"])
        // Another caller is asked about on its own.
        let other = TestContext.make(account: "000000000000")
        var user = other
        user.principalArn = "arn:aws:iam::000000000000:user/u"
        _ = try await sqs.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "c"], context: user)
        #expect(kms.operations.last == "GenerateDataKey")
        #expect(kms.operations.count == 3)
        // After the period a new data key.
        clock.advance(61)
        _ = try await sqs.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "d"])
        #expect(kms.operations.count == 4)
    }

    @Test func kmsRefusalsAreSQSErrors() async throws {
        let (sqs, kms, _, url) = try await setUp(["KmsMasterKeyId": "alias/none"])
        kms.failure.withLock { $0 = AWSError(code: "NotFoundException", message: "Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found.") }
        let e = await sqs.callError("SendMessage", ["QueueUrl": .string(url), "MessageBody": "a"])
        #expect(e?.code == "KmsNotFound")
        #expect(e?.queryCode == "KMS.NotFoundException")
        #expect(e?.status == 400)
        #expect(e?.message.hasPrefix("Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found.") == true)
        kms.failure.withLock { $0 = AWSError(code: "AccessDeniedException", message: "User: x is not authorized to perform: kms:GenerateDataKey") }
        let d = await sqs.callError("SendMessage", ["QueueUrl": .string(url), "MessageBody": "a"])
        #expect(d?.queryCode == "KMS.AccessDeniedException")
        #expect(d?.code == "KmsAccessDenied")
        // Nothing was enqueued by the failed sends.
        kms.failure.withLock { $0 = nil }
        #expect(try await sqs.call("ReceiveMessage", ["QueueUrl": .string(url)])["Messages"] == nil)
        // A receiver KMS refuses to decrypt for gets the error and the message stays.
        _ = try await sqs.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "a"])
        kms.failure.withLock { $0 = AWSError(code: "DisabledException", message: "key is disabled.") }
        let r = await sqs.callError("ReceiveMessage", ["QueueUrl": .string(url)])
        #expect(r?.code == "KmsDisabled")
        #expect(r?.queryCode == "KMS.DisabledException")
        kms.failure.withLock { $0 = nil }
        #expect(try await sqs.call("ReceiveMessage", ["QueueUrl": .string(url)])["Messages"]?.listValue?.count == 1)
    }

    @Test func queuesWithoutKMSNeverCallIt() async throws {
        let (sqs, kms, _, url) = try await setUp(["SqsManagedSseEnabled": "true"])
        _ = try await sqs.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "a"])
        _ = try await sqs.call("ReceiveMessage", ["QueueUrl": .string(url)])
        #expect(kms.operations.isEmpty)
    }
}
