import SimfraCore
import Synchronization

/// SendMessage(Batch), DeleteMessage(Batch), ChangeMessageVisibility(Batch).
extension SQSService {
    func sendFacts(_ key: QueueKey) throws -> QueueSendFacts {
        try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            return QueueSendFacts(
                isFifo: q.isFifo, maximumMessageSize: q.config.maximumMessageSize,
                contentBasedDeduplication: q.config.contentBasedDeduplication)
        }
    }

    static func sendResult(_ p: PreparedMessage, _ o: SendOutcome) -> [String: Value] {
        var out: [String: Value] = ["MessageId": .string(o.messageId), "MD5OfMessageBody": .string(p.md5OfBody)]
        if let m = p.md5OfAttributes { out["MD5OfMessageAttributes"] = .string(m) }
        if let m = p.md5OfSystemAttributes { out["MD5OfMessageSystemAttributes"] = .string(m) }
        if let s = o.sequenceNumber { out["SequenceNumber"] = .string(s) }
        return out
    }

    func sendMessage(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let key = try queueKey(input, ctx)
        let facts = try sendFacts(key)
        let prepared = try MessageValidation.prepare(input, queue: facts, senderId: ctx.userId, batch: false)
        let outcome: SendOutcome = try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            let now = clock.now()
            let o = q.send(prepared, now: now)
            notify(q, now: now)
            return o
        }
        return .object(Self.sendResult(prepared, outcome))
    }

    func sendMessageBatch(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let key = try queueKey(input, ctx)
        let entries = try MessageValidation.batchEntries(input, entryName: "SendMessageBatchRequestEntry")
        let total = entries.reduce(0) { sum, e in
            sum + (e.string("MessageBody")?.utf8.count ?? 0)
                + MessageValidation.attributesSize(
                    (e["MessageAttributes"]?.objectValue ?? [:]).map {
                        NamedAttribute(name: $0.key, value: MessageValidation.parseAttributeValue($0.value))
                    })
        }
        if total > Limits.maxBatchBytes { throw SQSError.batchRequestTooLong(total) }
        let facts = try sendFacts(key)
        if facts.isFifo {
            if entries.contains(where: { $0.string("MessageGroupId") == nil }) {
                throw SQSError.invalidParameterValue("The request must contain the parameter MessageGroupId.")
            }
            if !facts.contentBasedDeduplication, entries.contains(where: { $0.string("MessageDeduplicationId") == nil }) {
                throw SQSError.invalidParameterValue(
                    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
            }
        }
        var prepared: [(id: String, message: PreparedMessage)] = []
        var failed: [(index: Int, value: Value)] = []
        for (i, e) in entries.enumerated() {
            let id = e.string("Id") ?? ""
            do {
                prepared.append((id, try MessageValidation.prepare(e, queue: facts, senderId: ctx.userId, batch: true)))
            } catch {
                failed.append((i, MessageValidation.failure(id, error)))
            }
        }
        let toSend = prepared
        let outcomes: [SendOutcome] = try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            let now = clock.now()
            let os = toSend.map { q.send($0.message, now: now) }
            notify(q, now: now)
            return os
        }
        var successful: [Value] = []
        for (p, o) in zip(prepared, outcomes) {
            var r = Self.sendResult(p.message, o)
            r["Id"] = .string(p.id)
            successful.append(.object(r))
        }
        return ["Successful": .list(successful), "Failed": .list(failed.map(\.value))]
    }

    func deleteMessage(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let key = try queueKey(input, ctx)
        let handle = input.string("ReceiptHandle") ?? ""
        try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            let now = clock.now()
            try q.delete(receiptHandle: handle, now: now)
            q.metricCounts.noteDeleted(now: now)
            if q.isFifo { notify(q, now: now) }
        }
        return .empty
    }

    func deleteMessageBatch(_ input: Value, _ ctx: RequestContext) throws -> Value {
        try batch(input, ctx, entryName: "DeleteMessageBatchRequestEntry", notifyAfter: { $0.isFifo }) { q, e, now in
            try q.delete(receiptHandle: e.string("ReceiptHandle") ?? "", now: now)
            q.metricCounts.noteDeleted(now: now)
        }
    }

    /// A receipt-handle batch: each entry succeeds or fails on its own, under one lock.
    private func batch(
        _ input: Value, _ ctx: RequestContext, entryName: String, notifyAfter: (SQSQueue) -> Bool,
        _ apply: (SQSQueue, Value, Double) throws -> Void
    ) throws -> Value {
        let key = try queueKey(input, ctx)
        let entries = try MessageValidation.batchEntries(input, entryName: entryName)
        let results: (ok: [Value], failed: [Value]) = try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            let now = clock.now()
            var ok: [Value] = []
            var failed: [Value] = []
            for e in entries {
                let id = e.string("Id") ?? ""
                do {
                    try apply(q, e, now)
                    ok.append(["Id": .string(id)])
                } catch {
                    failed.append(MessageValidation.failure(id, error))
                }
            }
            if notifyAfter(q) { notify(q, now: now) }
            return (ok, failed)
        }
        return ["Successful": .list(results.ok), "Failed": .list(results.failed)]
    }

    static func visibilityTimeout(_ v: Int?, required: Bool) throws(AWSError) -> Int? {
        guard let v else {
            if required { throw SQSError.missingParameter("VisibilityTimeout") }
            return nil
        }
        guard (0...Limits.maxVisibilityTimeout).contains(v) else {
            throw SQSError.invalidParameter(
                "VisibilityTimeout", value: String(v), reason: "Must be >= 0 and <= 43200, if provided.")
        }
        return v
    }

    func changeMessageVisibility(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let key = try queueKey(input, ctx)
        let handle = input.string("ReceiptHandle") ?? ""
        let timeout = try Self.visibilityTimeout(input.int("VisibilityTimeout"), required: true)!
        try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            let now = clock.now()
            try q.changeVisibility(receiptHandle: handle, timeout: timeout, now: now)
            notify(q, now: now)
        }
        return .empty
    }

    func changeMessageVisibilityBatch(_ input: Value, _ ctx: RequestContext) throws -> Value {
        try batch(input, ctx, entryName: "ChangeMessageVisibilityBatchRequestEntry", notifyAfter: { _ in true }) { q, e, now in
            let t = try Self.visibilityTimeout(e.int("VisibilityTimeout"), required: true)!
            try q.changeVisibility(receiptHandle: e.string("ReceiptHandle") ?? "", timeout: t, now: now)
        }
    }
}
