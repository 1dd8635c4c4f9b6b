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

    public init(
        accessKeyId: String, secretAccessKey: String, accountId: String, principalArn: String,
        userId: String, sessionToken: String? = nil, expiration: Double? = nil
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.accountId = accountId
        self.principalArn = principalArn
        self.userId = userId
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    public var isRoot: Bool { principalArn.hasSuffix(":root") }

    public static func root(accessKeyId: String, secretAccessKey: String, accountId: String) -> Credential {
        Credential(
            accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, accountId: accountId,
            principalArn: "arn:aws:iam::\(accountId):root", userId: accountId)
    }
}

/// Resolves access key ids to credentials. The server owns root keys; IAM and STS add their
/// own providers later without the server importing them.
public protocol CredentialProvider: Sendable {
    func credential(forAccessKeyId id: String) -> Credential?
}
