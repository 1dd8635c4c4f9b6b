import SimfraCore
import Testing

@testable import SimfraSQS

/// The queue state machine, driven with explicit times (no clock, no I/O).
@Suite struct QueueStateTests {
    static let t0 = 1_700_000_000.0
    let ids = IdentifierSource(seed: 7)

    func queue(_ name: String = "q", fifo: Bool = false, _ configure: (inout QueueConfig) -> Void = { _ in }) -> SQSQueue {
        var c = QueueConfig()
        configure(&c)
        return SQSQueue(name: name, accountId: "000000000000", region: "us-east-1", isFifo: fifo, config: c, now: Self.t0, ids: ids)
    }

    func message(_ body: String, group: String? = nil, dedup: String? = nil, delay: Int? = nil) -> PreparedMessage {
        PreparedMessage(
            body: body, md5OfBody: MD5.hex(body), attributes: [], md5OfAttributes: nil, systemAttributes: [],
            md5OfSystemAttributes: nil, senderId: "000000000000", delaySeconds: delay, groupId: group,
            deduplicationId: dedup)
    }

    @Test func sendReceiveDelete() throws {
        let q = queue()
        let t = Self.t0
        _ = q.send(message("a"), now: t)
        _ = q.send(message("b"), now: t)
        #expect(q.counts(t) == (2, 0, 0))
        let got = q.receive(max: 10, visibilityTimeout: nil, now: t + 1)
        #expect(got.map(\.body) == ["a", "b"])
        #expect(got.allSatisfy { $0.receiveCount == 1 && $0.firstReceiveTimestamp == SQSQueue.milliseconds(t + 1) })
        #expect(q.counts(t + 1) == (0, 2, 0))
        for m in got { try q.delete(receiptHandle: m.receiptHandle, now: t + 2) }
        #expect(q.counts(t + 2) == (0, 0, 0))
        // Deleting again is fine.
        try q.delete(receiptHandle: got[0].receiptHandle, now: t + 3)
        #expect(q.messages.isEmpty)
    }

    @Test func visibilityTimeoutExpiry() {
        let q = queue { $0.visibilityTimeout = 30 }
        let t = Self.t0
        _ = q.send(message("a"), now: t)
        let first = q.receive(max: 1, visibilityTimeout: nil, now: t)
        #expect(first.count == 1)
        #expect(q.receive(max: 1, visibilityTimeout: nil, now: t + 29.999).isEmpty)
        #expect(q.counts(t + 29.999) == (0, 1, 0))
        let second = q.receive(max: 1, visibilityTimeout: 5, now: t + 30)
        #expect(second.map(\.body) == ["a"])
        #expect(second[0].receiveCount == 2)
        #expect(second[0].receiptHandle != first[0].receiptHandle)
        #expect(second[0].firstReceiveTimestamp == first[0].firstReceiveTimestamp)
        #expect(q.receive(max: 1, visibilityTimeout: nil, now: t + 34).isEmpty)
        #expect(q.receive(max: 1, visibilityTimeout: nil, now: t + 35).count == 1)
    }

    @Test func visibilityTimeoutZeroMakesMessageVisibleAgainImmediately() {
        let q = queue()
        _ = q.send(message("a"), now: Self.t0)
        #expect(q.receive(max: 1, visibilityTimeout: 0, now: Self.t0).count == 1)
        #expect(q.receive(max: 1, visibilityTimeout: nil, now: Self.t0).count == 1)
    }

    @Test func queueAndMessageDelay() {
        let q = queue { $0.delaySeconds = 10 }
        let t = Self.t0
        _ = q.send(message("queue-delay"), now: t)
        _ = q.send(message("message-delay", delay: 2), now: t)
        _ = q.send(message("no-delay", delay: 0), now: t)
        #expect(q.counts(t) == (1, 0, 2))
        #expect(q.receive(max: 10, visibilityTimeout: nil, now: t).map(\.body) == ["no-delay"])
        #expect(q.receive(max: 10, visibilityTimeout: nil, now: t + 2).map(\.body) == ["message-delay"])
        #expect(q.receive(max: 10, visibilityTimeout: nil, now: t + 9.9).isEmpty)
        #expect(q.receive(max: 10, visibilityTimeout: nil, now: t + 10).map(\.body) == ["queue-delay"])
        #expect(q.nextVisibilityChange == t + 30)
    }

