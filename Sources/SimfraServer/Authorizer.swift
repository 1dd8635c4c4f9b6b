import SimfraCore
import SimfraPolicy
import SimfraProtocols
import Synchronization

/// IAM enforcement for every AWS request, between decoding and the handler: the service's
/// action table says what the call needs, IAM's directory says what the caller may do, the
/// owning service hands over its resource policy, and `PolicyEvaluator` decides as AWS does.
///
/// The account root skips the engine unless a resource policy could bind it (a bucket policy's
/// explicit Deny, a trust policy, another account's resource); anything else is evaluated.
final class Authorizer: Sendable {
    /// IAM's answers; nil until IAM is wired (then only root and anonymous callers exist).
    let directory: (any IdentityDirectory)?
    let clock: any SimfraClock
    /// Parsed resource policies by their text (documents change rarely; parsing per request
    /// would dominate). Cleared when it grows past `cacheLimit` rather than tracking use.
    private let cache = Mutex<[String: Policy?]>([:])
    private let cacheLimit = 4096

    init(directory: (any IdentityDirectory)?, clock: any SimfraClock) {
        self.directory = directory
        self.clock = clock
    }

    /// What a denial looks like before it is shaped into the service's own error.
    struct Denial: Error {
        /// AWS's sentence ("User: … is not authorized to perform: …"), nil for an anonymous
        /// caller (services answer their bare "Access Denied").
        var message: String?
    }

    /// Decides one call. `anonymous` is an unsigned request the service accepts unsigned.
    func authorize(
        _ service: any AWSService, operation: String, input: Value, context: RequestContext,
        credential: Credential?, sourceIp: String?, secureTransport: Bool,
        extraConditions: [String: [String]] = [:], servicePrincipal: String? = nil
    ) -> Denial? {
        guard let table = service as? any AuthorizingService else {
            // A service without an action table serves only its account's root.
            if let credential, credential.isRoot, credential.session == nil || credential.session?.kind == .sessionToken {
                return nil
            }
            return Denial(message: nil)
        }
        guard let requirements = table.authorization(operation: operation, input: input, context: context) else {
            return nil
        }
        let holder = service as? any ResourcePolicyService

        // Who is calling.
        let caller: CallerIdentity
        if let servicePrincipal {
            // A service acting as itself (an internal call): only resource policies and
            // grants can allow it.
            caller = CallerIdentity(
                principal: RequestPrincipal(kind: .service, arn: servicePrincipal, accountId: "", name: servicePrincipal),
                userId: "")
        } else if let credential {
            // The root's own GetSessionToken session is the root, with all its rights.
            if credential.isRoot, credential.session == nil || credential.session?.kind == .sessionToken {
                caller = CallerIdentity(principal: .root(account: credential.accountId), userId: credential.accountId)
                if holder == nil { return nil }
            } else if let found = directory?.caller(for: credential) {
                caller = found
                if caller.principal.kind == .root, holder == nil { return nil }
            } else {
                // The user or role behind the key is gone (or IAM is not there to say).
                let principal = RequestPrincipal(kind: .user, arn: credential.principalArn, accountId: credential.accountId)
                return Denial(message: Self.noIdentityMessage(principal, requirements.first!))
            }
        } else {
            caller = CallerIdentity(principal: .anonymous, userId: "")
        }

        let base = PolicyContext.global(
            principal: caller.principal, userId: caller.userId, userName: caller.userName,
            principalTags: caller.principalTags, sourceIp: sourceIp, secureTransport: secureTransport,
            now: clock.now(), requestedRegion: context.region,
            // Temporary credentials carry the key as "false" (Simfra issues none with MFA);
            // long-term keys do not carry it at all, as in AWS.
            multiFactorAuthPresent: credential?.session != nil ? false : nil)
        var context0 = base
        // An internal call's keys (kms:ViaService, aws:CalledVia), set by the invoker.
        for (k, v) in extraConditions { context0.set(k, v) }
        for requirement in requirements {
            var request = AuthorizationRequest(principal: caller.principal, action: requirement.action, resource: nil, context: context0)
            if !requirement.conditionKeys.isEmpty {
                for (k, v) in requirement.conditionKeys { request.context.set(k, v) }
            }
            let resources: [String?] = requirement.resources.isEmpty ? [nil] : requirement.resources
            for resource in resources {
                request.resource = resource
                var set = PolicySet(
                    identityPolicies: caller.identityPolicies, permissionsBoundary: caller.permissionsBoundary,
                    sessionPolicies: caller.sessionPolicies)
                if let holder, let resource, !requirement.createsResource {
                    let document = holder.resourcePolicy(forResource: resource, context: context)
                    let owner = document?.ownerAccount ?? holder.resourceOwner(forResource: resource, context: context)
                    set.resourceAccount = owner
                    // Services validate resource policies when they are set; one that still
                    // does not parse (stored by an older Simfra) is left out, not guessed at.
                    if let document, let policy = parsed(document) {
                        set.resourcePolicy = AttachedPolicy(id: resource, policy: policy)
                        set.resourcePolicyRequired = document.mustAllow
                    }
                    // Root within its own account needs no engine unless a policy is there, and
                    // may always manage the bucket policy that locks it out (as in S3).
                    if caller.principal.kind == .root, owner == nil || owner == caller.principal.accountId,
                        set.resourcePolicy == nil || Self.rootMayAlways.contains(requirement.action)
                    {
                        continue
                    }
                } else if caller.principal.kind == .root {
                    continue
                }
                let result: AuthorizationResult
                if let holder, let resource, Self.testsResourceTags(set),
                    let tags = holder.resourceTags(forResource: resource, context: context), !tags.isEmpty
                {
                    // aws:ResourceTag/<key> of this resource only (a batch names several).
                    var tagged = request
                    for (k, v) in tags { tagged.context.set("aws:resourcetag/" + k, [v]) }
                    result = PolicyEvaluator.evaluate(tagged, set)
                } else {
                    result = PolicyEvaluator.evaluate(request, set)
                }
                if !result.isAllowed {
                    if caller.principal.kind == .anonymous { return Denial(message: nil) }
                    return Denial(message: result.accessDeniedMessage(for: request))
                }
            }
        }
        return nil
    }

