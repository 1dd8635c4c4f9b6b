import SimfraCore
import SimfraPolicy
import SimfraProtocols

/// TagResource/UntagResource and the resource policy operations. The policy is enforced by
/// the IAM authoriser (SecretsManagerActions hands it over), not here.
extension SecretsManagerService {
    func tagResource(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        let add = try Self.tags(input) ?? []
        let now = clock.now()
        try await mutate(s.ref) { sec, _ in
            var tags = sec.tags ?? []
            for t in add {
                if let i = tags.firstIndex(where: { $0.key == t.key }) { tags[i].value = t.value } else { tags.append(t) }
            }
            if tags.count > 50 { throw SMError.invalidParameter("You can't add more than 50 tags to a secret.") }
            sec.tags = tags
            sec.lastChanged = now
        }
        await syncReplicas(s.ref, ctx, plaintexts: [:])
        return .empty
    }

    func untagResource(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        let keys = Set(input.stringList("TagKeys") ?? [])
        let now = clock.now()
        try await mutate(s.ref) { sec, _ in
            sec.tags = (sec.tags ?? []).filter { !keys.contains($0.key) }
            sec.lastChanged = now
        }
        await syncReplicas(s.ref, ctx, plaintexts: [:])
        return .empty
    }

    /// Parses a resource policy as IAM would evaluate it.
    static func parsePolicy(_ text: String) -> Result<Policy, AWSError> {
        guard let v = try? JSONReader.parse(Array(text.utf8)), case .object = v else {
            return .failure(AWSError(code: "MalformedPolicyDocumentException", message: "This resource policy contains a syntax error."))
        }
        do {
            return .success(try Policy(parsing: v, kind: .resource))
        } catch {
            return .failure(AWSError(code: "MalformedPolicyDocumentException", message: error.message))
        }
    }

    func getResourcePolicy(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let s = try lookup(input, ctx)
        var out = Self.nameAndArn(s)
        if let p = s.policy { out["ResourcePolicy"] = .string(p) }
        return .object(out)
    }

    func putResourcePolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        let text = input.string("ResourcePolicy") ?? ""
        let policy = try Self.parsePolicy(text).get()
        if input.bool("BlockPublicPolicy") ?? false, policy.isPublic {
            throw AWSError(code: "PublicPolicyException",
                           message: "You can't attach a resource-based policy that allows broad access to the secret.")
        }
        let now = clock.now()
        try await mutate(s.ref) { sec, _ in
            sec.policy = text
            sec.lastChanged = now
        }
        await syncReplicas(s.ref, ctx, plaintexts: [:])
        return .object(Self.nameAndArn(s))
    }

    func deleteResourcePolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let s = try lookup(input, ctx)
        guard !s.isReplica else { throw SMError.replicaReadOnly() }
        let now = clock.now()
        try await mutate(s.ref) { sec, _ in
            if sec.policy != nil {
                sec.policy = nil
                sec.lastChanged = now
            }
        }
        await syncReplicas(s.ref, ctx, plaintexts: [:])
        return .object(Self.nameAndArn(s))
    }

    /// Syntax and grammar as the IAM engine reads them, plus AWS's broad-access check.
    func validateResourcePolicy(_ input: Value, _ ctx: RequestContext) throws -> Value {
        if let id = input.string("SecretId") { _ = try lookup(id, ctx) }
        switch Self.parsePolicy(input.string("ResourcePolicy") ?? "") {
        case .failure(let e):
            return ["PolicyValidationPassed": false,
                    "ValidationErrors": [["CheckName": "SYNTAX_CHECK", "ErrorMessage": .string(e.message)]]]
        case .success(let p):
            if p.isPublic {
                return ["PolicyValidationPassed": false,
                        "ValidationErrors": [["CheckName": "BLOCK_PUBLIC_POLICY",
                                              "ErrorMessage": "The policy allows broad access to the secret."]]]
            }
            return ["PolicyValidationPassed": true, "ValidationErrors": []]
        }
    }
}
