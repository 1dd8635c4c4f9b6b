import SimfraCore
import Synchronization

/// CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue, Get/SetQueueAttributes.
extension SQSService {
    static func validateQueueName(_ name: String, isFifo: Bool) throws(AWSError) {
        func allowed(_ s: Substring) -> Bool {
            !s.isEmpty && s.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x5F
            }
        }
        if isFifo {
            guard name.hasSuffix(".fifo"), name.utf8.count <= 80, allowed(name.dropLast(5)) else {
                throw SQSError.invalidParameterValue(
                    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
                        + "must end with .fifo suffix and be 1 to 80 in length")
            }
        } else {
            guard name.utf8.count <= 80, allowed(Substring(name)) else {
                throw SQSError.invalidParameterValue(
                    "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
            }
        }
    }

    /// The request's queue attributes, answering SQS's error for a name outside the set.
    func requestedAttributes(_ input: Value) throws -> [String: String] {
        if let unknown = input[HiddenInput.unknownAttributeNames]?.listValue?.first?.stringValue {
            throw SQSError.unknownAttribute(unknown)
        }
        return input.stringMap("Attributes") ?? [:]
    }

    static func validateTags(_ tags: [String: String]) throws(AWSError) {
        for (k, v) in tags {
            if k.isEmpty || k.unicodeScalars.count > 128 {
                throw SQSError.invalidParameterValue("Tag keys must be between 1 and 128 characters in length.")
            }
            if v.unicodeScalars.count > 256 {
                throw SQSError.invalidParameterValue("Tag values must be between 0 and 256 characters in length.")
            }
        }
    }

    func createQueue(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("QueueName") ?? ""
        let attrs = try requestedAttributes(input)
        let tags = input.stringMap("tags") ?? [:]
        var isFifo = false
        if let f = attrs["FifoQueue"] {
            guard let b = QueueAttributes.parseBool(f) else { throw SQSError.invalidAttributeValue("FifoQueue") }
            isFifo = b
        }
        try Self.validateQueueName(name, isFifo: isFifo)
        try Self.validateTags(tags)
        if tags.count > 50 { throw SQSError.invalidParameterValue("Too many tags added for queue \(name).") }
        let key = QueueKey(accountId: ctx.accountId, region: ctx.region, name: name)
        let url = Self.queueUrl(key, ctx)
        let arn = QueueARN(region: ctx.region, accountId: ctx.accountId, name: name).text
        let now = clock.now()
        let commit: Commit = try state.withLock { st in
            var cfg = QueueConfig()
            try QueueAttributes.apply(
                attrs, to: &cfg, isFifo: isFifo, creating: true, accountId: ctx.accountId, queueArn: arn,
                lookup: { st.deadLetterInfo(arn: $0) })
            if let existing = st.queues[key] {
                // Idempotent when every given attribute matches; tags are not compared.
                for n in attrs.keys.sorted() where n != "FifoQueue" {
                    if cfg.storedValue(n, isFifo: isFifo) != existing.config.storedValue(n, isFifo: isFifo) {
                        throw SQSError.queueNameExists(attribute: n)
                    }
                }
                return .done
            }
            if options.deletedQueueCooldown > 0, let deleted = st.recentlyDeleted[key],
                now - deleted < options.deletedQueueCooldown
            {
                throw SQSError.queueDeletedRecently()
            }
            st.recentlyDeleted[key] = nil
            let q = SQSQueue(
                name: name, accountId: ctx.accountId, region: ctx.region, isFifo: isFifo, config: cfg, now: now, ids: ids)
            q.tags = tags
            st.queues[key] = q
            return persist(q)
        }
        try await commit.wait()
        return ["QueueUrl": .string(url)]
    }

    func getQueueUrl(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let name = input.string("QueueName") ?? ""
        let owner = input.string("QueueOwnerAWSAccountId").flatMap { $0.isEmpty ? nil : $0 } ?? ctx.accountId
        let key = QueueKey(accountId: owner, region: ctx.region, name: name)
        let exists = state.withLock { $0.queues[key] != nil }
        guard exists else { throw SQSError.queueDoesNotExist() }
        return ["QueueUrl": .string(Self.queueUrl(key, ctx))]
    }

    /// Page bounds shared by ListQueues and ListDeadLetterSourceQueues.
    static func pageSize(_ input: Value) throws(AWSError) -> Int? {
        guard let n = input.int("MaxResults") else { return nil }
        guard (1...1000).contains(n) else {
            throw SQSError.invalidParameter(
                "MaxResults", value: String(n), reason: "MaxResults must be an integer between 1 and 1000.")
        }
        return n
    }

