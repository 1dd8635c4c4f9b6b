import SimfraCore

/// A queue's durable record: its configuration, tags and timestamps, as compact JSON.
/// Messages, in-flight state, deduplication windows and move tasks are never persisted.
///
/// ```json
/// {"v":1,"fifo":false,"created":1700000000,"modified":1700000000,
///  "attributes":{"DelaySeconds":"0",...},"tags":{"team":"a"}}
/// ```
enum QueueRecord {
    static let kind = "queue"
    static let version = 1

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    static func encode(_ q: SQSQueue) -> [UInt8] {
        var members: [(String, JSONDocument)] = [
            ("v", .number(String(version))),
            ("fifo", .bool(q.isFifo)),
            ("created", .number(String(q.createdTimestamp))),
            ("modified", .number(String(q.lastModifiedTimestamp))),
        ]
        members.append(("attributes", .object(q.config.storedAttributes(isFifo: q.isFifo).map { ($0.0, .string($0.1)) })))
        members.append(("tags", .object(q.tags.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        if let p = q.lastPurgeAt { members.append(("purged", .number(String(p)))) }
        return Array(JSONDocument.object(members).text.utf8)
    }

    static func decode(_ r: DurableRecord, ids: IdentifierSource, now: Double) throws -> SQSQueue {
        func fail(_ why: String) -> DecodeError {
            DecodeError(description: "SQS queue record \(r.account)/\(r.region)/\(r.id) is unreadable: \(why)")
        }
        guard let doc = JSONDocument.parse(String(decoding: r.data, as: UTF8.self)), doc.objectMembers != nil else {
            throw fail("not a JSON object")
        }
        guard let v = doc["v"]?.integerValue else { throw fail("no version") }
        guard v <= version else { throw fail("record version \(v) is newer than this Simfra understands (\(version))") }
        guard case .bool(let fifo)? = doc["fifo"] else { throw fail("no queue type") }
        var attrs: [String: String] = [:]
        for (k, val) in doc["attributes"]?.objectMembers ?? [] {
            guard let s = val.stringValue else { throw fail("attribute \(k) is not a string") }
            attrs[k] = s
        }
        var config = QueueConfig()
        let arn = QueueARN(region: r.region, accountId: r.account, name: r.id).text
        do {
            try QueueAttributes.apply(
                attrs, to: &config, isFifo: fifo, creating: true, accountId: r.account, queueArn: arn,
                verifyTargets: false, lookup: { _ in nil })
        } catch {
            throw fail("invalid attributes: \(error.message)")
        }
        let q = SQSQueue(name: r.id, accountId: r.account, region: r.region, isFifo: fifo, config: config, now: now, ids: ids)
        if let c = doc["created"]?.integerValue { q.createdTimestamp = Int64(c) }
        if let m = doc["modified"]?.integerValue { q.lastModifiedTimestamp = Int64(m) }
        for (k, val) in doc["tags"]?.objectMembers ?? [] {
            guard let s = val.stringValue else { throw fail("tag \(k) is not a string") }
            q.tags[k] = s
        }
        if case .number(let p)? = doc["purged"], let t = Double(p) { q.lastPurgeAt = t }
        return q
    }
}
