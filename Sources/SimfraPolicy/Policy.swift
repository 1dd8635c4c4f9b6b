/// A parsed, validated and compiled policy document, ready to evaluate many times. A class so
/// that handing policies around per request costs one reference, not a copy of its arrays.
package final class Policy: Sendable {
    /// Which grammar a document follows: identity policies (users, groups, roles, managed
    /// policies, boundaries, session policies) must not name a principal; resource policies
    /// (bucket, queue, key policies) must; role trust policies must name one and have no Resource.
    package enum Kind: Sendable, Equatable { case identity, resource, trust }

    package let kind: Kind
    /// "2012-10-17", "2008-10-17" or nil. Only 2012-10-17 substitutes policy variables.
    package let version: String?
    package let id: String?
    package let statements: [PolicyStatement]
    /// Which statements can match an action of a given service, so an evaluation skips the
    /// statements about other services without looking at them.
    let index: ServiceIndex
    /// Whether a condition tests `aws:ResourceTag/…`: only then does the authoriser look the
    /// resource's tags up (most requests never need them).
    package let testsResourceTags: Bool

    init(kind: Kind, version: String?, id: String?, statements: [PolicyStatement]) {
        self.kind = kind
        self.version = version
        self.id = id
        self.statements = statements
        index = ServiceIndex(statements)
        testsResourceTags = statements.contains { $0.conditions.contains { $0.lookupKey.hasPrefix("aws:resourcetag/") } }
    }

    /// Statement positions per lower-cased service prefix (`dynamodb`), each list in document
    /// order and including the statements that can match any service (`*`, `*:Get*`, NotAction).
    struct ServiceIndex: Sendable {
        var byService: [String: [Int]] = [:]
        var anyService: [Int] = []

        init(_ statements: [PolicyStatement]) {
            var specific: [String: Set<Int>] = [:]
            for (i, st) in statements.enumerated() {
                let services = st.notAction ? nil : st.actionServices
                guard let services else {
                    anyService.append(i)
                    continue
                }
                for s in services { specific[s, default: []].insert(i) }
            }
            for (s, set) in specific { byService[s] = (set.union(anyService)).sorted() }
        }

        /// The statements worth testing against an action of `service` (lower-cased).
        func candidates(_ service: String) -> [Int] {
            byService[service] ?? anyService
        }
    }
}

package enum PolicyEffect: String, Sendable { case allow = "Allow", deny = "Deny" }

/// A reference type so scanning a policy copies one pointer per statement, not its many arrays.
package final class PolicyStatement: Sendable {
    /// Position in the document (Simulate* reports statements by position).
    package let index: Int
    package let sid: String?
    package let effect: PolicyEffect
    let actions: [WildcardPattern]
    let notAction: Bool
    /// nil when the statement has no Resource element (trust policies): it then applies to
    /// the resource it is attached to.
    let resources: [ResourceMatcher]?
    let notResource: Bool
    let principals: PrincipalSet?
    let notPrincipal: Bool
    package let conditions: [Condition]
    /// The lower-cased services the Action patterns name, nil when one could match any service.
    let actionServices: Set<String>?

    init(
        index: Int, sid: String?, effect: PolicyEffect, actions: [String], notAction: Bool,
        resources: [ResourceMatcher]?, notResource: Bool, principals: PrincipalSet?, notPrincipal: Bool,
        conditions: [Condition]
    ) {
        self.index = index
        self.sid = sid
        self.effect = effect
        self.actions = actions.map { WildcardPattern($0, lowercased: true) }
        self.notAction = notAction
        self.resources = resources
        self.notResource = notResource
        self.principals = principals
        self.notPrincipal = notPrincipal
        self.conditions = conditions
        var services: Set<String>? = []
        for a in actions {
            let lowered = a.lowercased()
            guard let colon = lowered.firstIndex(of: ":") else {
                services = nil
                break
            }
            let svc = lowered[..<colon]
            if svc.contains(Character("*")) || svc.contains(Character("?")) {
                services = nil
                break
            }
            services?.insert(String(svc))
        }
        actionServices = services
    }

    enum ResourceMatcher: Sendable {
        case fixed(ArnPattern)
        case templated(PolicyTemplate)
    }

    /// `action`: the request's lower-cased action as UTF-8.
    func matchesAction(_ action: UnsafeBufferPointer<UInt8>) -> Bool {
        // Borrowed through a buffer: copying each pattern out of the array cost two retains
        // and releases per pattern, more than the compare itself.
        let any = actions.withUnsafeBufferPointer { patterns in
            for i in patterns.indices where patterns[i].matches(action[...]) { return true }
            return false
        }
        return notAction ? !any : any
    }

    /// `resource`: the request's resource ARN as UTF-8 (`*` for an operation without
    /// resource-level permissions).
    func matchesResource(_ resource: UnsafeBufferPointer<UInt8>, _ context: PolicyContext) -> Bool {
        guard let resources else { return true }
        var any = false
        for m in resources {
            switch m {
            case .fixed(let p): any = p.matches(resource)
            case .templated(let t):
                guard let tokens = t.resolveTokens(context) else { continue }
                any = ArnPattern.matches(tokens: tokens, resource)
            }
            if any { break }
        }
        return notResource ? !any : any
    }

    func matchesPrincipal(_ p: RequestPrincipal) -> PrincipalSet.Match {
        guard let principals else { return .direct }
        if notPrincipal { return principals.excludes(p) ? .none : .direct }
        return principals.match(p)
    }

    func conditionsHold(_ context: PolicyContext) -> Bool {
        for c in conditions where !c.evaluate(context) { return false }
        return true
    }
}
