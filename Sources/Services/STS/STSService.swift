import SimfraCore
import SimfraPolicy

/// AWS Security Token Service: caller identity, and temporary credentials (`ASIA…` keys with
/// session tokens) from roles, federation and session tokens.
///
/// What STS knows of IAM (roles, providers, managed policies) comes through the
/// `IdentityDirectory` protocol; without one (IAM not wired) every role lookup fails as a
/// missing role does in AWS. Issued sessions live in `sessions`, which the dispatcher consults
/// as a credential provider. The trust policy of `AssumeRole` is evaluated by the dispatcher's
/// authoriser (the role's trust policy is its resource policy, see `resourcePolicy`); the
/// unsigned web-identity and SAML operations evaluate it here, as no signed caller exists.
public struct STSService: ResourcePolicyService {
    public let serviceName = "sts"
    public let implementedOperations: Set<String> = [
        "GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetSessionToken",
        "GetFederationToken", "GetAccessKeyInfo", "DecodeAuthorizationMessage",
    ]

    package let directory: (any IdentityDirectory)?
    package let clock: any SimfraClock
    /// Every temporary credential issued; add it to the dispatcher's providers.
    package let sessions: SessionStore
    /// Resolves any signing key (root, IAM, session) for `GetAccessKeyInfo`, bound once the
    /// dispatcher exists.
    package let accessKeys = AccessKeyResolver()

    public init() {
        self.init(directory: nil, clock: SystemClock())
    }

    package init(directory: (any IdentityDirectory)?, clock: any SimfraClock) {
        self.directory = directory
        self.clock = clock
        sessions = SessionStore(clock: clock)
    }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        switch operation {
        case "GetCallerIdentity":
            // The verified credential already carries what AWS reports for its principal
            // (root, user, assumed-role or federated-user ARN and user id).
            return [
                "UserId": .string(context.userId),
                "Account": .string(context.accountId),
                "Arn": .string(context.principalArn),
            ]
        case "AssumeRole": return try assumeRole(input, context: context)
        case "AssumeRoleWithWebIdentity": return try assumeRoleWithWebIdentity(input, context: context)
        case "AssumeRoleWithSAML": return try assumeRoleWithSAML(input, context: context)
        case "GetSessionToken": return try getSessionToken(input, context: context)
        case "GetFederationToken": return try getFederationToken(input, context: context)
        case "GetAccessKeyInfo": return try getAccessKeyInfo(input, context: context)
        case "DecodeAuthorizationMessage": return try decodeAuthorizationMessage(input, context: context)
        default:
            throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    /// AWS serves these without a signature: the token or assertion is the credential.
    public func acceptsUnsigned(operation: String) -> Bool {
        operation == "AssumeRoleWithWebIdentity" || operation == "AssumeRoleWithSAML"
    }

    /// A role's trust policy is the resource policy `sts:AssumeRole` is checked against.
    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? {
        guard let role = directory?.role(arn: arn) else { return nil }
        return ResourcePolicyDocument(document: role.trustPolicyDocument, ownerAccount: role.accountId, isTrustPolicy: true)
    }

    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        if let role = directory?.role(arn: arn) { return role.accountId }
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count == 6 && !parts[4].isEmpty ? String(parts[4]) : nil
    }
}
