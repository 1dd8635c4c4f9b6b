import SimfraCore
import Synchronization

/// Amazon SQS: standard and FIFO queues, both wire protocols (the codec decodes awsJson1_0
/// and awsQuery into the same input), dead-letter queues and message move tasks.
///
/// State lives in memory under one `Mutex`; queues (configuration, attributes, tags,
/// policy) are written through to `records`, messages never are. Long polls hold no
/// thread: a waiting ReceiveMessage parks a continuation on its queue, which a send, a
/// visibility change, its own timer, a purge or the queue's deletion resumes.
public final class SQSService: StatefulService, InvokingService, Sendable {
    public let serviceName = "sqs"
    public let implementedOperations: Set<String> = [
        "AddPermission", "CancelMessageMoveTask", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch",
        "CreateQueue", "DeleteMessage", "DeleteMessageBatch", "DeleteQueue", "GetQueueAttributes", "GetQueueUrl",
        "ListDeadLetterSourceQueues", "ListMessageMoveTasks", "ListQueueTags", "ListQueues", "PurgeQueue",
        "ReceiveMessage", "RemovePermission", "SendMessage", "SendMessageBatch", "SetQueueAttributes",
        "StartMessageMoveTask", "TagQueue", "UntagQueue",
    ]

    /// Behaviour switches that differ from AWS only where AWS's rule gets in the way locally.
    public struct Options: Sendable {
        /// Seconds between two PurgeQueue calls on one queue (AWS: 60).
        public var purgeInterval: Double
        /// Seconds after DeleteQueue during which CreateQueue of the same name answers
        /// `QueueDeletedRecently` (AWS: 60; default 0, off, so test suites can recreate queues).
        public var deletedQueueCooldown: Double

        public init(purgeInterval: Double = 60, deletedQueueCooldown: Double = 0) {
            self.purgeInterval = purgeInterval
            self.deletedQueueCooldown = deletedQueueCooldown
        }
    }

    let records: any DurableRecords
    let clock: any SimfraClock
    let options: Options
    let ids: IdentifierSource
    let state = Mutex(SQSState())
    private let waiterIds = Atomic<UInt64>(0)
    /// KMS, for queues with `KmsMasterKeyId` (connected by the server).
    public let invoker = InvokerLink()
    /// Data keys KMS gave, per caller, for the queues' reuse periods (memory only).
    let dataKeys = KMSDataKeyCache()
    /// Where AWS/SQS metrics go (CloudWatch, connected by the server).
    public let metrics = MetricLink()
    let metricsWindow = Mutex(SQSMetricsWindow())

    public init(records: any DurableRecords, clock: any SimfraClock = SystemClock(), options: Options = Options()) {
        self.records = records
        self.clock = clock
        self.options = options
        ids = IdentifierSource()
    }

    // MARK: Startup

    public func restore() throws {
        let loaded = try records.loadAll().filter { $0.kind == QueueRecord.kind }
        let now = clock.now()
        try state.withLock { st in
            for r in loaded {
                let q = try QueueRecord.decode(r, ids: ids, now: now)
                st.queues[q.key] = q
            }
        }
        // Restore runs once at server start: from then on, metrics at the link's pace.
        startMetricsLoop()
    }

