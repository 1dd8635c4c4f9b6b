/// One account's IAM entities. Names are unique ignoring case, as in IAM, so maps are keyed
/// by the lower-cased name (OIDC providers by URL) and each entity keeps its spelling.
struct IAMAccount: Sendable {
    var users: [String: IAMUser] = [:]
    var groups: [String: IAMGroup] = [:]
    var roles: [String: IAMRole] = [:]
    var policies: [String: ManagedPolicy] = [:]
    var instanceProfiles: [String: InstanceProfile] = [:]
    var oidcProviders: [String: OIDCProvider] = [:]
    var samlProviders: [String: SAMLProvider] = [:]
    var alias: String?

    var isEmpty: Bool {
        users.isEmpty && groups.isEmpty && roles.isEmpty && policies.isEmpty && instanceProfiles.isEmpty
            && oidcProviders.isEmpty && samlProviders.isEmpty && alias == nil
    }

    /// Every entity's attachments that name `arn` (ListEntitiesForPolicy, AttachmentCount).
    func attachmentCount(of arn: String) -> Int {
        users.values.count { $0.policies.attached.contains(arn) }
            + groups.values.count { $0.policies.attached.contains(arn) }
            + roles.values.count { $0.policies.attached.contains(arn) }
    }

    func boundaryUsageCount(of arn: String) -> Int {
        users.values.count { $0.permissionsBoundary == arn } + roles.values.count { $0.permissionsBoundary == arn }
    }

    func members(of group: String) -> [IAMUser] {
        let g = group.lowercased()
        return users.values.filter { $0.groups.contains { $0.lowercased() == g } }.sorted { $0.name < $1.name }
    }
}
