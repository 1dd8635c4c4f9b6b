import SimfraCore
import Testing

@testable import SimfraSQS

/// Long polling on the real clock: waiters park without a thread and are woken by sends,
/// visibility changes, their timer, deletion and cancellation. Other suites run alongside on a
/// 2-core machine, and CPU-bound ones (pattern and statistics tables) can hold both of the
/// cooperative pool's threads for seconds, so "woken early" is asserted as well before the
/// waiter's own 20 s deadline (under 15 s), not as a tight latency.
@Suite struct LongPollTests {
    let records = MemoryOnlyRecords()

    func setUp(_ attrs: [String: Value] = [:]) async throws -> (SQSService, String) {
        let s = SQSService(records: records)
        let out = try await s.call("CreateQueue", ["QueueName": "lp", "Attributes": .object(attrs)])
        return (s, out.string("QueueUrl")!)
    }

    static func elapsed(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    @Test func sendWakesWaiterWithinMilliseconds() async throws {
        let (s, url) = try await setUp()
        let start = ContinuousClock.now
        let poll = Task { try await s.call("ReceiveMessage", ["QueueUrl": .string(url), "WaitTimeSeconds": 20]) }
        try await Task.sleep(for: .milliseconds(100))
        let sentAt = ContinuousClock.now
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "wake"])
        let got = try await poll.value
        let wake = ContinuousClock.now - sentAt
        #expect(got["Messages"]?.listValue?.first?.string("Body") == "wake")
        #expect(wake < .seconds(15))
        #expect(Self.elapsed(since: start) < 15)
    }

    @Test func timesOutEmpty() async throws {
        let (s, url) = try await setUp()
        let start = ContinuousClock.now
        let got = try await s.call("ReceiveMessage", ["QueueUrl": .string(url), "WaitTimeSeconds": 1])
        let t = Self.elapsed(since: start)
        #expect(got == .empty)
        // Not late by a 20 s default; the pool can be held for seconds by other suites.
        #expect(t >= 0.95 && t < 15)
    }

    @Test func queueDefaultWaitTimeApplies() async throws {
        // 6 s, so "WaitTimeSeconds 0 does not wait" stays clear of pool stalls of a few seconds.
        let (s, url) = try await setUp(["ReceiveMessageWaitTimeSeconds": "6"])
        let start = ContinuousClock.now
        _ = try await s.call("ReceiveMessage", ["QueueUrl": .string(url)])
        #expect(Self.elapsed(since: start) >= 5.95)
        let quick = ContinuousClock.now
        _ = try await s.call("ReceiveMessage", ["QueueUrl": .string(url), "WaitTimeSeconds": 0])
        #expect(Self.elapsed(since: quick) < 5.5)
    }

    @Test func delayedMessageWakesWaiter() async throws {
        let (s, url) = try await setUp()
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "later", "DelaySeconds": 1])
        let start = ContinuousClock.now
        let got = try await s.call("ReceiveMessage", ["QueueUrl": .string(url), "WaitTimeSeconds": 20])
        let t = Self.elapsed(since: start)
        #expect(got["Messages"]?.listValue?.first?.string("Body") == "later")
        #expect(t >= 0.9 && t < 15)
    }

    @Test func visibilityExpiryWakesWaiter() async throws {
        let (s, url) = try await setUp()
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "again"])
        _ = try await s.call("ReceiveMessage", ["QueueUrl": .string(url), "VisibilityTimeout": 1])
        let start = ContinuousClock.now
        let got = try await s.call("ReceiveMessage", ["QueueUrl": .string(url), "WaitTimeSeconds": 20])
        #expect(got["Messages"]?.listValue?.first?.string("Body") == "again")
        #expect(Self.elapsed(since: start) < 15)
    }

    @Test func deleteQueueEndsPoll() async throws {
        let (s, url) = try await setUp()
        let poll = Task { try await s.call("ReceiveMessage", ["QueueUrl": .string(url), "WaitTimeSeconds": 20]) }
        try await Task.sleep(for: .milliseconds(100))
        let start = ContinuousClock.now
        _ = try await s.call("DeleteQueue", ["QueueUrl": .string(url)])
        let got = try await poll.value
        #expect(got == .empty)
        #expect(Self.elapsed(since: start) < 15)
    }

    @Test func cancellationEndsPollAndKeepsTheMessage() async throws {
        let (s, url) = try await setUp()
        let poll = Task { try await s.call("ReceiveMessage", ["QueueUrl": .string(url), "WaitTimeSeconds": 20]) }
        try await Task.sleep(for: .milliseconds(100))
        let start = ContinuousClock.now
        poll.cancel()
        let got = try await poll.value
        #expect(got == .empty)
        #expect(Self.elapsed(since: start) < 15)
        // The cancelled poll took nothing: a later send is there for the next receive.
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "kept"])
        let next = try await s.call("ReceiveMessage", ["QueueUrl": .string(url)])
        #expect(next["Messages"]?.listValue?.first?.string("Body") == "kept")
    }

    @Test func manyWaitersOneMessageEach() async throws {
        let (s, url) = try await setUp()
        let polls = (0..<5).map { _ in
            Task { try await s.call("ReceiveMessage", ["QueueUrl": .string(url), "WaitTimeSeconds": 20]) }
        }
        try await Task.sleep(for: .milliseconds(100))
        let start = ContinuousClock.now
        _ = try await s.call("SendMessageBatch", ["QueueUrl": .string(url), "Entries": .list((0..<5).map {
            ["Id": .string("e\($0)"), "MessageBody": .string("m\($0)")]
        })])
        var bodies: [String] = []
        for p in polls {
            let got = try await p.value
            bodies += got["Messages"]?.listValue?.compactMap { $0.string("Body") } ?? []
        }
        #expect(bodies.sorted() == ["m0", "m1", "m2", "m3", "m4"])
        #expect(Self.elapsed(since: start) < 15)
    }
}
