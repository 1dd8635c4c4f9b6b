import SimfraCore

/// Where a queue lives: SQS queues are regional and per account.
struct QueueKey: Hashable, Sendable {
    var accountId: String
    var region: String
    var name: String
}

/// A StartMessageMoveTask run. Transient, like messages.
struct MoveTask: Sendable {
    var taskId: String
    var handle: String
    var sourceArn: String
    var destinationArn: String?
    var maxPerSecond: Int?
    var status: String
    var moved: Int64 = 0
    var toMove: Int64
    /// Epoch milliseconds.
    var startedTimestamp: Int64
    var failureReason: String?

    var isActive: Bool { status == "RUNNING" || status == "CANCELLING" }
}

/// Everything the service holds, guarded by one lock: queue operations are microseconds,
/// and one lock makes cross-queue work (dead-letter moves, redrives) trivially consistent.
struct SQSState {
    var queues: [QueueKey: SQSQueue] = [:]
    /// By source queue ARN, oldest first.
    var moveTasks: [String: [MoveTask]] = [:]
    /// When queues were deleted (for the optional QueueDeletedRecently rule).
    var recentlyDeleted: [QueueKey: Double] = [:]

    func queue(arn: String) -> SQSQueue? {
        guard let a = QueueARN(arn) else { return nil }
        return queues[QueueKey(accountId: a.accountId, region: a.region, name: a.name)]
    }

    func deadLetterInfo(arn: String) -> DeadLetterTargetInfo? {
        queue(arn: arn).map {
            DeadLetterTargetInfo(isFifo: $0.isFifo, accountId: $0.accountId, redriveAllowPolicy: $0.config.redriveAllowPolicy)
        }
    }

    /// The dead-letter queue `q` redrives to, when it has one that exists.
    func deadLetterTarget(of q: SQSQueue) -> DeadLetterTarget? {
        guard let rp = q.config.redrivePolicy, let target = queue(arn: rp.deadLetterTargetArn), target !== q else {
            return nil
        }
        return DeadLetterTarget(queue: target, maxReceiveCount: rp.maxReceiveCount)
    }
}

extension SQSQueue {
    var key: QueueKey { QueueKey(accountId: accountId, region: region, name: name) }
}
