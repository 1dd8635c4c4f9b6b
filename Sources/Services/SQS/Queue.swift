import SimfraCore

/// A FIFO message group: its undeleted messages in order, and how many are in flight
/// (the group is blocked while any is).
final class MessageGroup {
    let id: String
    var messages = RingBuffer<SQSMessage>(capacity: 4)
    var inflight = 0
    /// Whether the group sits in the queue's ready ring.
    var inReady = false

    init(id: String) { self.id = id }
}

struct DedupRecord {
    var messageId: String
    var sequenceNumber: String?
    var expiresAt: Double
}

struct ReceiveAttempt {
    var expiresAt: Double
    var entries: [(serial: UInt64, receiveNumber: UInt32)]
}

struct SendOutcome: Sendable, Equatable {
    var messageId: String
    var sequenceNumber: String?
    /// A FIFO duplicate inside the deduplication window: accepted, not enqueued.
    var deduplicated: Bool
}

/// Where `receive` moves messages that exceeded the source's maxReceiveCount.
struct DeadLetterTarget {
    let queue: SQSQueue
    let maxReceiveCount: Int
}

/// What resumes a long poll: its result, or why it was woken while parked.
enum LongPollEvent: Sendable {
    case done([ReceivedMessage])
    case failed(AWSError)
    /// Something may be receivable: try again.
    case wake
    /// WaitTimeSeconds ran out: try once more, then answer.
    case timeout
    case cancelled
    case deleted
}

struct Waiter {
    var continuation: CheckedContinuation<LongPollEvent, Never>
    var timer: Task<Void, Never>?
}

/// One queue's state machine. Plain data, no locking, no clock: the service holds its lock
/// and passes `now` (seconds since the epoch) into every operation, which first applies
/// whatever time has done (retention expiry, delays and visibility timeouts running out).
///
/// Structures, all O(1) or O(log n) in queue depth:
/// - `messages`: serial → message, for receipt handles.
/// - `visibility`: indexed min-heap of delayed and in-flight messages by `visibleAt`.
/// - `retention`: indexed min-heap of every message by enqueue time.
/// - standard queues: `visibleRing`, a ring of visible messages (stale entries skipped).
/// - FIFO queues: `groups` (each a ring in send order) and `readyGroups`, the groups whose
///   head is visible and that have nothing in flight.
final class SQSQueue {
    let name: String
    let accountId: String
    let region: String
    let arn: String
    let isFifo: Bool
    /// Differs for every queue object, so receipt handles of a deleted-and-recreated queue
    /// (or of a previous process) are rejected.
    let incarnation: UInt64
    let ids: IdentifierSource
    var config: QueueConfig
    var tags: [String: String] = [:]
    /// Epoch seconds.
    var createdTimestamp: Int64
    var lastModifiedTimestamp: Int64
    var lastPurgeAt: Double?

    private(set) var messages: [UInt64: SQSMessage] = [:]
    private var visibility = MessageHeap<VisibilityOrder>()
    private var retention = MessageHeap<RetentionOrder>()
    private struct VisibleSlot {
        let message: SQSMessage
        let epoch: UInt32
    }
    private var visibleRing = RingBuffer<VisibleSlot>(capacity: 64)
    private(set) var groups: [String: MessageGroup] = [:]
    private var readyGroups = RingBuffer<MessageGroup>(capacity: 16)
    private var dedup: [String: DedupRecord] = [:]
    private var dedupOrder = RingBuffer<(key: String, expiresAt: Double)>()
    private var attempts: [String: ReceiveAttempt] = [:]
    private var attemptOrder = RingBuffer<(key: String, expiresAt: Double)>()

    private(set) var visibleCount = 0
    private(set) var inflightCount = 0
    private(set) var delayedCount = 0
    private var nextSerial: UInt64 = 1
    private var lastSequence: UInt64 = 0

    // Long polling
    private var waiterOrder = RingBuffer<UInt64>()
    private var waiters: [UInt64: Waiter] = [:]
    /// When a timer to re-check waiters at the next visibility change is already set.
    var visibilityWakeAt: Double?
    /// AWS/SQS request counts since the last metrics flush (SQSService+Metrics).
    var metricCounts = SQSQueueMetrics()
    /// When the oldest message still in the queue was enqueued (ApproximateAgeOfOldestMessage).
    var oldestEnqueuedAt: Double? { retention.min?.enqueuedAt }