    @Test func retentionExpiry() {
        let q = queue { $0.messageRetentionPeriod = 60 }
        let t = Self.t0
        _ = q.send(message("old"), now: t)
        _ = q.send(message("inflight"), now: t + 10)
        _ = q.send(message("young"), now: t + 30)
        #expect(q.receive(max: 1, visibilityTimeout: nil, now: t + 10).map(\.body) == ["old"])
        #expect(q.receive(max: 1, visibilityTimeout: 600, now: t + 11).map(\.body) == ["inflight"])
        // "old" is visible again (its 30 s ran out), "inflight" still in flight.
        #expect(q.counts(t + 59) == (2, 1, 0))
        // Each expires 60 s after its send, whatever its state.
        #expect(q.counts(t + 60) == (1, 1, 0))
        #expect(q.counts(t + 70) == (1, 0, 0))
        #expect(q.counts(t + 90) == (0, 0, 0))
        #expect(q.messages.isEmpty)
    }

    @Test func changeVisibility() throws {
        let q = queue()
        let t = Self.t0
        _ = q.send(message("a"), now: t)
        let m = q.receive(max: 1, visibilityTimeout: 10, now: t)[0]
        try q.changeVisibility(receiptHandle: m.receiptHandle, timeout: 100, now: t + 5)
        #expect(q.receive(max: 1, visibilityTimeout: nil, now: t + 50).isEmpty)
        try q.changeVisibility(receiptHandle: m.receiptHandle, timeout: 0, now: t + 60)
        #expect(q.counts(t + 60) == (1, 0, 0))
        // Standard queue: after the timeout ran out, the old handle still hides the message.
        try q.changeVisibility(receiptHandle: m.receiptHandle, timeout: 20, now: t + 61)
        #expect(q.receive(max: 1, visibilityTimeout: nil, now: t + 70).isEmpty)
        #expect(q.receive(max: 1, visibilityTimeout: nil, now: t + 81).count == 1)
    }

