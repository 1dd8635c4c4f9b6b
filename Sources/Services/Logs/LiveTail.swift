import SimfraCore
import Synchronization

/// What one Live Tail session asks for, and the matching events put since its last update.
/// A plain value: which events it takes and what an update holds are tested without a server.
struct LiveTailSession: Sendable {
    /// AWS's limits: an update carries at most 500 events (more are sampled down to 500);
    /// a client reading slower than events come has at most 5,000 kept, the oldest dropped.
    static let maxPerUpdate = 500
    static let maxBuffered = 5000
    /// Sessions end after three hours.
    static let lifetime: Double = 3 * 3600

    struct Event: Sendable, Equatable {
        var group: String
        var stream: String
        var timestamp: Int64
        var ingestionTime: Int64
        var message: String
    }

    let account: String
    let region: String
    /// Group name → the identifier the client gave (name or ARN), echoed in each event.
    let groups: [String: String]
    let streamNames: Set<String>?
    let streamPrefixes: [String]?
    let matcher: FilterMatcher
    var pending: [Event] = []

    func wants(account a: String, region r: String, group g: String, stream s: String) -> Bool {
        guard a == account, r == region, groups[g] != nil else { return false }
        if let streamNames, !streamNames.contains(s) { return false }
        if let streamPrefixes, !streamPrefixes.contains(where: { s.hasPrefix($0) }) { return false }
        return true
    }

    mutating func offer(group: String, stream: String, _ events: [LogEvent]) {
        for e in events where matcher.matches(e.message) {
            pending.append(Event(group: group, stream: stream, timestamp: e.timestamp, ingestionTime: e.ingestionTime,
                                 message: e.message))
        }
        if pending.count > Self.maxBuffered { pending.removeFirst(pending.count - Self.maxBuffered) }
    }

    /// The next update's events (in order; evenly sampled down to 500) and whether they were sampled.
    mutating func takeUpdate() -> (events: [Event], sampled: Bool) {
        defer { pending = [] }
        guard pending.count > Self.maxPerUpdate else { return (pending, false) }
        let step = Double(pending.count) / Double(Self.maxPerUpdate)
        return ((0..<Self.maxPerUpdate).map { pending[Int(Double($0) * step)] }, true)
    }

    /// The `sessionUpdate` event's JSON.
    func updateJSON(_ events: [Event], sampled: Bool) -> String {
        var out = "{\"sessionMetadata\":{\"sampled\":\(sampled)},\"sessionResults\":["
        for (i, e) in events.enumerated() {
            if i > 0 { out += "," }
            out += "{\"logStreamName\":"
            JSONText.append(e.stream, to: &out)
            out += ",\"logGroupIdentifier\":"
            JSONText.append(groups[e.group] ?? e.group, to: &out)
            out += ",\"message\":"
            JSONText.append(e.message, to: &out)
            out += ",\"timestamp\":\(e.timestamp),\"ingestionTime\":\(e.ingestionTime)}"
        }
        return out + "]}"
    }
}

/// The open Live Tail sessions. PutLogEvents offers every accepted batch; with no session
/// open that costs one atomic load.
final class LiveTailHub: Sendable {
    private let sessions = Mutex<[String: LiveTailSession]>([:])
    private let open = Atomic<Int>(0)

    func add(_ id: String, _ s: LiveTailSession) {
        sessions.withLock { $0[id] = s; open.store($0.count, ordering: .releasing) }
    }

    func remove(_ id: String) {
        sessions.withLock { $0[id] = nil; open.store($0.count, ordering: .releasing) }
    }

    var count: Int { open.load(ordering: .acquiring) }

    func offer(account: String, region: String, group: String, stream: String, _ events: [LogEvent]) {
        guard open.load(ordering: .acquiring) > 0, !events.isEmpty else { return }
        sessions.withLock { all in
            for (id, s) in all where s.wants(account: account, region: region, group: group, stream: stream) {
                all[id]!.offer(group: group, stream: stream, events)
            }
        }
    }

    /// The session's next update as an event-stream frame; nil once it is gone.
    func nextUpdate(_ id: String) -> [UInt8]? {
        sessions.withLock { all -> [UInt8]? in
            guard all[id] != nil else { return nil }
            let (events, sampled) = all[id]!.takeUpdate()
            return EventStreamFrame.event("sessionUpdate", json: all[id]!.updateJSON(events, sampled: sampled))
        }
    }
}

/// The body of a StartLiveTail response: the initial response and `sessionStart` at once,
/// then a `sessionUpdate` every second (empty when nothing matched), until the client goes
/// away (the server stops asking for chunks and drops the body, which ends the session) or
/// three hours pass (`SessionTimeoutException`). Its length is unknown: it is sent chunked.
final class LiveTailBody: ResponseBody, Sendable {
    let length = -1
    private let hub: LiveTailHub
    private let id: String
    private let opening: [UInt8]
    private let clock: any SimfraClock
    private let endsAt: Double
    private let interval: Duration
    /// 0: the opening frames are owed; 1: updates; 2: ended.
    private let phase = Mutex(0)

    init(hub: LiveTailHub, id: String, opening: [UInt8], clock: any SimfraClock, interval: Duration = .seconds(1)) {
        self.hub = hub
        self.id = id
        self.opening = opening
        self.clock = clock
        endsAt = clock.now() + LiveTailSession.lifetime
        self.interval = interval
    }

    deinit { hub.remove(id) }

    func next() async throws -> [UInt8]? {
        switch phase.withLock({ p -> Int in let was = p; if p == 0 { p = 1 }; return was }) {
        case 0: return opening
        case 2: return nil
        default: break
        }
        try await Task.sleep(for: interval)
        if clock.now() >= endsAt {
            phase.withLock { $0 = 2 }
            hub.remove(id)
            return EventStreamFrame.exception("SessionTimeoutException", message: "Session timed out after 3 hours.")
        }
        guard let frame = hub.nextUpdate(id) else {
            phase.withLock { $0 = 2 }
            return nil
        }
        return frame
    }
}