    init(name: String, accountId: String, region: String, isFifo: Bool, config: QueueConfig, now: Double,
         ids: IdentifierSource)
    {
        self.name = name
        self.accountId = accountId
        self.region = region
        arn = QueueARN(region: region, accountId: accountId, name: name).text
        self.isFifo = isFifo
        self.config = config
        self.ids = ids
        incarnation = ids.next()
        createdTimestamp = Int64(now)
        lastModifiedTimestamp = Int64(now)
    }

    static func milliseconds(_ t: Double) -> Int64 { Int64((t * 1000).rounded(.down)) }

    // MARK: Time

    /// Applies everything due by `now`.
    func tick(_ now: Double) {
        let period = Double(config.messageRetentionPeriod)
        while let m = retention.min, m.enqueuedAt + period <= now { remove(m) }
        while let m = visibility.min, m.visibleAt <= now {
            visibility.popMin()
            becomeVisible(m)
        }
        while let d = dedupOrder.first, d.expiresAt <= now {
            dedupOrder.popFirst()
            if let r = dedup[d.key], r.expiresAt <= now { dedup[d.key] = nil }
        }
        while let a = attemptOrder.first, a.expiresAt <= now {
            attemptOrder.popFirst()
            if let r = attempts[a.key], r.expiresAt <= now { attempts[a.key] = nil }
        }
    }

    /// The next time something becomes visible by itself (delay or visibility timeout).
    var nextVisibilityChange: Double? { visibility.min?.visibleAt }

    /// (ApproximateNumberOfMessages, …NotVisible, …Delayed) at `now`.
    func counts(_ now: Double) -> (visible: Int, notVisible: Int, delayed: Int) {
        tick(now)
        return (visibleCount, inflightCount, delayedCount)
    }

    // MARK: Internal transitions

    private func becomeVisible(_ m: SQSMessage) {
        let was = m.state
        switch was {
        case .inflight: inflightCount -= 1
        case .delayed: delayedCount -= 1
        case .visible, .deleted: return
        }
        m.state = .visible
        visibleCount += 1
        if isFifo {
            guard let g = groups[m.groupId ?? ""] else { return }
            if was == .inflight { g.inflight -= 1 }
            refreshReady(g)
        } else {
            m.visibleEpoch &+= 1
            visibleRing.append(VisibleSlot(message: m, epoch: m.visibleEpoch))
        }
    }

    private func refreshReady(_ g: MessageGroup) {
        guard g.inflight == 0, !g.inReady, let head = g.messages.first, head.state == .visible else { return }
        g.inReady = true
        readyGroups.append(g)
    }

    /// Takes a message out of every structure (delete, retention, purge, moves).
    private func remove(_ m: SQSMessage) {
        let was = m.state
        switch was {
        case .deleted: return
        case .visible: visibleCount -= 1
        case .inflight:
            inflightCount -= 1
            visibility.remove(m)
        case .delayed:
            delayedCount -= 1
            visibility.remove(m)
        }
        m.state = .deleted
        retention.remove(m)
        messages[m.serial] = nil
        if isFifo, let g = groups[m.groupId ?? ""] {
            // In flight and expiring messages are at the front of their group.
            for i in 0..<g.messages.count where g.messages[i] === m {
                g.messages.remove(at: i)
                break
            }
            if was == .inflight { g.inflight -= 1 }
            if g.messages.isEmpty && g.inflight == 0 {
                groups[g.id] = nil
            } else {
                refreshReady(g)
            }
        }
    }

