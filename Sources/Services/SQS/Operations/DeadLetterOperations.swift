import SimfraCore
import Synchronization

/// ListDeadLetterSourceQueues and message move tasks (DLQ redrive).
extension SQSService {
    func listDeadLetterSourceQueues(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let key = try queueKey(input, ctx)
        let sources: [String: QueueKey] = try state.withLock { st in
            guard let dlq = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            var out: [String: QueueKey] = [:]
            for (k, q) in st.queues where q.config.redrivePolicy?.deadLetterTargetArn == dlq.arn {
                out["\(k.accountId)/\(k.name)"] = k
            }
            return out
        }
        let (page, token) = try Self.page(Array(sources.keys), input: input)
        var out: [String: Value] = ["queueUrls": .list(page.map { .string(Self.queueUrl(sources[$0]!, ctx)) })]
        if let token { out["NextToken"] = .string(token) }
        return .object(out)
    }

    static func taskHandle(taskId: String, sourceArn: String) -> String {
        var s = "{\"taskId\":"
        JSONDocument.writeString(taskId, into: &s)
        s += ",\"sourceArn\":"
        JSONDocument.writeString(sourceArn, into: &s)
        s += "}"
        return Base64.encode(s)
    }

    static func decodeTaskHandle(_ handle: String) -> (taskId: String, sourceArn: String)? {
        guard let raw = Base64.decodeCanonical(handle), let doc = JSONDocument.parse(String(decoding: raw, as: UTF8.self)),
            let id = doc["taskId"]?.stringValue, let arn = doc["sourceArn"]?.stringValue
        else { return nil }
        return (id, arn)
    }

    static let sourceNotFound = "The resource that you specified for the SourceArn parameter doesn't exist."

