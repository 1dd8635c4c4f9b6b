/// The callers a `Principal` / `NotPrincipal` element names, normalised at parse time:
/// account ids and `arn:…:iam::<acct>:root` both mean "the account", other ARNs are users,
/// roles or sessions, plus service, federated and S3 canonical-user principals.
package struct PrincipalSet: Sendable, Equatable {
    package var everyone = false
    package var accounts: Set<String> = []
    package var arns: Set<String> = []
    package var services: Set<String> = []
    package var federated: Set<String> = []
    package var canonicalUsers: Set<String> = []

    package init() {}

    /// How strongly a principal element names the caller. AWS treats these differently within
    /// one account: naming the user or the session itself allows on its own; naming the role
    /// is still limited by boundaries and session policies; naming the account only delegates
    /// to the account's identity policies.
    package enum Match: Int, Sendable, Comparable {
        case none, account, parent, direct
        package static func < (a: Match, b: Match) -> Bool { a.rawValue < b.rawValue }
    }

    package func match(_ p: RequestPrincipal) -> Match {
        if everyone { return .direct }
        switch p.kind {
        case .service: return p.name.map { services.contains($0) } == true ? .direct : .none
        case .federated: return p.name.map { federated.contains($0) } == true ? .direct : .none
        case .anonymous: return .none
        case .root, .user, .assumedRole, .federatedUser:
            if arns.contains(p.arn) { return .direct }
            if let parent = p.parentArn, arns.contains(parent) { return .parent }
            if accounts.contains(p.accountId) || p.canonicalUserId.map({ canonicalUsers.contains($0) }) == true {
                return p.kind == .root ? .direct : .account
            }
            return .none
        }
    }

    /// `NotPrincipal` leaves a caller out only when every identity AWS evaluates for it is
    /// listed: the session or user ARN, the role (or federating user) ARN, and the account.
    package func excludes(_ p: RequestPrincipal) -> Bool {
        if everyone { return true }
        switch p.kind {
        case .service: return p.name.map { services.contains($0) } == true
        case .federated: return p.name.map { federated.contains($0) } == true
        case .anonymous: return false
        case .root: return accounts.contains(p.accountId)
        case .user, .assumedRole, .federatedUser:
            guard arns.contains(p.arn), accounts.contains(p.accountId) else { return false }
            if let parent = p.parentArn, !arns.contains(parent) { return false }
            return true
        }
    }
}