    private func insert(_ m: SQSMessage, delay: Double, now: Double) {
        messages[m.serial] = m
        retention.push(m)
        if delay > 0 {
            m.state = .delayed
            m.visibleAt = now + delay
            delayedCount += 1
            visibility.push(m)
        } else {
            m.state = .visible
            m.visibleAt = now
            visibleCount += 1
        }
        if isFifo {
            let gid = m.groupId ?? ""
            let g: MessageGroup
            if let existing = groups[gid] {
                g = existing
            } else {
                g = MessageGroup(id: gid)
                groups[gid] = g
            }
            g.messages.append(m)
            refreshReady(g)
        } else if m.state == .visible {
            m.visibleEpoch &+= 1
            visibleRing.append(VisibleSlot(message: m, epoch: m.visibleEpoch))
        }
    }

    private func deliver(_ m: SQSMessage, visibilityTimeout: Int, now: Double) {
        visibleCount -= 1
        inflightCount += 1
        m.state = .inflight
        m.receiveCount += 1
        if m.firstReceiveTimestamp == nil { m.firstReceiveTimestamp = SQSQueue.milliseconds(now) }
        m.receiveNumber &+= 1
        m.receivedAt = now
        m.visibleAt = now + Double(visibilityTimeout)
        visibility.push(m)
        m.receiptHandle = ReceiptHandle(incarnation: incarnation, serial: m.serial, receiveNumber: m.receiveNumber)
            .encode(nonce: ids.next())
        if isFifo, let g = groups[m.groupId ?? ""] { g.inflight += 1 }
    }

    private func takeSerial() -> UInt64 {
        defer { nextSerial += 1 }
        return nextSerial
    }

    /// 20-digit, strictly increasing per queue, and increasing across restarts (time-based).
    func nextSequenceNumber(_ now: Double) -> String {
        let base: UInt64 = 10_000_000_000_000_000_000
        let t = base &+ UInt64(Swift.max(0, now * 1000).rounded(.down)) &* 1_000_000
        lastSequence = Swift.max(lastSequence &+ 1, t)
        return String(lastSequence)
    }

    // MARK: Operations

    /// Enqueues a validated message. FIFO duplicates inside the window answer with the
    /// original message's id and sequence number and enqueue nothing.
    func send(_ p: PreparedMessage, now: Double) -> SendOutcome {
        tick(now)
        var dedupKey: String?
        if isFifo, let dedupId = p.deduplicationId {
            let key = config.dedupPerMessageGroup ? (p.groupId ?? "") + "\u{1}" + dedupId : dedupId
            if let r = dedup[key], r.expiresAt > now {
                return SendOutcome(messageId: r.messageId, sequenceNumber: r.sequenceNumber, deduplicated: true)
            }
            dedupKey = key
        }
        let delay = isFifo ? config.delaySeconds : (p.delaySeconds ?? config.delaySeconds)
        let m = SQSMessage(
            serial: takeSerial(), messageId: ids.uuid(), prepared: p, sentTimestamp: SQSQueue.milliseconds(now),
            enqueuedAt: now, state: .visible, visibleAt: now)
        if isFifo { m.sequenceNumber = nextSequenceNumber(now) }
        insert(m, delay: Double(delay), now: now)
        if let dedupKey {
            let expires = now + Limits.deduplicationWindow
            dedup[dedupKey] = DedupRecord(messageId: m.messageId, sequenceNumber: m.sequenceNumber, expiresAt: expires)
            dedupOrder.append((dedupKey, expires))
        }
        metricCounts.noteSent(bytes: p.body.utf8.count + MessageValidation.attributesSize(p.attributes), now: now)
        return SendOutcome(messageId: m.messageId, sequenceNumber: m.sequenceNumber, deduplicated: false)
    }