    // MARK: Dispatch

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        switch operation {
        case "CreateQueue": return try await createQueue(input, context)
        case "GetQueueUrl": return try getQueueUrl(input, context)
        case "ListQueues": return try listQueues(input, context)
        case "DeleteQueue": return try await deleteQueue(input, context)
        case "PurgeQueue": return try purgeQueue(input, context)
        case "GetQueueAttributes": return try getQueueAttributes(input, context)
        case "SetQueueAttributes": return try await setQueueAttributes(input, context)
        case "TagQueue": return try await tagQueue(input, context)
        case "UntagQueue": return try await untagQueue(input, context)
        case "ListQueueTags": return try listQueueTags(input, context)
        case "AddPermission": return try await addPermission(input, context)
        case "RemovePermission": return try await removePermission(input, context)
        case "SendMessage":
            try await prepareSendKey(try queueKey(input, context), context)
            return try sendMessage(input, context)
        case "SendMessageBatch":
            try await prepareSendKey(try queueKey(input, context), context)
            return try sendMessageBatch(input, context)
        case "ReceiveMessage":
            try await prepareReceiveKey(try queueKey(input, context), context)
            return try await receiveMessage(input, context)
        case "DeleteMessage": return try deleteMessage(input, context)
        case "DeleteMessageBatch": return try deleteMessageBatch(input, context)
        case "ChangeMessageVisibility": return try changeMessageVisibility(input, context)
        case "ChangeMessageVisibilityBatch": return try changeMessageVisibilityBatch(input, context)
        case "ListDeadLetterSourceQueues": return try listDeadLetterSourceQueues(input, context)
        case "StartMessageMoveTask": return try startMessageMoveTask(input, context)
        case "ListMessageMoveTasks": return try listMessageMoveTasks(input, context)
        case "CancelMessageMoveTask": return try cancelMessageMoveTask(input, context)
        default: throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    static let queueUrlOperations: Set<String> = [
        "AddPermission", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "DeleteMessage",
        "DeleteMessageBatch", "DeleteQueue", "GetQueueAttributes", "ListDeadLetterSourceQueues", "ListQueueTags",
        "PurgeQueue", "ReceiveMessage", "RemovePermission", "SendMessage", "SendMessageBatch", "SetQueueAttributes",
        "TagQueue", "UntagQueue",
    ]

    static let messageSystemAttributeNames: Set<String> = [
        "All", "SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
        "SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn",
    ]

    /// - awsQuery clients post to the queue URL and may leave `QueueUrl` out: it is the path.
    /// - ReceiveMessage's `AttributeNames` is modelled with the queue attribute enum, but
    ///   clients send message system attribute names in it (`SentTimestamp`, `SenderId`), as
    ///   SQS documents; it is merged into `MessageSystemAttributeNames`.
    /// - Attribute names outside the model's enum are set aside so the handler can answer
    ///   `InvalidAttributeName` as SQS does, rather than a generic validation error.
    public func prepareInput(operation: String, input: inout Value, path: String, context: RequestContext) {
        guard case .object(var o) = input else { return }
        if Self.queueUrlOperations.contains(operation), o["QueueUrl"] == nil {
            let segs = path.split(separator: "/", omittingEmptySubsequences: true)
            if segs.count == 2 {
                o["QueueUrl"] = .string(context.endpoint + "/" + segs[0] + "/" + segs[1])
            }
        }
        switch operation {
        case "ReceiveMessage":
            if let legacy = o["AttributeNames"]?.listValue {
                var names = o["MessageSystemAttributeNames"]?.listValue ?? []
                for v in legacy {
                    if let s = v.stringValue, Self.messageSystemAttributeNames.contains(s), !names.contains(v) {
                        names.append(v)
                    }
                }
                o["AttributeNames"] = nil
                o["MessageSystemAttributeNames"] = .list(names)
            }
        case "GetQueueAttributes":
            if let names = o["AttributeNames"]?.listValue {
                let unknown = names.filter { !QueueAttributes.all.contains($0.stringValue ?? "") }
                if !unknown.isEmpty {
                    o["AttributeNames"] = .list(names.filter { QueueAttributes.all.contains($0.stringValue ?? "") })
                    o[HiddenInput.unknownAttributeNames] = .list(unknown)
                }
            }
        case "CreateQueue", "SetQueueAttributes":
            if let attrs = o["Attributes"]?.objectValue {
                let unknown = attrs.keys.filter { !QueueAttributes.all.contains($0) || $0 == "All" }
                if !unknown.isEmpty {
                    o["Attributes"] = .object(attrs.filter { !unknown.contains($0.key) })
                    o[HiddenInput.unknownAttributeNames] = .list(unknown.sorted().map(Value.string))
                }
            }
        default:
            break
        }
        input = .object(o)
    }

    // MARK: Queue lookup

    /// The queue a request names. SQS takes its URL (any scheme and host: the path
    /// `/<account>/<name>` decides) and, like SQS, also a bare queue name in the caller's
    /// account. The region is the request's.
    func queueKey(_ input: Value, _ ctx: RequestContext) throws -> QueueKey {
        try queueKey(url: input.string("QueueUrl") ?? "", ctx)
    }

    func queueKey(url: String, _ ctx: RequestContext) throws -> QueueKey {
        // Byte-wise: this runs on every message operation.
        let u = url.utf8
        var start = u.startIndex
        var end = u.endIndex
        var i = u.startIndex
        var hasScheme = false
        // "scheme://authority" is skipped up to the path.
        while i != u.endIndex {
            let c = u[i]
            if c == UInt8(ascii: "/") { break }
            if c == UInt8(ascii: ":") {
                let a = u.index(after: i)
                if a != u.endIndex, u[a] == UInt8(ascii: "/"), u.index(after: a) != u.endIndex,
                    u[u.index(after: a)] == UInt8(ascii: "/")
                {
                    hasScheme = true
                    start = u.index(a, offsetBy: 2)
                }
                break
            }
            i = u.index(after: i)
        }
        if hasScheme {
            guard let slash = u[start...].firstIndex(of: UInt8(ascii: "/")) else { throw SQSError.invalidAddress(url) }
            start = slash
        }
        if let q = u[start...].firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) { end = q }
        var segments: [Substring] = []
        var segStart = start
        var j = start
        while true {
            if j == end || u[j] == UInt8(ascii: "/") {
                if segStart != j { segments.append(url[segStart..<j]) }
                if j == end { break }
                segStart = u.index(after: j)
            }
            j = u.index(after: j)
        }
        let rooted = start != end && u[start] == UInt8(ascii: "/")
        switch segments.count {
        case 1 where !rooted && !hasScheme:
            return QueueKey(accountId: ctx.accountId, region: ctx.region, name: String(segments[0]))
        case 2:
            return QueueKey(accountId: String(segments[0]), region: ctx.region, name: String(segments[1]))
        default:
            if url.isEmpty { throw SQSError.queueDoesNotExist() }
            throw SQSError.invalidAddress(url)
        }
    }