    /// Actions an account's root is never denied on its own resources, whatever their
    /// resource policy says: S3 lets the root user repair a bucket policy that denies everyone.
    static let rootMayAlways: Set<String> = ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"]

    /// Whether any policy of the set has an `aws:ResourceTag/…` condition (then, and only
    /// then, the resource's tags are looked up).
    static func testsResourceTags(_ set: PolicySet) -> Bool {
        if set.resourcePolicy?.policy.testsResourceTags == true || set.permissionsBoundary?.policy.testsResourceTags == true {
            return true
        }
        for p in set.identityPolicies where p.policy.testsResourceTags { return true }
        for p in set.sessionPolicies ?? [] where p.policy.testsResourceTags { return true }
        return false
    }

    private static func noIdentityMessage(_ p: RequestPrincipal, _ r: ActionRequirement) -> String {
        var m = "User: \(p.arn) is not authorized to perform: \(r.action)"
        if let res = r.resources.first { m += " on resource: \(res)" }
        return m + " because no identity-based policy allows the \(r.action) action"
    }

    /// The engine's form of a stored resource policy (merged with the ACL statements S3 adds),
    /// nil when it does not parse.
    private func parsed(_ d: ResourcePolicyDocument) -> Policy? {
        let key = d.additionalDocuments.isEmpty ? d.document : d.document + "\u{0}" + d.additionalDocuments.joined(separator: "\u{0}")
        let cacheKey = (d.isTrustPolicy ? "T" : "R") + key
        if let hit = cache.withLock({ $0[cacheKey] }) { return hit }
        let kind: Policy.Kind = d.isTrustPolicy ? .trust : .resource
        var parts: [Policy] = []
        for text in [d.document] + d.additionalDocuments where !text.isEmpty {
            guard let value = try? JSONReader.parse(Array(text.utf8)), let p = try? Policy(parsing: value, kind: kind) else {
                cache.withLock { $0[cacheKey] = .some(nil) }
                return nil
            }
            parts.append(p)
        }
        let policy = parts.count == 1 ? parts[0] : Policy(merging: parts)
        cache.withLock {
            if $0.count >= cacheLimit { $0.removeAll(keepingCapacity: true) }
            $0[cacheKey] = policy
        }
        return policy
    }
}
