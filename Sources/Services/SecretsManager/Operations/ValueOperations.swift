import SimfraCore

/// A value a request supplies: SecretString or SecretBinary.
struct NewValue: Sendable, Equatable {
    var bytes: [UInt8]
    var isBinary: Bool
}

/// GetSecretValue, BatchGetSecretValue, PutSecretValue, ListSecretVersionIds and
/// UpdateSecretVersionStage.
extension SecretsManagerService {
    static func newValue(_ input: Value) throws -> NewValue? {
        let s = input.string("SecretString")
        let b = input.blob("SecretBinary")
        if s != nil, b != nil {
            throw SMError.invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.")
        }
        if let s { return NewValue(bytes: Array(s.utf8), isBinary: false) }
        if let b { return NewValue(bytes: b, isBinary: true) }
        return nil
    }

    /// ClientRequestToken idempotency: a version with this id and the same value is the
    /// answer to a retried request; with another value the request fails, since versions
    /// never change.
    func retriedVersion(token: String, of s: Secret, value: NewValue, _ ctx: RequestContext) async throws -> SecretVersion? {
        guard let v = s.version(id: token) else { return nil }
        let plain = try await decrypt(v, arn: s.arn, context: ctx)
        guard plain == value.bytes, v.isBinary == value.isBinary else { throw SMError.versionExists() }
        return v
    }

    /// Encrypts and adds a new version to an existing secret; the stages it ends up with.
    func addVersion(to s: Secret, token: String, value: NewValue, stages: [String], _ ctx: RequestContext,
                    also: ((inout Secret) -> Void)? = nil) async throws -> [String]
    {
        let now = clock.now()
        let v = try await encrypt(value.bytes, arn: s.arn, versionId: token, keyId: s.kmsKeyId, isBinary: value.isBinary,
                                  stages: stages, now: now, context: ctx)
        let result = try await mutate(s.ref) { sec, _ -> [String] in
            guard sec.arn == s.arn else { throw SMError.notFound() }
            guard sec.version(id: token) == nil else { throw SMError.versionExists() }
            sec.add(v, now: now)
            sec.lastChanged = now
            also?(&sec)
            return sec.version(id: token)?.stages ?? []
        }
        await syncReplicas(s.ref, ctx, plaintexts: [token: value])
        return result
    }

    func putSecretValue(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        guard let value = try Self.newValue(input) else {
            throw SMError.invalidParameter("You must provide either SecretString or SecretBinary.")
        }
        guard let token = input.string("ClientRequestToken") else { throw SMError.tokenRequired() }
        var out = Self.nameAndArn(s)
        out["VersionId"] = .string(token)
        if let v = try await retriedVersion(token: token, of: s, value: value, ctx) {
            out["VersionStages"] = .list(v.stages.map(Value.string))
            return .object(out)
        }
        var stages = input.stringList("VersionStages") ?? [Secret.current]
        // The first version of a secret is always AWSCURRENT.
        if s.versions.isEmpty, !stages.contains(Secret.current) { stages.append(Secret.current) }
        let result = try await addVersion(to: s, token: token, value: value, stages: stages, ctx)
        out["VersionStages"] = .list(result.map(Value.string))
        return .object(out)
    }

    /// The version a GetSecretValue-shaped request selects.
    static func selectVersion(_ s: Secret, versionId: String?, stage: String?) throws -> SecretVersion {
        if let id = versionId {
            guard let v = s.version(id: id) else { throw SMError.noValueForVersion(id) }
            if let stage, !v.stages.contains(stage) {
                throw SMError.invalidRequest("You provided a VersionStage that is not associated to the provided VersionId.")
            }
            return v
        }
        let st = stage ?? Secret.current
        guard let v = s.version(stage: st) else { throw SMError.noValueForStage(st) }
        return v
    }

    func getSecretValue(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        let v = try Self.selectVersion(s, versionId: input.string("VersionId"), stage: input.string("VersionStage"))
        let plain = try await decrypt(v, arn: s.arn, context: ctx)
        // Access dates are kept to the day, so the record is rewritten at most daily.
        let today = Self.day(clock.now())
        if s.lastAccessed != today || v.lastAccessed != today {
            try await mutate(s.ref) { sec, _ in
                sec.lastAccessed = today
                if let i = sec.versionIndex(id: v.id) { sec.versions[i].lastAccessed = today }
            }
        }
        return Self.valueOutput(s, v, plaintext: plain)
    }

