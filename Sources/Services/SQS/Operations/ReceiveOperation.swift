import SimfraCore
import Synchronization

/// ReceiveMessage, with long polling that holds no thread.
extension SQSService {
    struct ReceiveRequest: Sendable {
        var key: QueueKey
        var maxMessages: Int
        var visibilityTimeout: Int?
        var waitTimeSeconds: Int?
        var attemptId: String?
    }

    func receiveMessage(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let key = try queueKey(input, ctx)
        let maxMessages = input.int("MaxNumberOfMessages") ?? 1
        guard (1...10).contains(maxMessages) else {
            throw SQSError.invalidParameter(
                "MaxNumberOfMessages", value: String(maxMessages), reason: "Must be between 1 and 10, if provided.")
        }
        let vt = try Self.visibilityTimeout(input.int("VisibilityTimeout"), required: false)
        let wait = input.int("WaitTimeSeconds")
        if let wait, !(0...Limits.maxWaitTimeSeconds).contains(wait) {
            throw SQSError.invalidParameter(
                "WaitTimeSeconds", value: String(wait), reason: "Must be >= 0 and <= 20, if provided.")
        }
        let attemptId = input.string("ReceiveRequestAttemptId")
        if let a = attemptId, !MessageValidation.isValidFifoId(a) {
            throw SQSError.invalidParameter(
                "ReceiveRequestAttemptId", value: a,
                reason: "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
        }
        let req = ReceiveRequest(
            key: key, maxMessages: maxMessages, visibilityTimeout: vt, waitTimeSeconds: wait, attemptId: attemptId)
        let systemNames = Set(input.stringList("MessageSystemAttributeNames") ?? [])
        let attributeNames = input.stringList("MessageAttributeNames") ?? []

        let start = clock.now()
        let first: (messages: [ReceivedMessage], wait: Int) = try state.withLock { st in
            try attemptReceive(&st, req, now: start)
        }
        var messages = first.messages
        if messages.isEmpty && first.wait > 0 {
            messages = try await longPoll(req, deadline: start + Double(first.wait))
        }
        if messages.isEmpty { noteEmptyReceive(key) }
        return Self.render(messages, systemNames: systemNames, attributeNames: attributeNames)
    }

    /// One receive under the lock. Also returns the wait time in force (the request's,
    /// else the queue's ReceiveMessageWaitTimeSeconds).
    func attemptReceive(_ st: inout SQSState, _ req: ReceiveRequest, now: Double) throws -> (messages: [ReceivedMessage], wait: Int) {
        guard let q = st.queues[req.key] else { throw SQSError.queueDoesNotExist() }
        let dl = st.deadLetterTarget(of: q)
        let messages = q.receive(
            max: req.maxMessages, visibilityTimeout: req.visibilityTimeout, attemptId: q.isFifo ? req.attemptId : nil,
            now: now, deadLetter: dl)
        if let dl { notify(dl.queue, now: now) }
        q.metricCounts.noteReceived(messages.count, now: now)
        return (messages, req.waitTimeSeconds ?? q.config.receiveMessageWaitTimeSeconds)
    }

    /// Parks on the queue until a message may be there, the deadline passes, the queue is
    /// deleted or the request is cancelled (client gone). Each wake-up retries the receive
    /// under the lock and parks again only if it found nothing, so no wake-up is lost.
    func longPoll(_ req: ReceiveRequest, deadline: Double) async throws -> [ReceivedMessage] {
        let id = nextWaiterId()
        var final = false
        while true {
            let isFinal = final
            let event: LongPollEvent = await withTaskCancellationHandler {
                await withCheckedContinuation { (cont: CheckedContinuation<LongPollEvent, Never>) in
                    state.withLock { st in
                        // Checked under the lock: a cancellation either happened before
                        // (seen here) or its handler runs after the waiter is registered.
                        if Task.isCancelled {
                            cont.resume(returning: .cancelled)
                            return
                        }
                        let now = clock.now()
                        let result: (messages: [ReceivedMessage], wait: Int)
                        do {
                            result = try attemptReceive(&st, req, now: now)
                        } catch {
                            cont.resume(returning: .failed(error as? AWSError ?? .internalFailure("\(error)")))
                            return
                        }
                        guard result.messages.isEmpty, !isFinal, now < deadline, let q = st.queues[req.key] else {
                            cont.resume(returning: .done(result.messages))
                            return
                        }
                        let key = req.key
                        let timer = Task { [self] in
                            try? await Task.sleep(for: .seconds(deadline - now))
                            if Task.isCancelled { return }
                            self.expireWaiter(key, id)
                        }
                        q.addWaiter(id, Waiter(continuation: cont, timer: timer))
                        scheduleVisibilityWake(q, now: now)
                    }
                }
            } onCancel: {
                self.cancelWaiter(req.key, id)
            }
            switch event {
            case .done(let messages): return messages
            case .failed(let e): throw e
            case .cancelled, .deleted: return []
            case .timeout: final = true
            case .wake: continue
            }
        }
    }

    /// The ReceiveMessage output: system attributes by `MessageSystemAttributeNames` (and
    /// the legacy `AttributeNames`, merged in `prepareInput`), message attributes by
    /// `MessageAttributeNames` (`All`, `*`, `.*`, `prefix.*`, exact names), with
    /// MD5OfMessageAttributes over the attributes returned.
    static func render(_ messages: [ReceivedMessage], systemNames: Set<String>, attributeNames: [String]) -> Value {
        guard !messages.isEmpty else { return .empty }
        let allSystem = systemNames.contains("All")
        func wants(_ n: String) -> Bool { allSystem || systemNames.contains(n) }
        let allAttributes = attributeNames.contains { $0 == "All" || $0 == "*" || $0 == ".*" }
        let prefixes = attributeNames.filter { $0.hasSuffix(".*") && $0 != ".*" }.map { String($0.dropLast(2)) }
        let exact = Set(attributeNames)
        func selected(_ name: String) -> Bool {
            allAttributes || exact.contains(name) || prefixes.contains { name.hasPrefix($0) }
        }
        var list: [Value] = []
        list.reserveCapacity(messages.count)
        for m in messages {
            var o: [String: Value] = [
                "MessageId": .string(m.messageId), "ReceiptHandle": .string(m.receiptHandle),
                "MD5OfBody": .string(m.md5OfBody), "Body": .string(m.body),
            ]
            if !systemNames.isEmpty {
                var a: [String: Value] = [:]
                if wants("SenderId") { a["SenderId"] = .string(m.senderId) }
                if wants("SentTimestamp") { a["SentTimestamp"] = .string(String(m.sentTimestamp)) }
                if wants("ApproximateReceiveCount") { a["ApproximateReceiveCount"] = .string(String(m.receiveCount)) }
                if wants("ApproximateFirstReceiveTimestamp") {
                    a["ApproximateFirstReceiveTimestamp"] = .string(String(m.firstReceiveTimestamp))
                }
                if wants("SequenceNumber"), let s = m.sequenceNumber { a["SequenceNumber"] = .string(s) }
                if wants("MessageDeduplicationId"), let d = m.deduplicationId { a["MessageDeduplicationId"] = .string(d) }
                if wants("MessageGroupId"), let g = m.groupId { a["MessageGroupId"] = .string(g) }
                if wants("DeadLetterQueueSourceArn"), let s = m.deadLetterSourceArn { a["DeadLetterQueueSourceArn"] = .string(s) }
                if wants("AWSTraceHeader"), let t = m.systemAttributes.first(where: { $0.name == "AWSTraceHeader" }) {
                    a["AWSTraceHeader"] = .string(t.value.stringValue ?? "")
                }
                if !a.isEmpty { o["Attributes"] = .object(a) }
            }
            if !attributeNames.isEmpty, !m.attributes.isEmpty {
                let chosen = allAttributes ? m.attributes : m.attributes.filter { selected($0.name) }
                if !chosen.isEmpty {
                    var attrs: [String: Value] = [:]
                    for a in chosen { attrs[a.name] = a.value.value }
                    o["MessageAttributes"] = .object(attrs)
                    o["MD5OfMessageAttributes"] = .string(
                        chosen.count == m.attributes.count ? (m.md5OfAttributes ?? MessageDigest.attributesMD5(chosen))
                            : MessageDigest.attributesMD5(chosen))
                }
            }
            list.append(.object(o))
        }
        return ["Messages": .list(list)]
    }
}