    /// Receives up to `max` visible messages, making them in flight for `visibilityTimeout`
    /// (the queue's default when nil). Messages already received `maxReceiveCount` times
    /// move to the dead-letter queue instead of being returned.
    func receive(max: Int, visibilityTimeout: Int?, attemptId: String? = nil, now: Double,
                 deadLetter: DeadLetterTarget? = nil) -> [ReceivedMessage]
    {
        tick(now)
        let vt = visibilityTimeout ?? config.visibilityTimeout
        if isFifo, let attemptId, let replay = replayAttempt(attemptId, visibilityTimeout: vt, now: now) {
            return replay
        }
        var out: [ReceivedMessage] = []
        if !isFifo {
            while out.count < max, let slot = visibleRing.popFirst() {
                let m = slot.message
                guard m.state == .visible, m.visibleEpoch == slot.epoch else { continue }
                if let dl = deadLetter, m.receiveCount >= dl.maxReceiveCount {
                    moveToDeadLetter(m, dl.queue, now: now)
                    continue
                }
                deliver(m, visibilityTimeout: vt, now: now)
                out.append(m.snapshot)
            }
            return out
        }
        var delivered: [(serial: UInt64, receiveNumber: UInt32)] = []
        while out.count < max, let g = readyGroups.popFirst() {
            g.inReady = false
            guard groups[g.id] === g, g.inflight == 0 else { continue }
            // As many messages of one group as possible, in order, then the next group.
            var i = 0
            while out.count < max, i < g.messages.count {
                let m = g.messages[i]
                guard m.state == .visible else { break }
                if let dl = deadLetter, m.receiveCount >= dl.maxReceiveCount {
                    moveToDeadLetter(m, dl.queue, now: now)
                    continue
                }
                deliver(m, visibilityTimeout: vt, now: now)
                out.append(m.snapshot)
                delivered.append((m.serial, m.receiveNumber))
                i += 1
            }
            if groups[g.id] === g { refreshReady(g) }
        }
        if let attemptId, !delivered.isEmpty {
            let expires = now + Limits.receiveAttemptWindow
            attempts[attemptId] = ReceiveAttempt(expiresAt: expires, entries: delivered)
            attemptOrder.append((attemptId, expires))
        }
        return out
    }

    /// FIFO: a retried ReceiveRequestAttemptId returns the same messages and receipt handles
    /// (and restarts their visibility timeout) while they are all still in flight from it.
    private func replayAttempt(_ id: String, visibilityTimeout: Int, now: Double) -> [ReceivedMessage]? {
        guard let a = attempts[id], a.expiresAt > now else { return nil }
        var ms: [SQSMessage] = []
        for e in a.entries {
            guard let m = messages[e.serial], m.state == .inflight, m.receiveNumber == e.receiveNumber else {
                attempts[id] = nil
                return nil
            }
            ms.append(m)
        }
        for m in ms {
            m.visibleAt = now + Double(visibilityTimeout)
            visibility.update(m)
        }
        return ms.map(\.snapshot)
    }

    private func moveToDeadLetter(_ m: SQSMessage, _ target: SQSQueue, now: Double) {
        remove(m)
        target.acceptDeadLetter(m, sourceArn: arn, now: now)
    }

    /// A message arriving from a source queue's redrive: same id, body, attributes and
    /// receive count, plus DeadLetterQueueSourceArn. Standard queues keep the original
    /// enqueue time for retention, FIFO queues restart it.
    func acceptDeadLetter(_ m: SQSMessage, sourceArn: String, now: Double) {
        let copy = SQSMessage(moving: m, serial: takeSerial(), enqueuedAt: isFifo ? now : m.enqueuedAt)
        copy.deadLetterSourceArn = sourceArn
        if isFifo { copy.sequenceNumber = nextSequenceNumber(now) }
        insert(copy, delay: 0, now: now)
    }

    /// A message moved back out of a dead-letter queue (StartMessageMoveTask): a fresh
    /// start, with its receive count reset.
    func acceptRedriven(_ m: SQSMessage, now: Double) {
        let copy = SQSMessage(moving: m, serial: takeSerial(), enqueuedAt: now)
        copy.receiveCount = 0
        copy.firstReceiveTimestamp = nil
        copy.deadLetterSourceArn = nil
        if isFifo { copy.sequenceNumber = nextSequenceNumber(now) }
        insert(copy, delay: 0, now: now)
    }

    /// Puts back, unchanged, a message `takeVisible` took out.
    func acceptReturned(_ m: SQSMessage, now: Double) {
        let copy = SQSMessage(moving: m, serial: takeSerial(), enqueuedAt: m.enqueuedAt)
        copy.sequenceNumber = m.sequenceNumber
        insert(copy, delay: 0, now: now)
    }

