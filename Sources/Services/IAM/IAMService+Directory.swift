import SimfraCore
import SimfraPolicy

/// IAM as Simfra's identity directory. This is on the path of every signed non-root request,
/// so nothing here parses JSON per request: documents are parsed once (on write, or on first
/// use after a restart) and each user's or role's assembled policy list is cached until the
/// account next changes.
extension IAMService: CredentialProvider, IdentityDirectory {
    public func credential(forAccessKeyId id: String) -> Credential? {
        // Only AKIA ids are IAM user keys: root and STS keys are someone else's.
        guard id.hasPrefix("AKIA") else { return nil }
        let now = now()
        return state.withLock { st -> Credential? in
            guard let owner = st.accessKeys[id], let u = st.accounts[owner.account]?.users[owner.user],
                let k = u.accessKeys.first(where: { $0.id == id }), k.isActive
            else { return nil }
            st.keyLastUsed[id] = now
            return Credential(
                accessKeyId: id, secretAccessKey: k.secret, accountId: owner.account,
                principalArn: u.arn(owner.account), userId: u.id)
        }
    }

    package func caller(for credential: Credential) -> CallerIdentity? {
        let account = credential.accountId
        return state.withLock { st -> CallerIdentity? in
            guard let session = credential.session else {
                guard let p = Self.principal(&st, arn: credential.principalArn, kind: .user) else { return nil }
                guard p.uniqueId == credential.userId else { return nil }
                return CallerIdentity(
                    principal: .user(arn: credential.principalArn, account: account), userId: p.uniqueId,
                    userName: p.name, principalTags: p.tags, identityPolicies: p.identityPolicies,
                    permissionsBoundary: p.boundary)
            }
            switch session.kind {
            case .assumedRole:
                guard let p = Self.principal(&st, arn: session.parentArn, kind: .role) else { return nil }
                var tags = p.tags
                for (k, v) in session.tags {
                    // Session tags override role tags with the same key (keys ignore case).
                    if let old = tags.keys.first(where: { $0.lowercased() == k.lowercased() }) { tags[old] = nil }
                    tags[k] = v
                }
                return CallerIdentity(
                    principal: .assumedRole(sessionArn: credential.principalArn, roleArn: session.parentArn, account: account),
                    userId: credential.userId, principalTags: tags, identityPolicies: p.identityPolicies,
                    permissionsBoundary: p.boundary, sessionPolicies: Self.sessionPolicies(&st, session, account))
            case .federatedUser:
                // A federated user's principal tags are its session tags, not the IAM user's.
                guard let p = Self.principal(&st, arn: session.parentArn, kind: .user) else { return nil }
                return CallerIdentity(
                    principal: .federatedUser(arn: credential.principalArn, userArn: session.parentArn, account: account),
                    userId: credential.userId, principalTags: session.tags,
                    identityPolicies: p.identityPolicies, permissionsBoundary: p.boundary,
                    // GetFederationToken without a session policy grants nothing (AWS): an
                    // empty set of session policies allows no action.
                    sessionPolicies: Self.sessionPolicies(&st, session, account) ?? [])
            case .sessionToken:
                if session.parentArn.hasSuffix(":root") {
                    return CallerIdentity(principal: .root(account: account), userId: account)
                }
                guard let p = Self.principal(&st, arn: session.parentArn, kind: .user) else { return nil }
                return CallerIdentity(
                    principal: .user(arn: session.parentArn, account: account), userId: p.uniqueId, userName: p.name,
                    principalTags: p.tags, identityPolicies: p.identityPolicies, permissionsBoundary: p.boundary)
            }
        }
    }

    package func role(arn: String) -> RoleFacts? {
        guard let (account, name) = Self.split(arn, kind: .role) else { return nil }
        return state.withLock { st -> RoleFacts? in
            guard let r = st.accounts[account]?.roles[name.lowercased()], r.arn(account) == arn,
                let trust = Self.parsed(&st, r.trustPolicy, .trust)
            else { return nil }
            return RoleFacts(
                arn: arn, roleName: r.name, roleId: r.id, accountId: account, trustPolicy: trust,
                trustPolicyDocument: r.trustPolicy, maxSessionDuration: r.maxSessionDuration, tags: r.tags.dictionary)
        }
    }

    package func managedPolicy(arn: String) -> Policy? {
        state.withLock { st in Self.managedPolicy(&st, arn) }
    }

    package func hasOpenIDConnectProvider(account: String, issuer: String) -> Bool {
        var url = issuer
        if url.hasPrefix("https://") { url.removeFirst("https://".count) }
        return state.withLock { $0.accounts[account]?.oidcProviders[url] != nil }
    }

