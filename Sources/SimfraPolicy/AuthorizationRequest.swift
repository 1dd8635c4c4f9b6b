/// One authorisation question: may `principal` perform `action` on `resource` with these
/// condition keys? Built by the dispatcher from a service's operation table, or by IAM's
/// Simulate* APIs from their parameters.
package struct AuthorizationRequest: Sendable {
    package var principal: RequestPrincipal
    /// `service:Action` as AWS names it (`s3:GetObject`); case does not matter for matching.
    package var action: String {
        didSet { (loweredAction, loweredService) = Self.fold(action) }
    }
    /// The resource ARN, or nil for operations without resource-level permissions
    /// (`s3:ListAllMyBuckets`); a nil resource matches policies as `*`.
    package var resource: String?
    package var context: PolicyContext
    private(set) var loweredAction: String
    /// The service prefix of the action (`s3`), which picks the statements worth testing.
    private(set) var loweredService: String

    private static func fold(_ action: String) -> (String, String) {
        let lowered = action.lowercased()
        guard let colon = lowered.utf8.firstIndex(of: UInt8(ascii: ":")) else { return (lowered, "") }
        return (lowered, String(lowered[..<colon]))
    }

    package init(principal: RequestPrincipal, action: String, resource: String?, context: PolicyContext = PolicyContext()) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.context = context
        (loweredAction, loweredService) = Self.fold(action)
    }
}

/// A policy as the evaluation sees it, with the identifier Simulate* reports as its source
/// (a managed policy ARN, or `user/<name>/<inline policy name>` and the like).
package struct AttachedPolicy: Sendable {
    package var id: String
    package var policy: Policy

    package init(id: String, policy: Policy) {
        self.id = id
        self.policy = policy
    }
}

/// Every policy that bears on one request.
package struct PolicySet: Sendable {
    /// The user's inline and attached policies and its groups' (or the role's): the union allows.
    package var identityPolicies: [AttachedPolicy]
    /// The user's or role's permissions boundary, when it has one.
    package var permissionsBoundary: AttachedPolicy?
    /// The session policies passed to AssumeRole/GetFederationToken (inline and managed ARNs,
    /// their union); nil when the session was created without any.
    package var sessionPolicies: [AttachedPolicy]?
    /// The resource's own policy (bucket policy, queue policy, role trust policy …).
    package var resourcePolicy: AttachedPolicy?
    /// The account that owns the resource; nil means the caller's own account.
    package var resourceAccount: String?
    /// Whether the resource policy must allow even within one account. Role trust policies
    /// (and KMS key policies) work that way; set automatically for a `.trust` document.
    package var resourcePolicyRequired: Bool

    package init(
        identityPolicies: [AttachedPolicy] = [], permissionsBoundary: AttachedPolicy? = nil,
        sessionPolicies: [AttachedPolicy]? = nil, resourcePolicy: AttachedPolicy? = nil,
        resourceAccount: String? = nil, resourcePolicyRequired: Bool? = nil
    ) {
        self.identityPolicies = identityPolicies
        self.permissionsBoundary = permissionsBoundary
        self.sessionPolicies = sessionPolicies
        self.resourcePolicy = resourcePolicy
        self.resourceAccount = resourceAccount
        self.resourcePolicyRequired = resourcePolicyRequired ?? (resourcePolicy?.policy.kind == .trust)
    }
}
