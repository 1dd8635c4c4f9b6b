import Foundation
import SimfraCore
import SimfraPolicy
import SimfraProtocols

/// Tags (TagResource, UntagResource, ListResourceTags) and key policies (Get/Put/List).
extension KMSService {
    static let maxTags = 50

    /// KMS's tag rules, with its wording: reserved `aws:` prefix, duplicates, 50 per key.
    static func validateTags(_ tags: [(key: String, value: String)], existing: [String: String]) throws {
        var seen = Set<String>()
        for t in tags {
            if t.key.lowercased().hasPrefix("aws:") { throw KMSError.tag("Tags beginning with aws: are reserved") }
            if !seen.insert(t.key).inserted { throw KMSError.tag("Duplicate tag keys") }
        }
        if existing.keys.filter({ !seen.contains($0) }).count + seen.count > maxTags {
            throw KMSError.tag("Too many tags")
        }
    }

    func tagResource(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let tags = input.kmsTags("Tags")
        return try await mutate { st, writes in
            let ref = try resolveForTagging(&st, input, ctx, &writes)
            var key = st.keys[ref]!
            try Self.validateTags(tags, existing: key.tags)
            for t in tags { key.tags[t.key] = t.value }
            st.keys[ref] = key
            writes.append(keyWrite(key))
            return .empty
        }
    }

    func untagResource(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let keys = input.stringList("TagKeys") ?? []
        return try await mutate { st, writes in
            let ref = try resolveForTagging(&st, input, ctx, &writes)
            var key = st.keys[ref]!
            for k in keys { key.tags[k] = nil }
            st.keys[ref] = key
            writes.append(keyWrite(key))
            return .empty
        }
    }

    /// Tagging names a key, never an alias; AWS-managed keys and keys pending deletion
    /// cannot be tagged.
    private func resolveForTagging(_ st: inout KMSState, _ input: Value, _ ctx: RequestContext,
                                   _ writes: inout [DurableWrite]) throws -> KeyRef
    {
        let id = input.string("KeyId") ?? ""
        if case .alias = try KeyIdentifier.parse(id, ctx) { throw KMSError.invalidArn("Invalid arn \(id)") }
        let ref = try resolve(&st, id, ctx, &writes)
        let key = st.keys[ref]!
        try Self.refuseManaged(key, ctx)
        if key.state == .pendingDeletion { throw KMSError.pendingDeletion(key.arn) }
        return ref
    }

    func listResourceTags(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            let tags = st.keys[ref]!.tags
            let page = try Pagination.page(tags.keys.sorted(), input, defaultLimit: 50)
            return Pagination.output(
                "Tags", page.items.map { ["TagKey": .string($0), "TagValue": .string(tags[$0]!)] }, next: page.next)
        }
    }

    // MARK: Key policies

    /// A key policy must be a JSON policy document the IAM engine accepts as a resource
    /// policy; anything else is `MalformedPolicyDocumentException`.
    @discardableResult
    static func validatePolicy(_ text: String) throws -> Policy {
        let value: Value
        do {
            value = try JSONReader.parse(Array(text.utf8))
        } catch {
            throw KMSError.malformedPolicy("Policy contains a statement with one or more invalid principals.")
        }
        do {
            return try Policy(parsing: value, kind: .resource)
        } catch {
            throw KMSError.malformedPolicy("\(error)")
        }
    }

    /// KMS's policy lockout safety check: unless the caller bypasses it, a new key policy must
    /// let the caller change the key policy again, either by naming the caller or by trusting
    /// the caller's account (which delegates to IAM policies).
    static func checkLockout(_ policy: Policy, keyArn: String, keyAccount: String, _ ctx: RequestContext) throws {
        let set = PolicySet(resourcePolicy: AttachedPolicy(id: keyArn, policy: policy), resourceAccount: keyAccount,
                            resourcePolicyRequired: true)
        var principals: [RequestPrincipal] = [.root(account: ctx.accountId)]
        let arn = ctx.principalArn
        if arn.contains(":user/") {
            principals.append(.user(arn: arn, account: ctx.accountId))
        } else if arn.hasPrefix("arn:aws:sts::"), let r = arn.range(of: ":assumed-role/") {
            let rest = arn[r.upperBound...].split(separator: "/")
            if let role = rest.first {
                principals.append(.assumedRole(sessionArn: arn, roleArn: "arn:aws:iam::\(ctx.accountId):role/\(role)",
                                               account: ctx.accountId))
            }
        }
        for p in principals {
            let request = AuthorizationRequest(principal: p, action: "kms:PutKeyPolicy", resource: keyArn)
            if PolicyEvaluator.evaluate(request, set).isAllowed { return }
        }
        throw KMSError.malformedPolicy()
    }

    func getKeyPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("PolicyName") ?? "default"
        return try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            guard name == "default" else { throw KMSError.make("NotFoundException", "No such policy exists") }
            return ["Policy": .string(st.keys[ref]!.policy), "PolicyName": "default"]
        }
    }

    func putKeyPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("PolicyName") ?? "default"
        let policy = input.string("Policy") ?? ""
        guard name == "default" else {
            throw KMSError.constraint(name, at: "policyName", "Member must satisfy regular expression pattern: default")
        }
        let parsed = try Self.validatePolicy(policy)
        return try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            try Self.refuseManaged(key, ctx)
            if input.bool("BypassPolicyLockoutSafetyCheck") != true {
                try Self.checkLockout(parsed, keyArn: key.arn, keyAccount: ref.account, ctx)
            }
            if key.state == .pendingDeletion { throw KMSError.pendingDeletion(key.arn) }
            key.policy = policy
            st.keys[ref] = key
            writes.append(keyWrite(key))
            return .empty
        }
    }

    func listKeyPolicies(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            _ = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            return ["PolicyNames": ["default"], "Truncated": false]
        }
    }
}