    static func queueUrl(_ key: QueueKey, _ ctx: RequestContext) -> String {
        "\(ctx.endpoint)/\(key.accountId)/\(key.name)"
    }

    // MARK: Helpers used under the lock

    /// Writes a queue's durable record. Call while holding the lock; await the commit after.
    func persist(_ q: SQSQueue) -> Commit {
        records.put(kind: QueueRecord.kind, account: q.accountId, region: q.region, id: q.name,
                    data: QueueRecord.encode(q))
    }

    /// Wakes long polls that may now find a message, and arranges a wake-up at the next
    /// time a delayed or in-flight message becomes visible while polls are parked.
    func notify(_ q: SQSQueue, now: Double) {
        guard q.hasWaiters else { return }
        for w in q.takeWaitersToWake() {
            w.timer?.cancel()
            w.continuation.resume(returning: .wake)
        }
        scheduleVisibilityWake(q, now: now)
    }

    func scheduleVisibilityWake(_ q: SQSQueue, now: Double) {
        guard q.hasWaiters, let t = q.nextVisibilityChange else { return }
        if let at = q.visibilityWakeAt, at <= t { return }
        q.visibilityWakeAt = t
        let key = q.key
        let incarnation = q.incarnation
        let delay = Swift.max(0, t - now) + 0.001
        Task { [self] in
            try? await Task.sleep(for: .seconds(delay))
            self.visibilityWake(key, incarnation: incarnation, scheduledFor: t)
        }
    }

    private func visibilityWake(_ key: QueueKey, incarnation: UInt64, scheduledFor t: Double) {
        state.withLock { st in
            guard let q = st.queues[key], q.incarnation == incarnation else { return }
            if q.visibilityWakeAt == t { q.visibilityWakeAt = nil }
            let now = clock.now()
            q.tick(now)
            notify(q, now: now)
        }
    }

    func nextWaiterId() -> UInt64 {
        waiterIds.add(1, ordering: .relaxed).newValue
    }

    func expireWaiter(_ key: QueueKey, _ id: UInt64) {
        state.withLock { st in
            if let w = st.queues[key]?.removeWaiter(id) { w.continuation.resume(returning: .timeout) }
        }
    }

    func cancelWaiter(_ key: QueueKey, _ id: UInt64) {
        state.withLock { st in
            if let w = st.queues[key]?.removeWaiter(id) {
                w.timer?.cancel()
                w.continuation.resume(returning: .cancelled)
            }
        }
    }

    /// Ends every long poll parked on a queue that is going away.
    func releaseWaiters(_ q: SQSQueue) {
        for w in q.takeAllWaiters() {
            w.timer?.cancel()
            w.continuation.resume(returning: .deleted)
        }
    }
}