    package func hasSAMLProvider(arn: String) -> Bool {
        guard arn.hasPrefix("arn:aws:iam::"), let r = arn.range(of: ":saml-provider/") else { return false }
        let account = String(arn[arn.index(arn.startIndex, offsetBy: "arn:aws:iam::".count)..<r.lowerBound])
        let name = String(arn[r.upperBound...])
        return state.withLock { $0.accounts[account]?.samlProviders[name] != nil }
    }

    // MARK: Assembly (under the lock)

    /// `arn:aws:iam::<account>:<kind><path><name>` → (account, name).
    static func split(_ arn: String, kind: EntityKind) -> (String, String)? {
        let head = "arn:aws:iam::"
        guard arn.hasPrefix(head) else { return nil }
        let rest = arn.dropFirst(head.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let account = String(rest[..<colon])
        let resource = rest[rest.index(after: colon)...]
        guard resource.hasPrefix(kind.word + "/"), let slash = resource.lastIndex(of: "/") else { return nil }
        return (account, String(resource[resource.index(after: slash)...]))
    }

    static func parsed(_ st: inout IAMState, _ document: String, _ kind: Policy.Kind) -> Policy? {
        let key = IAMState.PolicyCacheKey(kind: kind, document: document)
        if let p = st.parsed[key] { return p }
        // Stored documents were validated when written; a failure here means a document that
        // no longer parses, which then grants nothing.
        guard let p = try? PolicyDocuments.parse(document, kind: kind) else { return nil }
        st.parsed[key] = p
        return p
    }

    static func managedPolicy(_ st: inout IAMState, _ arn: String) -> Policy? {
        if let d = AWSManagedPolicies.byArn[arn] { return parsed(&st, d.document, .identity) }
        guard arn.hasPrefix("arn:aws:iam::") else { return nil }
        let rest = arn.dropFirst("arn:aws:iam::".count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let account = String(rest[..<colon])
        guard let a = st.accounts[account], let p = customerPolicy(arn, a, account), let v = p.defaultVersion else { return nil }
        return parsed(&st, v.document, .identity)
    }

    /// The cached policies of a user or role ARN, rebuilt when its account changed.
    static func principal(_ st: inout IAMState, arn: String, kind: EntityKind) -> IAMState.CachedPrincipal? {
        guard let (account, name) = split(arn, kind: kind) else { return nil }
        let generation = st.generations[account] ?? 0
        if let c = st.callers[arn], c.generation == generation { return c }
        guard let a = st.accounts[account] else { return nil }
        var attached: [AttachedPolicy] = []
        func add(_ p: PolicyAttachments, _ owner: String) {
            for (policyName, doc) in p.inline.sorted(by: { $0.key < $1.key }) {
                if let pol = parsed(&st, doc, .identity) {
                    attached.append(AttachedPolicy(id: "\(owner)/\(policyName)", policy: pol))
                }
            }
            for arn in p.attached {
                if let pol = managedPolicy(&st, arn) { attached.append(AttachedPolicy(id: arn, policy: pol)) }
            }
        }
        let cached: IAMState.CachedPrincipal
        switch kind {
        case .user:
            guard let u = a.users[name.lowercased()], u.arn(account) == arn else { return nil }
            add(u.policies, "user/\(u.name)")
            for g in u.groups {
                if let grp = a.groups[g.lowercased()] { add(grp.policies, "group/\(grp.name)") }
            }
            let boundary = u.permissionsBoundary.flatMap { b in managedPolicy(&st, b).map { AttachedPolicy(id: b, policy: $0) } }
            cached = .init(
                generation: generation, uniqueId: u.id, name: u.name, tags: u.tags.dictionary,
                identityPolicies: attached, boundary: boundary)
        case .role:
            guard let r = a.roles[name.lowercased()], r.arn(account) == arn else { return nil }
            add(r.policies, "role/\(r.name)")
            let boundary = r.permissionsBoundary.flatMap { b in managedPolicy(&st, b).map { AttachedPolicy(id: b, policy: $0) } }
            cached = .init(
                generation: generation, uniqueId: r.id, name: r.name, tags: r.tags.dictionary,
                identityPolicies: attached, boundary: boundary)
        case .group:
            return nil
        }
        st.callers[arn] = cached
        return cached
    }

    /// The session's policies: inline documents and managed ARNs, nil when it has none.
    static func sessionPolicies(_ st: inout IAMState, _ s: SessionInfo, _ account: String) -> [AttachedPolicy]? {
        guard s.hasSessionPolicies else { return nil }
        var out: [AttachedPolicy] = []
        for (i, doc) in s.policyDocuments.enumerated() {
            if let p = parsed(&st, doc, .identity) { out.append(AttachedPolicy(id: "session-policy/\(i + 1)", policy: p)) }
        }
        for arn in s.policyArns {
            if let p = managedPolicy(&st, arn) { out.append(AttachedPolicy(id: arn, policy: p)) }
        }
        return out
    }
}
