import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraSQS

@Suite struct SQSAccountRemovalTests {
    @Test func removesEveryQueueOfTheAccountInEveryRegion() async throws {
        let records = InMemoryRecords()
        let sqs = SQSService(records: records, clock: ManualClock())
        let a1 = TestContext.make(account: "111111111111")
        let a2 = TestContext.make(account: "111111111111", region: "eu-west-1")
        let b = TestContext.make(account: "222222222222")
        for ctx in [a1, a2, b] {
            _ = try await sqs.handle(operation: "CreateQueue", input: ["QueueName": "q"], context: ctx)
            _ = try await sqs.handle(operation: "SendMessage", input: ["QueueUrl": "q", "MessageBody": "m"], context: ctx)
        }
        #expect(records.count == 3)

        // A long poll parked on one of the account's queues ends when the queue goes.
        let poll = Task {
            try await sqs.handle(operation: "ReceiveMessage", input: ["QueueUrl": "q", "WaitTimeSeconds": 20], context: a2)
        }
        _ = try await sqs.handle(operation: "ReceiveMessage", input: ["QueueUrl": "q"], context: a2)
        try await sqs.removeAccount("111111111111")
        _ = try? await poll.value

        #expect(records.count == 1)
        #expect(try records.loadAll().first?.account == "222222222222")
        for ctx in [a1, a2] {
            let listed = try await sqs.handle(operation: "ListQueues", input: [:], context: ctx)
            let urls = listed["QueueUrls"]?.listValue ?? []
            #expect(urls.isEmpty)
        }
        let kept = try await sqs.handle(operation: "ReceiveMessage", input: ["QueueUrl": "q"], context: b)
        #expect(kept["Messages"]?.listValue?.count == 1)
        // The name can be used again and the queue starts empty.
        _ = try await sqs.handle(operation: "CreateQueue", input: ["QueueName": "q"], context: a1)
        let fresh = try await sqs.handle(operation: "ReceiveMessage", input: ["QueueUrl": "q"], context: a1)
        let messages = fresh["Messages"]?.listValue ?? []
        #expect(messages.isEmpty)
    }
}
