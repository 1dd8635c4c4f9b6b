import SimfraCore
import SimfraProtocols

/// `/_simfra/inbox`: the outbound messages services captured instead of sending them.
///
/// - `GET /_simfra/inbox?type=&source=&q=&limit=&offset=` → `{"total":N,"messages":[…]}`, newest
///   first; `limit` defaults to 50 and is at most 200.
/// - `GET /_simfra/inbox/unread-count` → `{"unread":N}`
/// - `GET /_simfra/inbox/{id}` → one message
/// - `POST /_simfra/inbox/{id}/read`, `POST /_simfra/inbox/read-all`, `DELETE /_simfra/inbox/{id}`
extension AdminRoutes {
    static let inboxMaxLimit = 200

    func inboxRoute(_ r: AWSRequest) -> AWSResponse {
        let rest = r.rawPath.dropFirst("/_simfra/inbox".count)
        let segments = rest.split(separator: "/", omittingEmptySubsequences: true)
        switch (segments.count, segments.first.map(String.init)) {
        case (0, _):
            guard r.method == "GET" else { return methodNotAllowed(r, allow: "GET") }
            return listInbox(r)
        case (1, "unread-count"):
            guard r.method == "GET" else { return methodNotAllowed(r, allow: "GET") }
            return json(200, "{\"unread\":\(inbox.unreadCount)}")
        case (1, "read-all"):
            guard r.method == "POST" else { return methodNotAllowed(r, allow: "POST") }
            return json(200, "{\"marked\":\(inbox.markAllRead())}")
        case (1, let id?):
            switch r.method {
            case "GET":
                guard let m = inbox.message(id) else { return noMessage(id) }
                return json(200, Self.inboxJSON(m))
            case "DELETE":
                return inbox.delete(id) ? AWSResponse(status: 204, headers: [], body: []) : noMessage(id)
            default: return methodNotAllowed(r, allow: "GET, DELETE")
            }
        case (2, let id?) where segments[1] == "read":
            guard r.method == "POST" else { return methodNotAllowed(r, allow: "POST") }
            return inbox.markRead(id) ? AWSResponse(status: 204, headers: [], body: []) : noMessage(id)
        default:
            return error(404, "No admin route \(r.method) \(r.rawPath)")
        }
    }

    private func listInbox(_ r: AWSRequest) -> AWSResponse {
        var q = Inbox.Query()
        for (name, value) in r.queryItems {
            switch name {
            case "type": q.type = value
            case "source": q.source = value
            case "q", "search": q.search = value
            case "limit":
                guard let n = Int(value), n >= 1 else { return error(400, "limit must be an integer from 1 to \(Self.inboxMaxLimit)") }
                q.limit = min(n, Self.inboxMaxLimit)
            case "offset":
                guard let n = Int(value), n >= 0 else { return error(400, "offset must be a non-negative integer") }
                q.offset = n
            default:
                return error(400, "Unknown parameter '\(name)'; known: type, source, q, limit, offset")
            }
        }
        let page = inbox.list(q)
        var w = ByteWriter(capacity: 64 + 400 * page.messages.count)
        w.append("{\"total\":\(page.total),\"messages\":[")
        for (i, m) in page.messages.enumerated() {
            if i > 0 { w.append(",") }
            w.append(Self.inboxJSON(m))
        }
        w.append("]}")
        return AWSResponse(status: 200, headers: [("Content-Type", "application/json")], body: w.bytes)
    }

    private func noMessage(_ id: String) -> AWSResponse {
        error(404, "No inbox message \(id)")
    }

    static func inboxJSON(_ m: InboxMessage) -> String {
        var w = ByteWriter(capacity: 256 + m.body.utf8.count)
        func member(_ name: String, _ value: String?) {
            w.append(",\"\(name)\":")
            if let value { w.appendJSONString(value) } else { w.append("null") }
        }
        w.append("{\"id\":")
        w.appendJSONString(m.id)
        member("type", m.type)
        member("source", m.source)
        member("accountId", m.accountId)
        member("region", m.region)
        member("from", m.from)
        member("to", m.to)
        member("subject", m.subject)
        member("body", m.body)
        w.append(",\"links\":{")
        for (i, key) in m.links.keys.sorted().enumerated() {
            if i > 0 { w.append(",") }
            w.appendJSONString(key)
            w.append(":")
            w.appendJSONString(m.links[key]!)
        }
        w.append("}")
        member("receivedAt", Timestamp.iso8601(m.receivedAt.timeIntervalSince1970))
        w.append(",\"read\":\(m.read)}")
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
