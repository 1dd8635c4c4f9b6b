import Foundation
import Synchronization

/// A message that would have left the machine: an SNS email, SMS or push notification, an
/// HTTP(S) subscription confirmation, later SES mail and Cognito codes.
public struct InboxMessage: Sendable {
    /// Assigned by the inbox when the message is added.
    public internal(set) var id: String = ""
    /// What kind of outbound message (`email`, `email-json`, `sms`, `push`, `http-confirmation`…).
    public var type: String
    /// The service that sent it (`sns`).
    public var source: String
    public var accountId: String
    public var region: String
    public var from: String?
    public var to: String
    public var subject: String?
    public var body: String
    /// Actionable URLs in the message, by role (`confirm` → a SubscribeURL), so a console or a
    /// test can act on a confirmation without parsing the body.
    public var links: [String: String]
    public internal(set) var receivedAt: Date = Date(timeIntervalSince1970: 0)
    public internal(set) var read = false

    public init(type: String, source: String, accountId: String, region: String, from: String? = nil, to: String,
                subject: String? = nil, body: String, links: [String: String] = [:])
    {
        self.type = type
        self.source = source
        self.accountId = accountId
        self.region = region
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.links = links
    }
}

/// The captured outbound messages, newest first, read through `/_simfra/inbox`. Kept in
/// memory only, like every pending delivery (the seed lists outbound queues as transient),
/// and bounded so a test that sends millions of SMS cannot grow the process without limit:
/// past `capacity` the oldest messages are dropped.
public final class Inbox: Sendable {
    public struct Query: Sendable {
        public var type: String?
        public var source: String?
        /// Case-insensitive substring of the subject, body, sender or recipient.
        public var search: String?
        public var limit = 50
        public var offset = 0
        public init(type: String? = nil, source: String? = nil, search: String? = nil, limit: Int = 50, offset: Int = 0) {
            self.type = type
            self.source = source
            self.search = search
            self.limit = limit
            self.offset = offset
        }
    }

    public struct Page: Sendable {
        public var total: Int
        public var messages: [InboxMessage]
    }

    private struct State {
        /// Oldest first; queries walk it backwards.
        var messages: [InboxMessage] = []
        var nextSequence: UInt64 = 1
    }

    private let state = Mutex(State())
    private let clock: any SimfraClock
    public let capacity: Int

    public init(capacity: Int = 10_000, clock: any SimfraClock = SystemClock()) {
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    /// Stores the message and returns its id.
    @discardableResult
    public func add(_ message: InboxMessage) -> String {
        let now = clock.now()
        return state.withLock { s in
            var m = message
            // Sortable and unique within the process: time, then a sequence for ties.
            m.id = String(format: "%013llu-%06llu", UInt64(max(0, now * 1000)), s.nextSequence)
            s.nextSequence += 1
            m.receivedAt = Date(timeIntervalSince1970: now)
            s.messages.append(m)
            if s.messages.count > capacity { s.messages.removeFirst(s.messages.count - capacity) }
            return m.id
        }
    }

    /// Newest first, filtered, then paged by `offset`/`limit`; `total` counts every match.
    public func list(_ q: Query) -> Page {
        let needle = q.search.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        return state.withLock { s in
            var total = 0
            var page: [InboxMessage] = []
            for m in s.messages.reversed() {
                if let t = q.type, m.type != t { continue }
                if let src = q.source, m.source != src { continue }
                if let n = needle, !Self.contains(m, n) { continue }
                if total >= q.offset && page.count < q.limit { page.append(m) }
                total += 1
            }
            return Page(total: total, messages: page)
        }
    }

    public func message(_ id: String) -> InboxMessage? {
        state.withLock { s in s.messages.first { $0.id == id } }
    }

    public var unreadCount: Int {
        state.withLock { s in s.messages.reduce(0) { $0 + ($1.read ? 0 : 1) } }
    }

    /// False when no message has that id.
    public func markRead(_ id: String) -> Bool {
        state.withLock { s in
            guard let i = s.messages.firstIndex(where: { $0.id == id }) else { return false }
            s.messages[i].read = true
            return true
        }
    }

    /// Returns how many messages changed from unread to read.
    @discardableResult
    public func markAllRead() -> Int {
        state.withLock { s in
            var n = 0
            for i in s.messages.indices where !s.messages[i].read {
                s.messages[i].read = true
                n += 1
            }
            return n
        }
    }

    /// False when no message has that id.
    public func delete(_ id: String) -> Bool {
        state.withLock { s in
            guard let i = s.messages.firstIndex(where: { $0.id == id }) else { return false }
            s.messages.remove(at: i)
            return true
        }
    }

    /// An account's messages go with the account.
    public func removeAccount(_ accountId: String) {
        state.withLock { s in s.messages.removeAll { $0.accountId == accountId } }
    }

    private static func contains(_ m: InboxMessage, _ needle: String) -> Bool {
        for field in [m.subject, m.body, m.to, m.from] {
            if let f = field, f.lowercased().contains(needle) { return true }
        }
        return false
    }
}