    func startMessageMoveTask(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let sourceArn = input.string("SourceArn") ?? ""
        let destinationArn = input.string("DestinationArn").flatMap { $0.isEmpty ? nil : $0 }
        let rate = input.int("MaxNumberOfMessagesPerSecond")
        if let rate, !(1...500).contains(rate) {
            throw SQSError.invalidParameter(
                "MaxNumberOfMessagesPerSecond", value: String(rate), reason: "Must be between 1 and 500, if provided.")
        }
        let taskId = ids.uuid()
        let handle = Self.taskHandle(taskId: taskId, sourceArn: sourceArn)
        let runInBackground: Bool = try state.withLock { st in
            guard let source = st.queue(arn: sourceArn) else { throw SQSError.resourceNotFound(Self.sourceNotFound) }
            let isDeadLetterQueue = st.queues.values.contains { $0.config.redrivePolicy?.deadLetterTargetArn == source.arn }
            guard isDeadLetterQueue else {
                throw SQSError.invalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
            }
            if let d = destinationArn, st.queue(arn: d) == nil {
                throw SQSError.resourceNotFound("The resource that you specified for the DestinationArn parameter doesn't exist.")
            }
            if st.moveTasks[source.arn]?.contains(where: \.isActive) == true {
                throw SQSError.invalidParameterValue(
                    "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
            }
            let now = clock.now()
            let task = MoveTask(
                taskId: taskId, handle: handle, sourceArn: source.arn, destinationArn: destinationArn, maxPerSecond: rate,
                status: "RUNNING", toMove: Int64(source.counts(now).visible),
                startedTimestamp: SQSQueue.milliseconds(now))
            var tasks = st.moveTasks[source.arn] ?? []
            tasks.append(task)
            if tasks.count > 10, let drop = tasks.firstIndex(where: { !$0.isActive }) { tasks.remove(at: drop) }
            st.moveTasks[source.arn] = tasks
            if rate == nil {
                // Unthrottled: the whole move happens now.
                while moveStep(&st, sourceArn: source.arn, taskId: taskId, now: now) {}
                return false
            }
            return true
        }
        if runInBackground, let rate {
            let source = QueueARN(sourceArn)?.text ?? sourceArn
            Task { [self] in
                let interval = 1.0 / Double(rate)
                while true {
                    try? await Task.sleep(for: .seconds(interval))
                    let more = state.withLock { st in moveStep(&st, sourceArn: source, taskId: taskId, now: clock.now()) }
                    if !more { break }
                }
            }
        }
        return ["TaskHandle": .string(handle)]
    }

    /// Moves one message for a task; false once the task is finished (completed, failed
    /// or cancelled).
    func moveStep(_ st: inout SQSState, sourceArn: String, taskId: String, now: Double) -> Bool {
        guard var tasks = st.moveTasks[sourceArn], let i = tasks.firstIndex(where: { $0.taskId == taskId }) else {
            return false
        }
        defer { st.moveTasks[sourceArn] = tasks }
        guard tasks[i].status == "RUNNING" else { return false }
        func finish(_ status: String, _ reason: String? = nil) -> Bool {
            tasks[i].status = status
            tasks[i].failureReason = reason
            return false
        }
        guard let source = st.queue(arn: sourceArn) else {
            return finish("FAILED", "AWS.SimpleQueueService.NonExistentQueue")
        }
        if tasks[i].moved >= tasks[i].toMove { return finish("COMPLETED") }
        var fixed: SQSQueue?
        if let d = tasks[i].destinationArn {
            guard let dest = st.queue(arn: d) else { return finish("FAILED", "AWS.SimpleQueueService.NonExistentQueue") }
            fixed = dest
        }
        guard let m = source.takeVisible(now: now) else { return finish("COMPLETED") }
        guard let dest = fixed ?? m.deadLetterSourceArn.flatMap({ st.queue(arn: $0) }), dest.isFifo == source.isFifo else {
            // Nowhere to put it: it stays in the dead-letter queue and the task fails.
            source.acceptReturned(m, now: now)
            return finish("FAILED", "AWS.SimpleQueueService.NonExistentQueue")
        }
        dest.acceptRedriven(m, now: now)
        notify(dest, now: now)
        tasks[i].moved += 1
        if tasks[i].moved >= tasks[i].toMove { return finish("COMPLETED") }
        return true
    }

    func listMessageMoveTasks(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let sourceArn = input.string("SourceArn") ?? ""
        let max = input.int("MaxResults") ?? 1
        guard (1...10).contains(max) else {
            throw SQSError.invalidParameter(
                "MaxResults", value: String(max), reason: "You must enter a number that's between 1 and 10.")
        }
        let tasks: [MoveTask] = try state.withLock { st in
            guard let source = st.queue(arn: sourceArn) else { throw SQSError.resourceNotFound(Self.sourceNotFound) }
            return Array((st.moveTasks[source.arn] ?? []).reversed().prefix(max))
        }
        let results: [Value] = tasks.map { t in
            var o: [String: Value] = [
                "Status": .string(t.status), "SourceArn": .string(t.sourceArn),
                "ApproximateNumberOfMessagesMoved": .integer(t.moved),
                "ApproximateNumberOfMessagesToMove": .integer(t.toMove),
                "StartedTimestamp": .integer(t.startedTimestamp),
            ]
            if t.status == "RUNNING" { o["TaskHandle"] = .string(t.handle) }
            if let d = t.destinationArn { o["DestinationArn"] = .string(d) }
            if let r = t.maxPerSecond { o["MaxNumberOfMessagesPerSecond"] = .integer(Int64(r)) }
            if let f = t.failureReason { o["FailureReason"] = .string(f) }
            return .object(o)
        }
        return ["Results": .list(results)]
    }

    func cancelMessageMoveTask(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let handle = input.string("TaskHandle") ?? ""
        guard let (taskId, sourceArn) = Self.decodeTaskHandle(handle) else {
            throw SQSError.invalidParameterValue("Value for parameter TaskHandle is invalid.")
        }
        let moved: Int64 = try state.withLock { st in
            guard let source = st.queue(arn: sourceArn) else { throw SQSError.resourceNotFound(Self.sourceNotFound) }
            guard var tasks = st.moveTasks[source.arn], let i = tasks.firstIndex(where: { $0.taskId == taskId }) else {
                throw SQSError.resourceNotFound("Task does not exist.")
            }
            guard tasks[i].status == "RUNNING" else {
                throw SQSError.invalidParameterValue("Only active tasks can be cancelled.")
            }
            tasks[i].status = "CANCELLED"
            st.moveTasks[source.arn] = tasks
            return tasks[i].moved
        }
        return ["ApproximateNumberOfMessagesMoved": .integer(moved)]
    }
}
