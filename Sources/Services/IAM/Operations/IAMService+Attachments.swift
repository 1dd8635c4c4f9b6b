import SimfraCore

/// Attached managed policies and inline policies, one implementation for users, groups and roles.
extension IAMService {
    static func noSuch(_ kind: EntityKind, _ name: String) -> AWSError {
        switch kind {
        case .user: return IAMError.noSuchUser(name)
        case .group: return IAMError.noSuchGroup(name)
        case .role: return IAMError.noSuchRole(name)
        }
    }

    static func attachments(_ kind: EntityKind, _ name: String, _ a: IAMAccount) throws(AWSError) -> PolicyAttachments {
        let k = name.lowercased()
        let p: PolicyAttachments?
        switch kind {
        case .user: p = a.users[k]?.policies
        case .group: p = a.groups[k]?.policies
        case .role: p = a.roles[k]?.policies
        }
        guard let p else { throw noSuch(kind, name) }
        return p
    }

    /// Changes one entity's policies in place and records the entity.
    func modifyAttachments<R: Sendable>(
        _ kind: EntityKind, _ name: String, _ ctx: RequestContext,
        _ body: (inout PolicyAttachments, IAMAccount, inout Changes) throws -> R
    ) async throws -> R {
        let account = ctx.accountId
        let k = name.lowercased()
        return try await mutate(account) { a, ch in
            switch kind {
            case .user:
                guard var u = a.users[k] else { throw IAMError.noSuchUser(name) }
                let r = try body(&u.policies, a, &ch)
                a.users[k] = u
                ch.writes.append(write(u, account))
                return r
            case .group:
                guard var g = a.groups[k] else { throw IAMError.noSuchGroup(name) }
                let r = try body(&g.policies, a, &ch)
                a.groups[k] = g
                ch.writes.append(write(g, account))
                return r
            case .role:
                guard var x = a.roles[k] else { throw IAMError.noSuchRole(name) }
                if x.serviceLinked { throw protectedRole(x) }
                let r = try body(&x.policies, a, &ch)
                a.roles[k] = x
                ch.writes.append(write(x, account))
                return r
            }
        }
    }

    static func quotaName(_ kind: EntityKind) -> String {
        switch kind {
        case .user: return "PoliciesPerUser"
        case .group: return "PoliciesPerGroup"
        case .role: return "PoliciesPerRole"
        }
    }

    func attach(_ kind: EntityKind, _ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("PolicyArn")
        let account = ctx.accountId
        return try await modifyAttachments(kind, input.required(kind.nameMember), ctx) { p, a, _ in
            guard managedPolicyExists(arn, a, account) else { throw IAMError.notAttachable(arn) }
            guard !p.attached.contains(arn) else { return Value.empty }
            if p.attached.count >= 10 { throw IAMError.limitExceeded("Cannot exceed quota for \(Self.quotaName(kind)): 10") }
            p.attached.append(arn)
            return Value.empty
        }
    }

    func detach(_ kind: EntityKind, _ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("PolicyArn")
        return try await modifyAttachments(kind, input.required(kind.nameMember), ctx) { p, _, _ in
            guard let i = p.attached.firstIndex(of: arn) else { throw IAMError.noSuchPolicy(arn) }
            p.attached.remove(at: i)
            return Value.empty
        }
    }

    /// Name and path of an attached managed policy (AWS- or customer-managed).
    static func attachedEntry(_ arn: String) -> (name: String, path: String) {
        guard let colon = arn.range(of: ":policy/") else { return (arn, "/") }
        let rest = arn[colon.upperBound...]
        let slash = rest.lastIndex(of: "/")
        let name = slash.map { String(rest[rest.index(after: $0)...]) } ?? String(rest)
        let path = slash.map { "/" + rest[...$0] } ?? "/"
        return (name, path)
    }

    func listAttached(_ kind: EntityKind, _ input: Value, _ ctx: RequestContext) throws -> Value {
        let name = input.required(kind.nameMember)
        let prefix = input.string("PathPrefix") ?? "/"
        return try read(ctx.accountId) { a in
            let p = try Self.attachments(kind, name, a)
            let entries = p.attached.map { ($0, Self.attachedEntry($0)) }.filter { $0.1.path.hasPrefix(prefix) }
            let page = try Pagination.page(
                entries.enumerated().map { ($0.offset, $0.element) }, key: { Self.format6($0.0) }, input: input)
            return .object(page.members("AttachedPolicies") {
                ["PolicyName": .string($0.1.1.name), "PolicyArn": .string($0.1.0)]
            })
        }
    }

    // MARK: Inline policies

    func putInline(_ kind: EntityKind, _ input: Value, _ ctx: RequestContext) async throws -> Value {
        let policyName = input.required("PolicyName")
        try Validation.name(policyName, member: "policyName")
        let doc = PolicyDocuments.normalized(input.required("PolicyDocument"))
        let entity = input.required(kind.nameMember)
        return try await modifyAttachments(kind, entity, ctx) { p, _, ch in
            try ch.parse(doc, .identity)
            try PolicyDocuments.checkInlineSize(doc, kind, entity)
            // Names are unique ignoring case: a second spelling replaces the first.
            if let old = p.inline.keys.first(where: { $0.lowercased() == policyName.lowercased() }) { p.inline[old] = nil }
            p.inline[policyName] = doc
            return Value.empty
        }
    }

    static func noSuchInline(_ kind: EntityKind, _ policy: String) -> AWSError {
        IAMError.noSuchEntity("The \(kind.word) policy with name \(policy) cannot be found.")
    }

    func getInline(_ kind: EntityKind, _ input: Value, _ ctx: RequestContext) throws -> Value {
        let name = input.required(kind.nameMember)
        let policyName = input.required("PolicyName")
        return try read(ctx.accountId) { a in
            let p = try Self.attachments(kind, name, a)
            guard let key = p.inline.keys.first(where: { $0.lowercased() == policyName.lowercased() }), let doc = p.inline[key] else {
                throw Self.noSuchInline(kind, policyName)
            }
            let entityName: String
            switch kind {
            case .user: entityName = a.users[name.lowercased()]?.name ?? name
            case .group: entityName = a.groups[name.lowercased()]?.name ?? name
            case .role: entityName = a.roles[name.lowercased()]?.name ?? name
            }
            return [
                kind.nameMember: .string(entityName), "PolicyName": .string(key),
                "PolicyDocument": .string(PercentEncoding.encode(doc)),
            ]
        }
    }

    func deleteInline(_ kind: EntityKind, _ input: Value, _ ctx: RequestContext) async throws -> Value {
        let policyName = input.required("PolicyName")
        return try await modifyAttachments(kind, input.required(kind.nameMember), ctx) { p, _, _ in
            guard let key = p.inline.keys.first(where: { $0.lowercased() == policyName.lowercased() }) else {
                throw Self.noSuchInline(kind, policyName)
            }
            p.inline[key] = nil
            return Value.empty
        }
    }

    func listInline(_ kind: EntityKind, _ input: Value, _ ctx: RequestContext) throws -> Value {
        let name = input.required(kind.nameMember)
        return try read(ctx.accountId) { a in
            let p = try Self.attachments(kind, name, a)
            let names = p.inline.keys.sorted()
            let page = try Pagination.page(names, key: { $0 }, input: input)
            return .object(page.members("PolicyNames") { .string($0) })
        }
    }
}
