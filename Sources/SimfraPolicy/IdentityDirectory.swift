import SimfraCore

/// Everything the authoriser needs about the caller of one request: who it is for the
/// engine, the condition-key facts about it, and the identity-side policies that apply.
package struct CallerIdentity: Sendable {
    package var principal: RequestPrincipal
    /// `aws:userid` (AIDA… for a user, AROA…:session for a role session).
    package var userId: String
    /// `aws:username` (IAM users only).
    package var userName: String?
    /// `aws:PrincipalTag/…`: the user's or role's tags, overridden by session tags.
    package var principalTags: [String: String]
    /// The user's inline and attached policies and its groups', or the role's.
    package var identityPolicies: [AttachedPolicy]
    package var permissionsBoundary: AttachedPolicy?
    /// nil when the session has no session policies; otherwise their union must allow.
    package var sessionPolicies: [AttachedPolicy]?

    package init(
        principal: RequestPrincipal, userId: String, userName: String? = nil, principalTags: [String: String] = [:],
        identityPolicies: [AttachedPolicy] = [], permissionsBoundary: AttachedPolicy? = nil,
        sessionPolicies: [AttachedPolicy]? = nil
    ) {
        self.principal = principal
        self.userId = userId
        self.userName = userName
        self.principalTags = principalTags
        self.identityPolicies = identityPolicies
        self.permissionsBoundary = permissionsBoundary
        self.sessionPolicies = sessionPolicies
    }
}

/// A role as STS needs it to issue a session.
package struct RoleFacts: Sendable {
    package var arn: String
    package var roleName: String
    /// AROA… unique id (`AssumedRoleUser.AssumedRoleId` is `<roleId>:<session name>`).
    package var roleId: String
    package var accountId: String
    package var trustPolicy: Policy
    /// The trust policy JSON as stored (the authoriser's resource-policy view of the role).
    package var trustPolicyDocument: String
    /// MaxSessionDuration in seconds (3600…43200).
    package var maxSessionDuration: Int
    package var tags: [String: String]

    package init(arn: String, roleName: String, roleId: String, accountId: String, trustPolicy: Policy,
                 trustPolicyDocument: String, maxSessionDuration: Int, tags: [String: String])
    {
        self.arn = arn
        self.roleName = roleName
        self.roleId = roleId
        self.accountId = accountId
        self.trustPolicy = trustPolicy
        self.trustPolicyDocument = trustPolicyDocument
        self.maxSessionDuration = maxSessionDuration
        self.tags = tags
    }
}

/// IAM's answers to the rest of Simfra, implemented by the IAM service and handed to the
/// dispatcher's authoriser and to STS (which never import IAM).
package protocol IdentityDirectory: Sendable {
    /// The caller behind a verified credential, with every identity-side policy resolved
    /// (for a role session: the role's policies plus the session's policies, managed session
    /// policy ARNs looked up). nil when the user or role no longer exists: the call is denied.
    /// Never called for the account root.
    func caller(for credential: Credential) -> CallerIdentity?
    /// A role by ARN (any account), for AssumeRole*.
    func role(arn: String) -> RoleFacts?
    /// A managed policy (AWS-managed or customer-managed, default version), for managed
    /// session policies.
    func managedPolicy(arn: String) -> Policy?
    /// Whether an OIDC provider for this issuer (`https://` stripped, as IAM stores it) exists
    /// in the account.
    func hasOpenIDConnectProvider(account: String, issuer: String) -> Bool
    /// Whether the SAML provider ARN exists.
    func hasSAMLProvider(arn: String) -> Bool
}
