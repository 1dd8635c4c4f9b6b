import SimfraPolicy

/// Everything IAM holds, under one lock: IAM calls are microseconds and one lock keeps
/// cross-entity rules (a policy's attachment count, a group's members) consistent.
struct IAMState {
    var accounts: [String: IAMAccount] = [:]
    /// Access key id → owning account and lower-cased user name, for signing.
    var accessKeys: [String: AccessKeyOwner] = [:]
    /// When each access key last signed a request (memory only, like AWS's eventual figure).
    var keyLastUsed: [String: Double] = [:]
    /// Bumped by every change to an account; cached callers of older generations are rebuilt.
    var generations: [String: UInt64] = [:]
    /// Assembled identity-side policies per user or role ARN (lower-cased).
    var callers: [String: CachedPrincipal] = [:]
    /// DeleteServiceLinkedRole task ids (the deletion itself is immediate).
    var deletionTasks: Set<String> = []
    /// Parsed documents by kind and text: a document is parsed once however often it is used.
    var parsed: [PolicyCacheKey: Policy] = [:]

    struct AccessKeyOwner: Sendable {
        var account: String
        var user: String
    }

    struct PolicyCacheKey: Hashable {
        var kind: Policy.Kind
        var document: String
    }

    /// A user's or role's policies as the authoriser needs them, built once per generation.
    struct CachedPrincipal {
        var generation: UInt64
        var uniqueId: String
        var name: String
        var tags: [String: String]
        var identityPolicies: [AttachedPolicy]
        var boundary: AttachedPolicy?
    }
}
