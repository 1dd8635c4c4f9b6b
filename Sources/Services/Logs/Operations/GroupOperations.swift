import SimfraCore

extension LogsService {
    static let retentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

    static func validateGroupName(_ name: String) throws {
        guard name.count <= 512 else { throw LogsError.nameTooLong() }
        guard !name.isEmpty, name.allSatisfy({ nameCharacters.contains($0) }) else {
            throw LogsError.validation(name, "logGroupName", "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")
        }
    }

    func createLogGroup(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("logGroupName") ?? ""
        try Self.validateGroupName(name)
        let tags = input.stringMap("tags") ?? [:]
        let g = LogGroup(name: name, account: ctx.accountId, region: ctx.region, creationTime: nowMillis, retentionInDays: nil,
                         kmsKeyId: input.string("kmsKeyId"), logGroupClass: input.string("logGroupClass") ?? "STANDARD",
                         deletionProtection: input.bool("deletionProtectionEnabled") ?? false, tags: tags)
        let commit = try state.withLock { st -> Commit in
            if st.groups[Self.key(ctx)]?[name] != nil { throw LogsError.groupExists() }
            st.groups[Self.key(ctx), default: [:]][name] = GroupState(group: g)
            return records.apply([groupWrite(g)])
        }
        try await commit.wait()
        return .empty
    }

    func deleteLogGroup(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try Self.groupName(input)
        let commit = try state.withLock { st -> Commit in
            guard let gs = st.groups[Self.key(ctx)]?[name] else { throw LogsError.groupNotFound() }
            if gs.group.deletionProtection {
                throw AWSError(code: "OperationAbortedException",
                               message: "Log group \(name) has deletion protection enabled and cannot be deleted.")
            }
            st.groups[Self.key(ctx)]?[name] = nil
            return records.apply(deleteWrites(gs))
        }
        try await commit.wait()
        return .empty
    }

    static func groupOutput(_ gs: GroupState) -> Value {
        let g = gs.group
        var o: [String: Value] = [
            "logGroupName": .string(g.name), "creationTime": .integer(g.creationTime),
            "metricFilterCount": .integer(Int64(gs.metricFilters.count)), "arn": .string(g.arn + ":*"),
            "logGroupArn": .string(g.arn), "storedBytes": .integer(gs.streams.values.reduce(0) { $0 + $1.storedBytes }),
            "logGroupClass": .string(g.logGroupClass), "deletionProtectionEnabled": .bool(g.deletionProtection),
        ]
        if let r = g.retentionInDays { o["retentionInDays"] = .integer(Int64(r)) }
        if let k = g.kmsKeyId { o["kmsKeyId"] = .string(k) }
        if g.dataProtectionPolicy != nil { o["dataProtectionStatus"] = "ACTIVATED" }
        return .object(o)
    }

    func describeLogGroups(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let prefix = input.string("logGroupNamePrefix"), pattern = input.string("logGroupNamePattern")
        if prefix != nil, pattern != nil {
            throw LogsError.invalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        }
        let limit = try Self.limit(input, default: 50, max: 50)
        let identifiers = input.stringList("logGroupIdentifiers").map { ids in
            Set(ids.map { id -> String in
                guard id.hasPrefix("arn:"), let r = id.range(of: ":log-group:") else { return id }
                var n = String(id[r.upperBound...])
                if n.hasSuffix(":*") { n.removeLast(2) }
                return n
            })
        }
        let cls = input.string("logGroupClass")
        let items = state.withLock { st in
            (st.groups[Self.key(ctx)] ?? [:]).values
                .filter { gs in
                    let n = gs.group.name
                    if let prefix, !n.hasPrefix(prefix) { return false }
                    // The pattern is a case-insensitive substring match.
                    if let pattern, !pattern.isEmpty, n.range(of: pattern, options: .caseInsensitive) == nil { return false }
                    if let identifiers, !identifiers.contains(n) { return false }
                    if let cls, gs.group.logGroupClass != cls { return false }
                    return true
                }
                .map { ($0.group.name, Self.groupOutput($0)) }
                .sorted { $0.0 < $1.0 }
        }
        let (page, next) = try Self.page(items, token: input.string("nextToken"), limit: limit)
        var out: [String: Value] = ["logGroups": .list(page)]
        if let next { out["nextToken"] = .string(next) }
        return .object(out)
    }

