import SimfraCore
import Synchronization

/// TagQueue, UntagQueue, ListQueueTags, AddPermission, RemovePermission.
extension SQSService {
    func tagQueue(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let key = try queueKey(input, ctx)
        let tags = input.stringMap("Tags") ?? [:]
        try Self.validateTags(tags)
        let commit: Commit = try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            var merged = q.tags
            for (k, v) in tags { merged[k] = v }
            if merged.count > 50 { throw SQSError.invalidParameterValue("Too many tags added for queue \(q.name).") }
            q.tags = merged
            return persist(q)
        }
        try await commit.wait()
        return .empty
    }

    func untagQueue(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let key = try queueKey(input, ctx)
        let keys = input.stringList("TagKeys") ?? []
        if keys.contains(where: { $0.isEmpty || $0.unicodeScalars.count > 128 }) {
            throw SQSError.invalidParameterValue("Tag keys must be between 1 and 128 characters in length.")
        }
        let commit: Commit = try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            for k in keys { q.tags[k] = nil }
            return persist(q)
        }
        try await commit.wait()
        return .empty
    }

    func listQueueTags(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let key = try queueKey(input, ctx)
        let tags: [String: String] = try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            return q.tags
        }
        if tags.isEmpty { return .empty }
        return ["Tags": .object(tags.mapValues(Value.string))]
    }

    /// Actions AddPermission may grant; the other SQS actions are the owner's alone.
    static let grantableActions: Set<String> = [
        "*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes",
        "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue",
    ]

    func addPermission(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let key = try queueKey(input, ctx)
        let label = input.string("Label") ?? ""
        let actions = input.stringList("Actions") ?? []
        let accounts = input.stringList("AWSAccountIds") ?? []
        if label.isEmpty || label.utf8.count > 80
            || !label.utf8.allSatisfy({
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x5F
            })
        {
            throw SQSError.invalidParameter(
                "Label", value: label,
                reason: "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        }
        if actions.isEmpty { throw SQSError.missingParameter("ActionName") }
        if actions.count > 7 { throw SQSError.overLimit("\(actions.count) Actions were found, maximum allowed is 7.") }
        for a in actions where !Self.grantableActions.contains(a) {
            if implementedOperations.contains(a) {
                throw SQSError.invalidParameter(
                    "ActionName", value: "SQS:\(a)", reason: "Only the queue owner is allowed to invoke this action.")
            }
            throw SQSError.invalidParameter(
                "ActionName", value: "SQS:\(a)",
                reason: "Please refer to the appropriate WSDL for a list of valid actions. ")
        }
        if accounts.isEmpty {
            throw SQSError.invalidParameter("PrincipalId", value: "[]", reason: "Unable to verify.")
        }
        let now = clock.now()
        let commit: Commit = try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            var statements: [JSONDocument] = []
            var members: [(String, JSONDocument)] = [
                ("Version", .string("2008-10-17")), ("Id", .string("\(q.arn)/SQSDefaultPolicy")),
            ]
            if let text = q.config.policy, let doc = JSONDocument.parse(text), let m = doc.objectMembers {
                members = m.filter { $0.0 != "Statement" }
                switch doc["Statement"] {
                case .array(let a)?: statements = a
                case let s?: statements = [s]
                case nil: break
                }
            }
            if statements.contains(where: { $0["Sid"]?.stringValue == label }) {
                throw SQSError.invalidParameter("Label", value: label, reason: "Already exists.")
            }
            let principals = accounts.map { JSONDocument.string("arn:\(QueueARN.partition(for: q.region)):iam::\($0):root") }
            let actionDocs = actions.map { JSONDocument.string("SQS:\($0)") }
            statements.append(.object([
                ("Sid", .string(label)),
                ("Effect", .string("Allow")),
                ("Principal", .object([("AWS", principals.count == 1 ? principals[0] : .array(principals))])),
                ("Action", actionDocs.count == 1 ? actionDocs[0] : .array(actionDocs)),
                ("Resource", .string(q.arn)),
            ]))
            members.append(("Statement", .array(statements)))
            q.config.policy = JSONDocument.object(members).text
            q.lastModifiedTimestamp = Int64(now)
            return persist(q)
        }
        try await commit.wait()
        return .empty
    }

    func removePermission(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let key = try queueKey(input, ctx)
        let label = input.string("Label") ?? ""
        let now = clock.now()
        let commit: Commit = try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            guard let text = q.config.policy, let doc = JSONDocument.parse(text), var members = doc.objectMembers,
                case .array(let statements)? = doc["Statement"],
                statements.contains(where: { $0["Sid"]?.stringValue == label })
            else {
                throw SQSError.invalidParameter("Label", value: label, reason: "can't find label.")
            }
            let kept = statements.filter { $0["Sid"]?.stringValue != label }
            if kept.isEmpty {
                q.config.policy = nil
            } else {
                members = members.map { $0.0 == "Statement" ? ("Statement", .array(kept)) : $0 }
                q.config.policy = JSONDocument.object(members).text
            }
            q.lastModifiedTimestamp = Int64(now)
            return persist(q)
        }
        try await commit.wait()
        return .empty
    }
}
