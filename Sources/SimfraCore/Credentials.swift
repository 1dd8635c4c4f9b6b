/// A signing identity: what a SigV4 access key id resolves to.
public struct Credential: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var accountId: String
    /// `arn:aws:iam::<account>:root`, a user ARN, or an assumed-role ARN.
    public var principalArn: String
    /// GetCallerIdentity's UserId: the account id for root, AIDA… for users, AROA…:session for roles.
    public var userId: String
    /// Temporary credentials carry a session token that must be presented with them.
    public var sessionToken: String?
    /// Seconds since the epoch after which the credential no longer works.
    public var expiration: Double?
    /// For temporary credentials (STS): what the session was made from.
    public var session: SessionInfo?

    public init(
        accessKeyId: String, secretAccessKey: String, accountId: String, principalArn: String,
        userId: String, sessionToken: String? = nil, expiration: Double? = nil, session: SessionInfo? = nil
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.accountId = accountId
        self.principalArn = principalArn
        self.userId = userId
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.session = session
    }

    public var isRoot: Bool { principalArn.hasSuffix(":root") }

    public static func root(accessKeyId: String, secretAccessKey: String, accountId: String) -> Credential {
        Credential(
            accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, accountId: accountId,
            principalArn: "arn:aws:iam::\(accountId):root", userId: accountId)
    }
}

/// What an STS session was made from, so the authoriser can find the policies that apply:
/// the role's (or the user's) identity policies, intersected with the session policies.
public struct SessionInfo: Sendable {
    public enum Kind: Sendable, Equatable {
        /// AssumeRole / AssumeRoleWithWebIdentity / AssumeRoleWithSAML.
        case assumedRole
        /// GetFederationToken: the calling user's policies ∩ the session policies.
        case federatedUser
        /// GetSessionToken: exactly the calling user's (or root's) permissions.
        case sessionToken
    }

    public var kind: Kind
    /// The IAM role ARN (with path) for role sessions; the IAM user ARN (or the root ARN) for
    /// federated-user and session-token sessions.
    public var parentArn: String
    /// The role session name, or the federated user's name.
    public var sessionName: String
    /// Inline session policy JSON (at most one, as passed in `Policy`).
    public var policyDocuments: [String]
    /// Managed session policy ARNs (`PolicyArns`).
    public var policyArns: [String]
    /// Session tags (principal tags of the session), transitive ones included.
    public var tags: [String: String]
    /// Keys of tags that pass on to a chained AssumeRole.
    public var transitiveTagKeys: [String]
    public var sourceIdentity: String?
    /// Whether this session came from another role session (role chaining: at most 1 h).
    public var isChained: Bool

    /// Whether session policies limit this session (an empty set does not).
    public var hasSessionPolicies: Bool { !policyDocuments.isEmpty || !policyArns.isEmpty }

    public init(
        kind: Kind, parentArn: String, sessionName: String, policyDocuments: [String] = [],
        policyArns: [String] = [], tags: [String: String] = [:], transitiveTagKeys: [String] = [],
        sourceIdentity: String? = nil, isChained: Bool = false
    ) {
        self.kind = kind
        self.parentArn = parentArn
        self.sessionName = sessionName
        self.policyDocuments = policyDocuments
        self.policyArns = policyArns
        self.tags = tags
        self.transitiveTagKeys = transitiveTagKeys
        self.sourceIdentity = sourceIdentity
        self.isChained = isChained
    }
}

/// Resolves access key ids to credentials. The server owns root keys; IAM and STS add their
/// own providers later without the server importing them.
public protocol CredentialProvider: Sendable {
    func credential(forAccessKeyId id: String) -> Credential?
}
