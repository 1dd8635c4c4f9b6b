import Foundation
import SimfraCore

/// A topic's durable record, with its tags and subscriptions, as JSON. One record per topic:
/// every change rewrites it, and deleting the topic deletes its subscriptions with it.
///
/// ```json
/// {"v":1,"arn":"arn:aws:sns:…","fifo":false,"sequence":0,"attributes":{"Policy":"…"},"tags":[["k","v"]],
///  "subscriptions":[{"arn":"…","owner":"…","principal":"…","protocol":"sqs","endpoint":"…","attributes":{},
///                    "pending":true,"token":"…","authenticated":true}]}
/// (the last three only when set: HTTP/S and email subscriptions awaiting or after confirmation)
/// ```
enum TopicRecord {
    static let kind = "topic"
    static let version = 1

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    static func encode(_ t: Topic) -> [UInt8] {
        let doc: [String: Any] = [
            "v": version, "arn": t.arn, "fifo": t.isFifo, "sequence": t.sequence, "attributes": t.attributes,
            "tags": t.tags.map { [$0.key, $0.value] },
            "subscriptions": t.subscriptions.map {
                var sub: [String: Any] = [
                    "arn": $0.arn, "owner": $0.owner, "principal": $0.principal, "protocol": $0.protocol,
                    "endpoint": $0.endpoint, "attributes": $0.attributes,
                ]
                if $0.pending { sub["pending"] = true }
                if let token = $0.token { sub["token"] = token }
                if $0.authenticated { sub["authenticated"] = true }
                return sub
            },
        ]
        return Array((try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])) ?? Data())
    }

    static func decode(_ r: DurableRecord) throws -> Topic {
        func fail(_ why: String) -> DecodeError {
            DecodeError(description: "SNS topic record \(r.account)/\(r.region)/\(r.id) is unreadable: \(why)")
        }
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(r.data))) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        guard let v = doc["v"] as? Int else { throw fail("no version") }
        guard v <= version else { throw fail("record version \(v) is newer than this Simfra understands (\(version))") }
        guard let arn = doc["arn"] as? String, let fifo = doc["fifo"] as? Bool,
            let attributes = doc["attributes"] as? [String: String]
        else { throw fail("no ARN, topic type or attributes") }
        var topic = Topic(arn: arn, accountId: r.account, region: r.region, name: r.id, isFifo: fifo,
                          attributes: attributes)
        topic.sequence = (doc["sequence"] as? NSNumber)?.uint64Value ?? 0
        for pair in doc["tags"] as? [[String]] ?? [] where pair.count == 2 { topic.tags.append((pair[0], pair[1])) }
        for s in doc["subscriptions"] as? [[String: Any]] ?? [] {
            guard let subArn = s["arn"] as? String, let proto = s["protocol"] as? String,
                let endpoint = s["endpoint"] as? String
            else { throw fail("a subscription lacks its ARN, protocol or endpoint") }
            topic.subscriptions.append(Subscription(
                arn: subArn, topicArn: arn, owner: s["owner"] as? String ?? r.account,
                principal: s["principal"] as? String ?? "", protocol: proto, endpoint: endpoint,
                attributes: s["attributes"] as? [String: String] ?? [:], pending: s["pending"] as? Bool ?? false,
                token: s["token"] as? String, authenticated: s["authenticated"] as? Bool ?? false))
        }
        return topic
    }
}

extension SNSService: StatefulService {
    public func restore() throws {
        let all = try records.loadAll()
        let restored = try all.filter { $0.kind == TopicRecord.kind }.map(TopicRecord.decode)
        topics.withLock { all in for t in restored { all[t.arn] = t } }
        let platformApps = try all.filter { $0.kind == PlatformApplicationRecord.kind }
            .map { try PlatformApplicationRecord.decode($0, records) }
        apps.withLock { all in for a in platformApps { all[a.arn] = a } }
        for r in all where r.kind == "smsattributes" {
            guard let doc = (try? JSONSerialization.jsonObject(with: Data(r.data))) as? [String: String] else {
                throw TopicRecord.DecodeError(description: "SNS SMS attributes record \(r.account)/\(r.region) is unreadable")
            }
            sms.withLock { $0["\(r.account)/\(r.region)"] = doc }
        }
        let keys = try all.filter { $0.kind == SigningKey.kind }.map { try SigningKey.decode($0, records) }
        signingKeys.withLock { all in for k in keys { all[k.region] = k } }
    }

    /// Writes the platform application (with its endpoints) as it now is, or its deletion.
    func saveApp(_ arn: String) async throws {
        let commit = apps.withLock { all -> Commit in
            if let a = all[arn] {
                return records.put(kind: PlatformApplicationRecord.kind, account: a.accountId, region: a.region, id: a.id,
                                   data: PlatformApplicationRecord.encode(a, records))
            }
            // `arn:…:sns:<region>:<account>:app/<PLATFORM>/<name>`
            let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[5].hasPrefix("app/") else { return .done }
            return records.delete(kind: PlatformApplicationRecord.kind, account: String(parts[4]), region: String(parts[3]),
                                  id: String(parts[5].dropFirst(4)))
        }
        try await commit.wait()
    }

    func saveSMS(account: String, region: String) async throws {
        let commit = sms.withLock { all -> Commit in
            let doc = all["\(account)/\(region)"] ?? [:]
            let data = (try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])) ?? Data()
            return records.put(kind: "smsattributes", account: account, region: region, id: "sms", data: Array(data))
        }
        try await commit.wait()
    }

    /// Writes the topic as it now is (or its deletion) under the lock, then waits until durable.
    func save(_ arn: String) async throws {
        let commit = topics.withLock { all -> Commit in
            if let t = all[arn] {
                return records.put(kind: TopicRecord.kind, account: t.accountId, region: t.region, id: t.name,
                                   data: TopicRecord.encode(t))
            }
            let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 6 else { return .done }
            return records.delete(kind: TopicRecord.kind, account: String(parts[4]), region: String(parts[3]),
                                  id: String(parts[5]))
        }
        try await commit.wait()
    }
}