    /// Takes the next visible message out of the queue (message move tasks).
    func takeVisible(now: Double) -> SQSMessage? {
        tick(now)
        if !isFifo {
            while let slot = visibleRing.popFirst() {
                let m = slot.message
                guard m.state == .visible, m.visibleEpoch == slot.epoch else { continue }
                remove(m)
                return m
            }
            return nil
        }
        while let g = readyGroups.popFirst() {
            g.inReady = false
            guard groups[g.id] === g, g.inflight == 0, let head = g.messages.first, head.state == .visible else { continue }
            remove(head)
            return head
        }
        return nil
    }

    func delete(receiptHandle s: String, now: Double) throws(AWSError) {
        guard let h = ReceiptHandle.decode(s), h.incarnation == incarnation else {
            throw SQSError.receiptHandleIsInvalid(s)
        }
        tick(now)
        // A message already gone (deleted, expired, purged): deleting again succeeds.
        guard let m = messages[h.serial] else { return }
        if isFifo && (m.state != .inflight || m.receiveNumber != h.receiveNumber) {
            throw SQSError.receiptHandleExpired(s)
        }
        remove(m)
    }

    func changeVisibility(receiptHandle s: String, timeout: Int, now: Double) throws(AWSError) {
        guard let h = ReceiptHandle.decode(s), h.incarnation == incarnation else {
            throw SQSError.receiptHandleIsInvalid(s)
        }
        tick(now)
        guard let m = messages[h.serial], m.state == .inflight || m.state == .visible, m.receiveNumber > 0 else {
            throw SQSError.notAvailableForVisibilityChange(s)
        }
        if isFifo && (m.state != .inflight || m.receiveNumber != h.receiveNumber) {
            throw SQSError.notAvailableForVisibilityChange(s)
        }
        if m.state == .inflight, now + Double(timeout) - m.receivedAt > Double(Limits.maxVisibilityTimeout) {
            throw SQSError.invalidParameter(
                "VisibilityTimeout", value: String(timeout),
                reason: "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]")
        }
        if m.state == .visible {
            // Standard queues: the handle still names the message after its timeout ran
            // out; changing its visibility hides it again.
            visibleCount -= 1
            inflightCount += 1
            m.state = .inflight
            m.visibleEpoch &+= 1
            m.receivedAt = now
        }
        m.visibleAt = now + Double(timeout)
        if timeout == 0 {
            visibility.remove(m)
            becomeVisible(m)
        } else {
            visibility.update(m)
        }
    }

    /// Deletes every message (deduplication ids stay remembered, as in SQS).
    func purge(now: Double) {
        for m in messages.values { m.state = .deleted }
        messages.removeAll()
        visibility.removeAll()
        retention.removeAll()
        visibleRing.removeAll()
        groups.removeAll()
        readyGroups.removeAll()
        attempts.removeAll()
        attemptOrder.removeAll()
        visibleCount = 0
        inflightCount = 0
        delayedCount = 0
        lastPurgeAt = now
    }

    // MARK: Long-poll waiters

    var hasWaiters: Bool { !waiters.isEmpty }

    /// Whether a receive would find something now (an estimate that errs on the high side).
    var receivableEstimate: Int { isFifo ? readyGroups.count : visibleCount }

    func addWaiter(_ id: UInt64, _ w: Waiter) {
        waiters[id] = w
        waiterOrder.append(id)
        if waiterOrder.count > 2 * waiters.count + 64 {
            var compact = RingBuffer<UInt64>(capacity: waiters.count)
            while let i = waiterOrder.popFirst() {
                if waiters[i] != nil { compact.append(i) }
            }
            waiterOrder = compact
        }
    }

    func removeWaiter(_ id: UInt64) -> Waiter? {
        waiters.removeValue(forKey: id)
    }

    /// As many waiters as there may be messages for, oldest first.
    func takeWaitersToWake() -> [Waiter] {
        var n = receivableEstimate
        var out: [Waiter] = []
        while n > 0, let id = waiterOrder.popFirst() {
            if let w = waiters.removeValue(forKey: id) {
                out.append(w)
                n -= 1
            }
        }
        return out
    }

    func takeAllWaiters() -> [Waiter] {
        let all = Array(waiters.values)
        waiters.removeAll()
        waiterOrder.removeAll()
        return all
    }
}