    /// Names after the one a NextToken names, sorted.
    static func page(_ names: [String], input: Value) throws(AWSError) -> (page: [String], nextToken: String?) {
        let limit = try pageSize(input)
        var rest = names.sorted()
        if let token = input.string("NextToken"), !token.isEmpty {
            guard let raw = Base64.decodeCanonical(token), let doc = JSONDocument.parse(String(decoding: raw, as: UTF8.self)),
                let after = doc["after"]?.stringValue
            else { throw SQSError.invalidParameterValue("Invalid NextToken value.") }
            rest = rest.filter { $0 > after }
        }
        let n = limit ?? 1000
        guard rest.count > n else { return (rest, nil) }
        let page = Array(rest.prefix(n))
        // Tokens only when the caller paginates, as in SQS.
        guard limit != nil, let last = page.last else { return (page, nil) }
        var tokenText = "{\"after\":"
        JSONDocument.writeString(last, into: &tokenText)
        tokenText += "}"
        return (page, Base64.encode(tokenText))
    }

    func listQueues(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let prefix = input.string("QueueNamePrefix") ?? ""
        let names: [String] = state.withLock { st in
            st.queues.keys.filter { $0.accountId == ctx.accountId && $0.region == ctx.region && $0.name.hasPrefix(prefix) }
                .map(\.name)
        }
        let (page, token) = try Self.page(names, input: input)
        var out: [String: Value] = [:]
        if !page.isEmpty {
            out["QueueUrls"] = .list(page.map {
                .string(Self.queueUrl(QueueKey(accountId: ctx.accountId, region: ctx.region, name: $0), ctx))
            })
        }
        if let token { out["NextToken"] = .string(token) }
        return .object(out)
    }

    func deleteQueue(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let key = try queueKey(input, ctx)
        let now = clock.now()
        let commit: Commit = try state.withLock { st in
            guard let q = st.queues.removeValue(forKey: key) else { throw SQSError.queueDoesNotExist() }
            releaseWaiters(q)
            q.purge(now: now)
            if options.deletedQueueCooldown > 0 { st.recentlyDeleted[key] = now }
            return records.delete(kind: QueueRecord.kind, account: key.accountId, region: key.region, id: key.name)
        }
        try await commit.wait()
        return .empty
    }

    func purgeQueue(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let key = try queueKey(input, ctx)
        let now = clock.now()
        try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            if let last = q.lastPurgeAt, now - last < options.purgeInterval {
                throw SQSError.purgeQueueInProgress(queueName: q.name)
            }
            q.purge(now: now)
            // Parked polls re-check (and find nothing); they keep waiting for new messages.
            for w in q.takeAllWaiters() {
                w.timer?.cancel()
                w.continuation.resume(returning: .wake)
            }
        }
        return .empty
    }

    func getQueueAttributes(_ input: Value, _ ctx: RequestContext) throws -> Value {
        if let unknown = input[HiddenInput.unknownAttributeNames]?.listValue?.first?.stringValue {
            throw SQSError.unknownAttribute(unknown)
        }
        let key = try queueKey(input, ctx)
        let names = Set(input.stringList("AttributeNames") ?? [])
        let now = clock.now()
        let attrs: [String: Value] = try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            guard !names.isEmpty else { return [:] }
            let all = names.contains("All")
            var out: [String: Value] = [:]
            func add(_ n: String, _ v: @autoclosure () -> String) {
                if all || names.contains(n) { out[n] = .string(v()) }
            }
            for (n, v) in q.config.storedAttributes(isFifo: q.isFifo) { add(n, v) }
            let counts = q.counts(now)
            add("ApproximateNumberOfMessages", String(counts.visible))
            add("ApproximateNumberOfMessagesNotVisible", String(counts.notVisible))
            add("ApproximateNumberOfMessagesDelayed", String(counts.delayed))
            add("CreatedTimestamp", String(q.createdTimestamp))
            add("LastModifiedTimestamp", String(q.lastModifiedTimestamp))
            add("QueueArn", q.arn)
            return out
        }
        return attrs.isEmpty ? .empty : ["Attributes": .object(attrs)]
    }

    func setQueueAttributes(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let key = try queueKey(input, ctx)
        let attrs = try requestedAttributes(input)
        let now = clock.now()
        let commit: Commit = try state.withLock { st in
            guard let q = st.queues[key] else { throw SQSError.queueDoesNotExist() }
            var cfg = q.config
            try QueueAttributes.apply(
                attrs, to: &cfg, isFifo: q.isFifo, creating: false, accountId: q.accountId, queueArn: q.arn,
                lookup: { st.deadLetterInfo(arn: $0) })
            q.config = cfg
            q.lastModifiedTimestamp = Int64(now)
            q.tick(now)
            notify(q, now: now)
            return persist(q)
        }
        try await commit.wait()
        return .empty
    }
}
