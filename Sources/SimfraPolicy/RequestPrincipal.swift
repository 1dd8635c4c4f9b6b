/// Who makes a request, as the policy engine needs to know it: the identities a `Principal`
/// element can name and the account whose identity policies apply.
package struct RequestPrincipal: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// The account root user: identity policies do not limit it.
        case root
        case user
        /// A role session (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`).
        case assumedRole
        /// A GetFederationToken session (`arn:aws:sts::<acct>:federated-user/<name>`).
        case federatedUser
        /// An AWS service acting as itself (`sns.amazonaws.com`), only resource policies apply.
        case service
        /// A web-identity or SAML caller (evaluated against a role's trust policy).
        case federated
        /// An unsigned request.
        case anonymous
    }

    package var kind: Kind
    /// The caller's ARN as AWS prints it in AccessDenied messages (`anonymous` for unsigned).
    package var arn: String
    /// The account whose identity policies apply (empty for services and anonymous callers).
    package var accountId: String
    /// For role sessions the role's IAM ARN (with its path); for federated-user sessions the
    /// IAM user that called GetFederationToken. A resource policy naming this ARN grants
    /// permissions that boundaries and session policies still limit.
    package var parentArn: String?
    /// `Service` principal name (`lambda.amazonaws.com`) or `Federated` provider
    /// (`cognito-identity.amazonaws.com`, a SAML provider ARN).
    package var name: String?
    /// The S3 canonical user id of the caller's account, for `CanonicalUser` principals.
    package var canonicalUserId: String?

    package init(
        kind: Kind, arn: String, accountId: String, parentArn: String? = nil, name: String? = nil,
        canonicalUserId: String? = nil
    ) {
        self.kind = kind
        self.arn = arn
        self.accountId = accountId
        self.parentArn = parentArn
        self.name = name
        self.canonicalUserId = canonicalUserId
    }

    package static func root(account: String, partition: String = "aws") -> RequestPrincipal {
        RequestPrincipal(kind: .root, arn: "arn:\(partition):iam::\(account):root", accountId: account)
    }

    package static func user(arn: String, account: String) -> RequestPrincipal {
        RequestPrincipal(kind: .user, arn: arn, accountId: account)
    }

    package static func assumedRole(sessionArn: String, roleArn: String, account: String) -> RequestPrincipal {
        RequestPrincipal(kind: .assumedRole, arn: sessionArn, accountId: account, parentArn: roleArn)
    }

    package static func federatedUser(arn: String, userArn: String, account: String) -> RequestPrincipal {
        RequestPrincipal(kind: .federatedUser, arn: arn, accountId: account, parentArn: userArn)
    }

    package static func service(_ name: String) -> RequestPrincipal {
        RequestPrincipal(kind: .service, arn: name, accountId: "", name: name)
    }

    package static func federated(provider: String, subject: String) -> RequestPrincipal {
        RequestPrincipal(kind: .federated, arn: subject, accountId: "", name: provider)
    }

    package static let anonymous = RequestPrincipal(kind: .anonymous, arn: "anonymous", accountId: "")

    /// Whether identity-based policies exist for this caller at all.
    var hasIdentitySide: Bool {
        switch kind {
        case .root, .user, .assumedRole, .federatedUser: return true
        case .service, .federated, .anonymous: return false
        }
    }
}
