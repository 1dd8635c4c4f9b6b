/// The three kinds of IAM identity that carry policies.
enum EntityKind: Sendable {
    case user, group, role

    var word: String {
        switch self {
        case .user: return "user"
        case .group: return "group"
        case .role: return "role"
        }
    }

    /// The input member naming the entity.
    var nameMember: String {
        switch self {
        case .user: return "UserName"
        case .group: return "GroupName"
        case .role: return "RoleName"
        }
    }
}