    func batchGetSecretValue(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let ids = input.stringList("SecretIdList")
        let filters = input["Filters"]?.listValue
        if (ids == nil) == (filters == nil) {
            throw SMError.invalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
        }
        var out: [String: Value] = [:]
        var targets: [String]
        if let ids {
            if input["MaxResults"] != nil || input["NextToken"] != nil {
                throw SMError.invalidParameter("'MaxResults' and 'NextToken' can only be used with 'Filters'.")
            }
            targets = ids
        } else {
            let matched = try matchingSecrets(filters: filters ?? [], includeDeleted: false, ascending: true, ctx)
            let page = try Self.page(matched, maxResults: input.int("MaxResults") ?? 20, token: input.string("NextToken"))
            targets = page.items.map(\.arn)
            if let t = page.next { out["NextToken"] = .string(t) }
        }
        // Each secret is read as its own GetSecretValue call, authorised for the caller as
        // AWS requires (secretsmanager:GetSecretValue on every secret); a failure is an entry
        // in Errors, not the call's failure.
        var values: [Value] = []
        var errors: [Value] = []
        for id in targets {
            do {
                let v = try await invoker.invoke(InternalCall(
                    service: serviceName, operation: "GetSecretValue", input: ["SecretId": .string(id)],
                    onBehalfOf: ctx, via: nil))
                values.append(v)
            } catch let e as AWSError {
                errors.append(["SecretId": .string(id), "ErrorCode": .string(e.code), "Message": .string(e.message)])
            }
        }
        out["SecretValues"] = .list(values)
        out["Errors"] = .list(errors)
        return .object(out)
    }

    func listSecretVersionIds(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let s = try lookup(input, ctx, allowDeleted: true)
        let includeDeprecated = input.bool("IncludeDeprecated") ?? false
        let versions = s.versions.filter { includeDeprecated || !$0.isDeprecated }
        let page = try Self.page(versions, maxResults: input.int("MaxResults") ?? 100, token: input.string("NextToken"))
        var out = Self.nameAndArn(s)
        out["Versions"] = .list(page.items.map { v in
            var o: [String: Value] = [
                "VersionId": .string(v.id), "CreatedDate": .timestamp(v.created),
                "KmsKeyIds": [.string(v.kmsKeyId ?? "DefaultEncryptionKey")],
            ]
            if !v.stages.isEmpty { o["VersionStages"] = .list(v.stages.map(Value.string)) }
            if let a = v.lastAccessed { o["LastAccessedDate"] = .timestamp(a) }
            return .object(o)
        })
        if let t = page.next { out["NextToken"] = .string(t) }
        return .object(out)
    }

    func updateSecretVersionStage(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        let stage = input.string("VersionStage") ?? ""
        let remove = input.string("RemoveFromVersionId")
        let move = input.string("MoveToVersionId")
        let now = clock.now()
        try await mutate(s.ref) { sec, _ in
            if let m = move, sec.version(id: m) == nil {
                throw SMError.invalidParameter("Secrets Manager can't find the specified secret version: \(m)")
            }
            if let r = remove {
                guard let v = sec.version(id: r) else {
                    throw SMError.invalidParameter("Secrets Manager can't find the specified secret version: \(r)")
                }
                guard v.stages.contains(stage) else {
                    throw SMError.invalidParameter("The staging label \(stage) is not attached to version \(r).")
                }
            }
            let holder = sec.version(stage: stage)?.id
            if let m = move {
                if let h = holder, h != m, remove != h {
                    throw SMError.invalidParameter(
                        "The parameter RemoveFromVersionId can't be empty. Staging label \(stage) is currently attached to version \(h), so you must explicitly reference that version in RemoveFromVersionId.")
                }
                sec.attach(stage, to: m)
            } else if let r = remove {
                if stage == Secret.current {
                    throw SMError.invalidParameter(
                        "You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.")
                }
                sec.detach(stage, from: r)
            } else {
                throw SMError.invalidParameter("You must specify RemoveFromVersionId, MoveToVersionId or both.")
            }
            sec.lastChanged = now
            sec.prune(now: now)
        }
        await syncReplicas(s.ref, ctx, plaintexts: [:])
        return .object(Self.nameAndArn(s))
    }

    /// One page of a list, with an opaque offset token.
    static func page<T>(_ items: [T], maxResults: Int, token: String?) throws -> (items: [T], next: String?) {
        var start = 0
        if let token {
            guard let b = Base64.decode(token), case let s = String(decoding: b, as: UTF8.self), let n = Int(s.dropFirst(2)),
                s.hasPrefix("o:"), n >= 0, n <= items.count
            else {
                throw AWSError(code: "InvalidNextTokenException", message: "The NextToken value is invalid.")
            }
            start = n
        }
        let end = min(items.count, start + max(1, maxResults))
        let next = end < items.count ? Base64.encode("o:\(end)") : nil
        return (Array(items[start..<end]), next)
    }
}