    func putRetentionPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try Self.groupName(input)
        let days = input.int("retentionInDays") ?? 0
        guard Self.retentionDays.contains(days) else {
            throw LogsError.validation(String(days), "retentionInDays",
                                       "Member must satisfy enum value set: [\(Self.retentionDays.map(String.init).joined(separator: ", "))]")
        }
        let commit = try withGroup(ctx, name) { gs -> Commit in
            gs.group.retentionInDays = days
            var writes = [groupWrite(gs.group)]
            writes += expire(&gs)
            return records.apply(writes)
        }
        try await commit.wait()
        return .empty
    }

    func deleteRetentionPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try Self.groupName(input)
        let commit = try withGroup(ctx, name) { gs -> Commit in
            gs.group.retentionInDays = nil
            return records.apply([groupWrite(gs.group)])
        }
        try await commit.wait()
        return .empty
    }

    // MARK: Tags

    /// The group an ARN names (`…:log-group:<name>` with or without `:*`); destinations too.
    func groupFromArn(_ arn: String, _ ctx: RequestContext) throws -> String {
        let parts = arn.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        guard parts.count == 7, parts[2] == "logs", parts[3] == Substring(ctx.region), parts[4] == Substring(ctx.accountId),
              parts[5] == "log-group"
        else { throw LogsError.groupNotFound() }
        var n = String(parts[6])
        if n.hasSuffix(":*") { n.removeLast(2) }
        return n
    }

    static func validateTags(_ tags: [String: String]) throws {
        for (k, v) in tags {
            if k.isEmpty || k.count > 128 || k.hasPrefix("aws:") || v.count > 256 {
                throw LogsError.invalidParameter("Invalid tag: \(k)")
            }
        }
    }

    func changeTags(_ name: String, _ ctx: RequestContext, set: [String: String], remove: [String]) async throws {
        try Self.validateTags(set)
        let commit = try withGroup(ctx, name) { gs -> Commit in
            for (k, v) in set { gs.group.tags[k] = v }
            for k in remove { gs.group.tags[k] = nil }
            if gs.group.tags.count > 50 { throw LogsError.limitExceeded() }
            return records.apply([groupWrite(gs.group)])
        }
        try await commit.wait()
    }

    func tagResource(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await changeTags(try groupFromArn(input.string("resourceArn") ?? "", ctx), ctx, set: input.stringMap("tags") ?? [:], remove: [])
        return .empty
    }

    func untagResource(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await changeTags(try groupFromArn(input.string("resourceArn") ?? "", ctx), ctx, set: [:],
                             remove: input.stringList("tagKeys") ?? [])
        return .empty
    }

    func listTagsForResource(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let name = try groupFromArn(input.string("resourceArn") ?? "", ctx)
        let tags = try withGroup(ctx, name) { $0.group.tags }
        return ["tags": .object(tags.mapValues { .string($0) })]
    }

    func tagLogGroup(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await changeTags(input.string("logGroupName") ?? "", ctx, set: input.stringMap("tags") ?? [:], remove: [])
        return .empty
    }

    func untagLogGroup(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await changeTags(input.string("logGroupName") ?? "", ctx, set: [:], remove: input.stringList("tags") ?? [])
        return .empty
    }

    func listTagsLogGroup(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let tags = try withGroup(ctx, input.string("logGroupName") ?? "") { $0.group.tags }
        return ["tags": .object(tags.mapValues { .string($0) })]
    }
}
