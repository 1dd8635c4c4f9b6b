import Foundation
import SimfraCore
import SimfraProtocols

/// AddPermission/RemovePermission edit the topic policy as AWS does (a statement per label,
/// keys sorted when the policy is rewritten); topic policies are checked when set; the data
/// protection policy is stored with the topic.
extension SNSService {
    /// The actions AddPermission grants and a topic policy may name.
    static let topicActions: Set<String> = [
        "addpermission", "confirmsubscription", "deletetopic", "gettopicattributes", "listsubscriptionsbytopic",
        "publish", "receive", "removepermission", "settopicattributes", "subscribe", "getdataprotectionpolicy",
        "putdataprotectionpolicy", "listtagsforresource", "tagresource", "untagresource", "*",
    ]

    func addPermission(_ input: Value) throws(AWSError) -> Value {
        let topicArn = input.string("TopicArn") ?? "", label = input.string("Label") ?? ""
        let accounts = input.stringList("AWSAccountId") ?? [], actions = input.stringList("ActionName") ?? []
        for a in actions where !Self.topicActions.contains(a.lowercased()) {
            throw SNSError.invalidParameter("Policy statement action out of service scope!")
        }
        try withTopic(topicArn) { (topic: inout Topic) throws(AWSError) in
            var doc = Self.policyObject(topic.policy) ?? ["Version": "2008-10-17", "Statement": [Any]()]
            var statements = doc["Statement"] as? [Any] ?? []
            if statements.contains(where: { ($0 as? [String: Any])?["Sid"] as? String == label }) {
                throw SNSError.invalidParameter("Statement already exists")
            }
            let partition = topicArn.split(separator: ":", omittingEmptySubsequences: false)[1]
            let principals = accounts.map { "arn:\(partition):iam::\($0):root" }
            let names = actions.map { $0 == "*" ? "SNS:*" : "SNS:" + $0 }
            statements.append([
                "Sid": label, "Effect": "Allow", "Resource": topicArn,
                "Principal": ["AWS": principals.count == 1 ? principals[0] as Any : principals],
                "Action": names.count == 1 ? names[0] as Any : names,
            ] as [String: Any])
            doc["Statement"] = statements
            topic.attributes["Policy"] = Self.policyText(doc)
        }
        return .empty
    }

    func removePermission(_ input: Value) throws(AWSError) -> Value {
        let label = input.string("Label") ?? ""
        try withTopic(input.string("TopicArn") ?? "") { topic in
            guard var doc = Self.policyObject(topic.policy), var statements = doc["Statement"] as? [Any] else { return }
            statements.removeAll { ($0 as? [String: Any])?["Sid"] as? String == label }
            doc["Statement"] = statements
            topic.attributes["Policy"] = Self.policyText(doc)
        }
        return .empty
    }

    static func policyObject(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    static func policyText(_ doc: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes]))
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    /// What CreateTopic and SetTopicAttributes check of a Policy, with AWS's wording.
    static func validatePolicy(_ text: String) throws(AWSError) {
        if text.utf8.count > 30_720 {
            throw SNSError.invalidParameter("Policy exceeds the maximum size of 30 KB.")
        }
        guard let doc = try? JSONReader.parse(Array(text.utf8)), case .object = doc, let statement = doc["Statement"]
        else { throw SNSError.invalidParameter("Policy Error: null") }
        let statements = statement.listValue ?? [statement]
        for s in statements {
            guard case .object = s, let effect = s.string("Effect"), effect == "Allow" || effect == "Deny" else {
                throw SNSError.invalidParameter("Policy Error: null")
            }
            guard let actions = s["Action"] ?? s["NotAction"] else { throw SNSError.invalidParameter("Policy Error: null") }
            for a in actions.listValue ?? [actions] {
                guard let name = a.stringValue else { throw SNSError.invalidParameter("Policy Error: null") }
                let lower = name.lowercased()
                guard lower == "*" || lower.hasPrefix("sns:") else {
                    throw SNSError.invalidParameter("Policy statement action out of service scope!")
                }
            }
        }
    }

    func putDataProtectionPolicy(_ input: Value) throws(AWSError) -> Value {
        let policy = input.string("DataProtectionPolicy") ?? ""
        guard case .object? = try? JSONReader.parse(Array(policy.utf8)) else {
            throw SNSError.invalidParameter("DataProtectionPolicy Reason: failed to parse JSON.")
        }
        try withTopic(input.string("ResourceArn") ?? "", member: "ResourceArn") { topic in
            topic.attributes["DataProtectionPolicy"] = policy
        }
        return .empty
    }

    func getDataProtectionPolicy(_ input: Value) throws(AWSError) -> Value {
        let arn = input.string("ResourceArn") ?? ""
        try SNSError.checkArn(arn, member: "ResourceArn")
        guard let topic = topics.withLock({ $0[arn] }) else { throw SNSError.topicNotFound }
        guard let policy = topic.attributes["DataProtectionPolicy"] else { return .empty }
        return ["DataProtectionPolicy": .string(policy)]
    }
}
