/// AWS's policy evaluation logic ("Policy evaluation logic", "Determining whether a request
/// is allowed or denied within an account", "Cross-account policy evaluation logic"), pure
/// and synchronous so enforcement and IAM's Simulate* APIs give the same answers.
///
/// 1. An explicit Deny in any policy wins.
/// 2. The account root is not limited by identity policies; services, web-identity/SAML
///    callers and anonymous callers have none and need a resource policy that allows.
/// 3. Within one account a resource policy naming the user or session itself allows on its
///    own; naming the role is still limited by boundary and session policies; naming the
///    account delegates to identity policies. Otherwise identity policies must allow, and a
///    boundary and session policies, when present, must allow too.
/// 4. Across accounts both sides must allow: the caller's identity side (with boundary and
///    session policies) and the resource policy (any principal match, account included).
package enum PolicyEvaluator {
    package static func evaluate(_ request: AuthorizationRequest, _ policies: PolicySet) -> AuthorizationResult {
        let p = request.principal
        var identity = Scan()
        var boundary = Scan()
        var session = Scan()
        var resource = Scan()
        let limitedCaller = p.hasIdentitySide && p.kind != .root
        if limitedCaller {
            for a in policies.identityPolicies { identity.scan(a, .identity, request) }
            if let b = policies.permissionsBoundary { boundary.scan(b, .permissionsBoundary, request) }
            if let s = policies.sessionPolicies { for a in s { session.scan(a, .session, request) } }
        }
        if let r = policies.resourcePolicy { resource.scan(r, .resource, request) }

        // Spelled out rather than looped over an array literal: no allocation per request.
        func explicit(_ scan: Scan, _ role: PolicyRole) -> AuthorizationResult {
            AuthorizationResult(decision: .explicitDeny, decidedBy: role, matchedStatements: scan.denies)
        }
        if !identity.denies.isEmpty { return explicit(identity, .identity) }
        if !resource.denies.isEmpty { return explicit(resource, .resource) }
        if !boundary.denies.isEmpty { return explicit(boundary, .permissionsBoundary) }
        if !session.denies.isEmpty { return explicit(session, .session) }

        let sameAccount = policies.resourceAccount == nil || policies.resourceAccount == p.accountId
        let resourceAllows = !resource.allows.isEmpty
        func allow(_ statements: [MatchedStatement]) -> AuthorizationResult {
            AuthorizationResult(decision: .allowed, decidedBy: nil, matchedStatements: statements)
        }
        func implicit(_ role: PolicyRole) -> AuthorizationResult {
            AuthorizationResult(decision: .implicitDeny, decidedBy: role, matchedStatements: [])
        }

        switch p.kind {
        case .root:
            if sameAccount, !policies.resourcePolicyRequired { return allow(resource.allows) }
            return resourceAllows ? allow(resource.allows) : implicit(.resource)
        case .service, .federated, .anonymous:
            return resourceAllows ? allow(resource.allows) : implicit(.resource)
        case .user, .assumedRole, .federatedUser:
            break
        }

        if sameAccount {
            if policies.resourcePolicyRequired, !resourceAllows { return implicit(.resource) }
            let strength = resource.strongest
            if strength == .direct { return allow(resource.allows) }
            guard !identity.allows.isEmpty || strength == .parent else { return implicit(.identity) }
            if policies.permissionsBoundary != nil, boundary.allows.isEmpty { return implicit(.permissionsBoundary) }
            if policies.sessionPolicies != nil, session.allows.isEmpty { return implicit(.session) }
            return allow(resource.allows.isEmpty ? identity.allows : identity.allows + resource.allows)
        }
        guard !identity.allows.isEmpty else { return implicit(.identity) }
        if policies.permissionsBoundary != nil, boundary.allows.isEmpty { return implicit(.permissionsBoundary) }
        if policies.sessionPolicies != nil, session.allows.isEmpty { return implicit(.session) }
        guard resourceAllows else { return implicit(.resource) }
        return allow(resource.allows.isEmpty ? identity.allows : identity.allows + resource.allows)
    }

    /// Evaluates each resource of a request that touches several (batch operations check
    /// every item's table); the first denial decides, with the resource it concerns.
    package static func evaluate(_ request: AuthorizationRequest, resources: [String], _ policies: (String) -> PolicySet)
        -> (result: AuthorizationResult, resource: String?)
    {
        var last = AuthorizationResult(decision: .allowed, decidedBy: nil, matchedStatements: [])
        var r = request
        for res in resources {
            r.resource = res
            last = evaluate(r, policies(res))
            if !last.isAllowed { return (last, res) }
        }
        return (last, nil)
    }

    /// Simulate*'s MissingContextValues: the condition keys that statements applying to this
    /// action and resource test but the request does not carry, as the policy spells them,
    /// each once, in the order met.
    package static func missingContextKeys(_ request: AuthorizationRequest, _ policies: PolicySet) -> [String] {
        var all = policies.identityPolicies
        if let b = policies.permissionsBoundary { all.append(b) }
        all += policies.sessionPolicies ?? []
        if let r = policies.resourcePolicy { all.append(r) }
        var seen: Set<String> = []
        var missing: [String] = []
        var action = request.loweredAction
        var resource = request.resource ?? "*"
        action.withUTF8 { a in
            resource.withUTF8 { r in
                for attached in all {
                    for st in attached.policy.statements
                    where st.matchesAction(a) && st.matchesResource(r, request.context)
                        && st.matchesPrincipal(request.principal) != .none
                    {
                        for c in st.conditions where request.context[lowercasedKey: c.lookupKey] == nil {
                            if seen.insert(c.lookupKey).inserted { missing.append(c.key) }
                        }
                    }
                }
            }
        }
        return missing
    }

    /// The statements of one policy type that matched, allocation-free until one matches.
    struct Scan {
        var denies: [MatchedStatement] = []
        var allows: [MatchedStatement] = []
        var strongest: PrincipalSet.Match = .none

        mutating func scan(_ attached: AttachedPolicy, _ role: PolicyRole, _ request: AuthorizationRequest) {
            let statements = attached.policy.statements
            let candidates = attached.policy.index.candidates(request.loweredService)
            if candidates.isEmpty { return }
            var action = request.loweredAction
            var resource = request.resource ?? "*"
            action.withUTF8 { a in
                resource.withUTF8 { r in
                    // Statements are borrowed from the buffer, not copied out of the array:
                    // a retain and release per statement was a third of an evaluation.
                    statements.withUnsafeBufferPointer { sts in
                        for i in candidates {
                            scanStatement(sts[i], attached.id, role, a, r, request)
                        }
                    }
                }
            }
        }

        private mutating func scanStatement(
            _ st: PolicyStatement, _ id: String, _ role: PolicyRole, _ action: UnsafeBufferPointer<UInt8>,
            _ resource: UnsafeBufferPointer<UInt8>, _ request: AuthorizationRequest
        ) {
            guard st.matchesAction(action), st.matchesResource(resource, request.context) else { return }
            let strength = st.matchesPrincipal(request.principal)
            guard strength != .none, st.conditionsHold(request.context) else { return }
            let m = MatchedStatement(policyId: id, role: role, statementIndex: st.index, sid: st.sid, effect: st.effect)
            if st.effect == .deny {
                denies.append(m)
            } else {
                allows.append(m)
                if strength > strongest { strongest = strength }
            }
        }
    }
}
