/// Where a policy sits in an evaluation; it names the policy type in AWS's messages.
package enum PolicyRole: Sendable, Equatable {
    case identity, permissionsBoundary, session, resource

    var article: String {
        switch self {
        case .identity: return "an identity-based policy"
        case .permissionsBoundary: return "a permissions boundary"
        case .session: return "a session policy"
        case .resource: return "a resource-based policy"
        }
    }

    var noun: String {
        switch self {
        case .identity: return "identity-based policy"
        case .permissionsBoundary: return "permissions boundary"
        case .session: return "session policy"
        case .resource: return "resource-based policy"
        }
    }
}

/// A statement that matched the request (action, resource, principal and every condition).
package struct MatchedStatement: Sendable, Equatable {
    package var policyId: String
    package var role: PolicyRole
    package var statementIndex: Int
    package var sid: String?
    package var effect: PolicyEffect
}

/// Simulate*'s EvalDecision values.
package enum EvalDecision: String, Sendable {
    case allowed, explicitDeny, implicitDeny
}

package struct AuthorizationResult: Sendable {
    package var decision: EvalDecision
    /// For a denial, the policy type that denied (explicit) or that allowed nothing (implicit).
    package var decidedBy: PolicyRole?
    /// The statements that decided: the denying ones for an explicit deny, the allowing ones
    /// for an allow, none for an implicit deny (Simulate*'s MatchedStatements).
    package var matchedStatements: [MatchedStatement]

    package var isAllowed: Bool { decision == .allowed }

    /// AWS's AccessDenied text: "User: <arn> is not authorized to perform: <action> on
    /// resource: <arn> because no identity-based policy allows the <action> action" and the
    /// explicit-deny, boundary, session and resource-policy variants. Nil when allowed.
    package func accessDeniedMessage(for request: AuthorizationRequest) -> String? {
        guard decision != .allowed else { return nil }
        var m = "User: \(request.principal.arn) is not authorized to perform: \(request.action)"
        if let r = request.resource { m += " on resource: \(r)" }
        let role = decidedBy ?? .identity
        if decision == .explicitDeny {
            m += " with an explicit deny in \(role.article)"
        } else {
            m += " because no \(role.noun) allows the \(request.action) action"
        }
        return m
    }
}