    @Test func visibilityLimitIsTwelveHoursFromReceive() throws {
        let q = queue()
        _ = q.send(message("a"), now: Self.t0)
        let m = q.receive(max: 1, visibilityTimeout: 10, now: Self.t0)[0]
        let e = #expect(throws: AWSError.self) {
            try q.changeVisibility(receiptHandle: m.receiptHandle, timeout: 43_200, now: Self.t0 + 1)
        }
        #expect(e?.message.contains("Total VisibilityTimeout for the message is beyond the limit [43200 seconds]") == true)
        try q.changeVisibility(receiptHandle: m.receiptHandle, timeout: 43_199, now: Self.t0 + 1)
    }

    @Test func receiptHandleErrors() throws {
        let q = queue()
        let other = queue("other")
        _ = other.send(message("x"), now: Self.t0)
        let foreign = other.receive(max: 1, visibilityTimeout: nil, now: Self.t0)[0].receiptHandle
        for h in ["garbage", foreign] {
            let e = #expect(throws: AWSError.self) { try q.delete(receiptHandle: h, now: Self.t0) }
            #expect(e?.code == "ReceiptHandleIsInvalid")
            #expect(e?.message == "The input receipt handle \"\(h)\" is not a valid receipt handle.")
        }
        _ = q.send(message("a"), now: Self.t0)
        let m = q.receive(max: 1, visibilityTimeout: nil, now: Self.t0)[0]
        try q.delete(receiptHandle: m.receiptHandle, now: Self.t0)
        let e = #expect(throws: AWSError.self) { try q.changeVisibility(receiptHandle: m.receiptHandle, timeout: 5, now: Self.t0) }
        #expect(e?.code == "InvalidParameterValueException")
        #expect(e?.queryCode == "InvalidParameterValue")
        #expect(e?.message == "Value \(m.receiptHandle) for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.")
    }

    // MARK: FIFO

    @Test func fifoOrderingAndGroupBlocking() throws {
        let q = queue("q.fifo", fifo: true)
        let t = Self.t0
        for i in 1...3 { _ = q.send(message("a\(i)", group: "A", dedup: "a\(i)"), now: t) }
        for i in 1...2 { _ = q.send(message("b\(i)", group: "B", dedup: "b\(i)"), now: t) }
        // As many of one group as possible, in order.
        let r1 = q.receive(max: 2, visibilityTimeout: 30, now: t)
        #expect(r1.map(\.body) == ["a1", "a2"])
        // Group A is blocked while a1/a2 are in flight; B is served.
        let r2 = q.receive(max: 10, visibilityTimeout: 30, now: t)
        #expect(r2.map(\.body) == ["b1", "b2"])
        #expect(q.receive(max: 10, visibilityTimeout: 30, now: t).isEmpty)
        try q.delete(receiptHandle: r1[0].receiptHandle, now: t + 1)
        #expect(q.receive(max: 10, visibilityTimeout: 30, now: t + 1).isEmpty)
        try q.delete(receiptHandle: r1[1].receiptHandle, now: t + 1)
        #expect(q.receive(max: 10, visibilityTimeout: 30, now: t + 1).map(\.body) == ["a3"])
        // Sequence numbers: 20 digits, increasing in send order.
        let seqs = (r1 + r2).compactMap(\.sequenceNumber)
        #expect(seqs.allSatisfy { $0.count == 20 })
        #expect(seqs[0] < seqs[1] && seqs[1] < seqs[2] && seqs[2] < seqs[3])
    }

    @Test func fifoVisibilityExpiryReturnsMessagesInOrder() {
        let q = queue("q.fifo", fifo: true)
        let t = Self.t0
        for i in 1...3 { _ = q.send(message("m\(i)", group: "g", dedup: "d\(i)"), now: t) }
        #expect(q.receive(max: 2, visibilityTimeout: 10, now: t).map(\.body) == ["m1", "m2"])
        #expect(q.receive(max: 10, visibilityTimeout: 10, now: t + 9).isEmpty)
        #expect(q.receive(max: 10, visibilityTimeout: 10, now: t + 10).map(\.body) == ["m1", "m2", "m3"])
    }

    @Test func fifoExpiredReceiptHandle() throws {
        let q = queue("q.fifo", fifo: true)
        _ = q.send(message("m", group: "g", dedup: "d"), now: Self.t0)
        let m = q.receive(max: 1, visibilityTimeout: 1, now: Self.t0)[0]
        let e = #expect(throws: AWSError.self) { try q.delete(receiptHandle: m.receiptHandle, now: Self.t0 + 2) }
        #expect(e?.message == "Value \(m.receiptHandle) for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
        // Extended in time: deleting works.
        let m2 = q.receive(max: 1, visibilityTimeout: 1, now: Self.t0 + 2)[0]
        try q.changeVisibility(receiptHandle: m2.receiptHandle, timeout: 5, now: Self.t0 + 2.5)
        try q.delete(receiptHandle: m2.receiptHandle, now: Self.t0 + 4)
        #expect(q.counts(Self.t0 + 4) == (0, 0, 0))
    }

    @Test func fifoDeduplicationWindow() {
        let q = queue("q.fifo", fifo: true)
        let t = Self.t0
        let first = q.send(message("x", group: "g", dedup: "same"), now: t)
        let dup = q.send(message("y", group: "g", dedup: "same"), now: t + 299)
        #expect(dup.deduplicated)
        #expect(dup.messageId == first.messageId && dup.sequenceNumber == first.sequenceNumber)
        #expect(q.counts(t + 299).visible == 1)
        // A different group shares the queue-wide scope by default.
        #expect(q.send(message("z", group: "other", dedup: "same"), now: t + 1).deduplicated)
        let later = q.send(message("x", group: "g", dedup: "same"), now: t + 300)
        #expect(!later.deduplicated)
        #expect(q.counts(t + 300).visible == 2)
    }

    @Test func fifoDeduplicationScopedToGroup() {
        let q = queue("q.fifo", fifo: true) { $0.deduplicationScope = "messageGroup" }
        #expect(!q.send(message("x", group: "g1", dedup: "d"), now: Self.t0).deduplicated)
        #expect(!q.send(message("x", group: "g2", dedup: "d"), now: Self.t0).deduplicated)
        #expect(q.send(message("x", group: "g2", dedup: "d"), now: Self.t0).deduplicated)
    }

    @Test func fifoQueueDelayBlocksGroupHead() {
        let q = queue("q.fifo", fifo: true) { $0.delaySeconds = 5 }
        _ = q.send(message("m1", group: "g", dedup: "1"), now: Self.t0)
        #expect(q.counts(Self.t0) == (0, 0, 1))
        #expect(q.receive(max: 1, visibilityTimeout: nil, now: Self.t0 + 4).isEmpty)
        #expect(q.receive(max: 1, visibilityTimeout: nil, now: Self.t0 + 5).map(\.body) == ["m1"])
    }

    @Test func receiveRequestAttemptIdReplaysTheSameBatch() {
        let q = queue("q.fifo", fifo: true)
        for i in 1...3 { _ = q.send(message("m\(i)", group: "g\(i)", dedup: "\(i)"), now: Self.t0) }
        let a = q.receive(max: 2, visibilityTimeout: 30, attemptId: "attempt-1", now: Self.t0)
        let b = q.receive(max: 2, visibilityTimeout: 30, attemptId: "attempt-1", now: Self.t0 + 1)
        #expect(a.map(\.receiptHandle) == b.map(\.receiptHandle))
        let c = q.receive(max: 2, visibilityTimeout: 30, attemptId: "attempt-2", now: Self.t0 + 1)
        #expect(c.map(\.body) == ["m3"])
    }

    // MARK: Dead-letter queues

    @Test func deadLetterMoveOnReceiveExceedingMaxReceiveCount() {
        let dlq = queue("dlq")
        let src = queue("src")
        let target = DeadLetterTarget(queue: dlq, maxReceiveCount: 2)
        let t = Self.t0
        _ = src.send(message("poison"), now: t)
        #expect(src.receive(max: 1, visibilityTimeout: 0, now: t, deadLetter: target).count == 1)
        #expect(src.receive(max: 1, visibilityTimeout: 0, now: t, deadLetter: target).count == 1)
        // The third receive would exceed maxReceiveCount = 2: the message moves instead.
        #expect(src.receive(max: 1, visibilityTimeout: 0, now: t, deadLetter: target).isEmpty)
        #expect(src.counts(t) == (0, 0, 0))
        let moved = dlq.receive(max: 1, visibilityTimeout: nil, now: t)
        #expect(moved.map(\.body) == ["poison"])
        #expect(moved[0].receiveCount == 3)
        #expect(moved[0].deadLetterSourceArn == src.arn)
        #expect(moved[0].sentTimestamp == SQSQueue.milliseconds(t))
    }

    @Test func fifoDeadLetterMoveUnblocksGroup() {
        let dlq = queue("dlq.fifo", fifo: true)
        let src = queue("src.fifo", fifo: true)
        let target = DeadLetterTarget(queue: dlq, maxReceiveCount: 1)
        _ = src.send(message("m1", group: "g", dedup: "1"), now: Self.t0)
        _ = src.send(message("m2", group: "g", dedup: "2"), now: Self.t0)
        #expect(src.receive(max: 1, visibilityTimeout: 0, now: Self.t0, deadLetter: target).map(\.body) == ["m1"])
        // m1 moves to the DLQ; m2 is delivered in the same receive.
        #expect(src.receive(max: 1, visibilityTimeout: 30, now: Self.t0, deadLetter: target).map(\.body) == ["m2"])
        let d = dlq.receive(max: 10, visibilityTimeout: nil, now: Self.t0)
        #expect(d.map(\.body) == ["m1"])
        #expect(d[0].groupId == "g")
    }

    @Test func takeVisibleAndRedrive() {
        let dlq = queue("dlq")
        let src = queue("src")
        _ = dlq.send(message("a"), now: Self.t0)
        _ = dlq.send(message("b"), now: Self.t0)
        _ = dlq.receive(max: 1, visibilityTimeout: 60, now: Self.t0)
        let m = dlq.takeVisible(now: Self.t0)
        #expect(m?.body == "b")
        #expect(dlq.takeVisible(now: Self.t0) == nil)
        src.acceptRedriven(m!, now: Self.t0)
        let r = src.receive(max: 1, visibilityTimeout: nil, now: Self.t0)
        #expect(r.map(\.body) == ["b"])
        #expect(r[0].receiveCount == 1)
    }

    @Test func purge() {
        let q = queue("q.fifo", fifo: true)
        for i in 0..<5 { _ = q.send(message("m\(i)", group: "g\(i % 2)", dedup: "\(i)"), now: Self.t0) }
        _ = q.receive(max: 1, visibilityTimeout: nil, now: Self.t0)
        q.purge(now: Self.t0)
        #expect(q.counts(Self.t0) == (0, 0, 0))
        #expect(q.groups.isEmpty)
        #expect(q.receive(max: 10, visibilityTimeout: nil, now: Self.t0 + 100).isEmpty)
        #expect(q.lastPurgeAt == Self.t0)
    }

    /// Many messages, interleaved operations: counts stay exact and every message is
    /// delivered once per visibility cycle.
    @Test func depthConsistency() throws {
        let q = queue { $0.visibilityTimeout = 5 }
        let t = Self.t0
        let n = 20_000
        for i in 0..<n { _ = q.send(message("m\(i)", delay: i % 3 == 0 ? 1 : nil), now: t) }
        #expect(q.counts(t) == (n - (n + 2) / 3, 0, (n + 2) / 3))
        var received = 0
        var deleted = 0
        var now = t + 1
        while true {
            let batch = q.receive(max: 10, visibilityTimeout: nil, now: now)
            if batch.isEmpty { break }
            received += batch.count
            // Delete every other message; the rest come back after 5 s.
            for (i, m) in batch.enumerated() where i % 2 == 0 {
                try q.delete(receiptHandle: m.receiptHandle, now: now)
                deleted += 1
            }
        }
        #expect(received == n)
        let c = q.counts(now)
        #expect(c.visible == 0 && c.notVisible == n - deleted && c.delayed == 0)
        now += 5
        #expect(q.counts(now) == (n - deleted, 0, 0))
    }
}
