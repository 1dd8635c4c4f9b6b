import Foundation
import SimfraCore

/// Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant. A grant
/// takes effect at once here (AWS's eventual consistency, which grant tokens bridge, does
/// not exist locally), so grant tokens are accepted and nothing waits for them.
extension KMSService {
    static let grantOperations: Set<String> = [
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
        "Sign", "Verify", "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey", "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
    ]

    func createGrant(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let operations = input.stringList("Operations") ?? []
        guard !operations.isEmpty else {
            throw KMSError.constraint("[]", at: "operations", "Member must have length greater than or equal to 1")
        }
        let grantee = input.string("GranteePrincipal") ?? ""
        try Self.validateGrantPrincipal(grantee)
        if let r = input.string("RetiringPrincipal") { try Self.validateGrantPrincipal(r) }
        let equals = input["Constraints"]?.stringMap("EncryptionContextEquals")
        let subset = input["Constraints"]?.stringMap("EncryptionContextSubset")
        return try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            if key.state == .pendingDeletion { throw KMSError.pendingDeletion(key.arn) }
            try Self.checkGrantOperations(operations, key)
            if (equals != nil || subset != nil), !key.isSymmetric {
                throw KMSError.validation("Grant constraints are supported only for symmetric encryption KMS keys.")
            }
            // A named grant repeated with the same parameters is the same grant (idempotent).
            if let name = input.string("Name"), let same = key.grants.first(where: {
                $0.name == name && $0.granteePrincipal == grantee && $0.retiringPrincipal == input.string("RetiringPrincipal")
                    && Set($0.operations) == Set(operations) && $0.contextEquals == equals && $0.contextSubset == subset
            }) {
                return ["GrantId": .string(same.grantId), "GrantToken": .string(same.token)]
            }
            if key.grants.count >= 50_000 { throw KMSError.limitExceeded("Too many grants on \(key.arn)") }
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            let grant = Grant(
                grantId: KMSIdentifiers.hex(64),
                token: Self.newGrantToken(),
                name: input.string("Name"), granteePrincipal: grantee, retiringPrincipal: input.string("RetiringPrincipal"),
                issuingAccount: "arn:aws:iam::\(ctx.accountId):root", operations: operations, contextEquals: equals,
                contextSubset: subset, created: clock.now())
            key.grants.append(grant)
            st.keys[ref] = key
            writes.append(keyWrite(key))
            return ["GrantId": .string(grant.grantId), "GrantToken": .string(grant.token)]
        }
    }

    static func newGrantToken() -> String {
        // Opaque, URL-safe, and long like AWS's.
        Base64.encode(KMSIdentifiers.randomBytes(96))
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Grantees are IAM principals (ARNs, account roots) or AWS service principals.
    static func validateGrantPrincipal(_ p: String) throws {
        let ok = (p.hasPrefix("arn:aws:") && p.split(separator: ":", omittingEmptySubsequences: false).count >= 6)
            || p.hasSuffix(".amazonaws.com") || (p.count == 12 && p.allSatisfy(\.isNumber))
        if !ok { throw KMSError.validation("Invalid principal: \(p)") }
    }

    /// Operations a grant may allow depend on the key: a symmetric key cannot grant Sign.
    static func checkGrantOperations(_ ops: [String], _ key: KMSKey) throws {
        let cryptographic: Set<String>
        switch key.keyUsage {
        case "ENCRYPT_DECRYPT" where key.isSymmetric:
            cryptographic = ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
                             "ReEncryptTo", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"]
        case "ENCRYPT_DECRYPT": cryptographic = ["Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"]
        case "SIGN_VERIFY": cryptographic = ["Sign", "Verify", "GetPublicKey"]
        case "GENERATE_VERIFY_MAC": cryptographic = ["GenerateMac", "VerifyMac"]
        default: cryptographic = ["DeriveSharedSecret", "GetPublicKey"]
        }
        let general: Set<String> = ["CreateGrant", "RetireGrant", "DescribeKey"]
        for op in ops where !cryptographic.contains(op) && !general.contains(op) {
            throw KMSError.validation("Grant operations \(op) are not valid for a key with key usage \(key.keyUsage) and key spec \(key.keySpec).")
        }
    }

    static func grantEntry(_ g: Grant, key: KMSKey) -> Value {
        var o: [String: Value] = [
            "KeyId": .string(key.arn), "GrantId": .string(g.grantId), "GranteePrincipal": .string(g.granteePrincipal),
            "IssuingAccount": .string(g.issuingAccount), "Operations": .list(g.operations.map(Value.string)),
            "CreationDate": .timestamp(g.created),
        ]
        if let n = g.name { o["Name"] = .string(n) }
        if let r = g.retiringPrincipal { o["RetiringPrincipal"] = .string(r) }
        var c: [String: Value] = [:]
        if let e = g.contextEquals { c["EncryptionContextEquals"] = .object(e.mapValues(Value.string)) }
        if let s = g.contextSubset { c["EncryptionContextSubset"] = .object(s.mapValues(Value.string)) }
        if !c.isEmpty { o["Constraints"] = .object(c) }
        return .object(o)
    }

    func listGrants(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            let key = st.keys[ref]!
            let grants = key.grants.filter {
                (input.string("GrantId") == nil || $0.grantId == input.string("GrantId"))
                    && (input.string("GranteePrincipal") == nil || $0.granteePrincipal == input.string("GranteePrincipal"))
            }
            let byId = Dictionary(uniqueKeysWithValues: grants.map { ($0.grantId, $0) })
            let page = try Pagination.page(grants.map(\.grantId), input, defaultLimit: 50)
            return Pagination.output("Grants", page.items.map { Self.grantEntry(byId[$0]!, key: key) }, next: page.next)
        }
    }

    func listRetirableGrants(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let principal = input.string("RetiringPrincipal") ?? ""
        return try await mutate { st, _ in
            var entries: [(String, Value)] = []
            let keys = st.keys.values.filter { $0.ref.account == ctx.accountId && $0.ref.region == ctx.region }
                .sorted { ($0.created, $0.keyId) < ($1.created, $1.keyId) }
            for key in keys {
                for g in key.grants where g.retiringPrincipal == principal {
                    entries.append((g.grantId, Self.grantEntry(g, key: key)))
                }
            }
            let byId = Dictionary(entries, uniquingKeysWith: { a, _ in a })
            let page = try Pagination.page(entries.map(\.0), input, defaultLimit: 50)
            return Pagination.output("Grants", page.items.map { byId[$0]! }, next: page.next)
        }
    }

    /// The grant's retiring principal, its grantee when the grant allows RetireGrant, or the
    /// account that owns the key may retire it; IAM policies play no part (AWS documents it so).
    func retireGrant(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            var found: (KeyRef, Int)?
            if let token = input.string("GrantToken") {
                for (ref, key) in st.keys where ref.region == ctx.region {
                    if let i = key.grants.firstIndex(where: { $0.token == token }) { found = (ref, i); break }
                }
                guard found != nil else { throw KMSError.invalidGrantToken() }
            } else if let grantId = input.string("GrantId"), let keyId = input.string("KeyId") {
                let ref = try resolve(&st, keyId, ctx, &writes)
                guard let i = st.keys[ref]!.grants.firstIndex(where: { $0.grantId == grantId }) else {
                    throw KMSError.invalidGrantId()
                }
                found = (ref, i)
            } else {
                throw KMSError.validation("Either GrantToken, or both GrantId and KeyId, must be specified.")
            }
            let (ref, i) = found!
            var key = st.keys[ref]!
            let g = key.grants[i]
            let caller = ctx.principalArn
            let allowed = caller == g.retiringPrincipal
                || (caller == g.granteePrincipal && g.operations.contains("RetireGrant"))
                || caller == "arn:aws:iam::\(ref.account):root"
                || Self.sessionMatches(caller, g.retiringPrincipal)
                || (g.operations.contains("RetireGrant") && Self.sessionMatches(caller, g.granteePrincipal))
            guard allowed else {
                throw AWSError(code: "AccessDeniedException",
                               message: "User: \(caller) is not authorized to perform: kms:RetireGrant on resource: \(key.arn)")
            }
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            key.grants.remove(at: i)
            st.keys[ref] = key
            writes.append(keyWrite(key))
            return .empty
        }
    }

    /// An assumed-role session (`arn:aws:sts::acct:assumed-role/R/s`) acts for its role.
    static func sessionMatches(_ caller: String, _ principal: String?) -> Bool {
        guard let principal, caller.hasPrefix("arn:aws:sts::"), principal.contains(":role/") else { return false }
        let parts = caller.split(separator: ":", maxSplits: 5).map(String.init)
        guard parts.count == 6 else { return false }
        let res = parts[5].split(separator: "/")
        guard res.count >= 2, res[0] == "assumed-role" else { return false }
        return principal.hasPrefix("arn:aws:iam::\(parts[4]):role/") && principal.hasSuffix("/" + res[1])
    }

    func revokeGrant(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            let ref = try resolve(&st, input.string("KeyId") ?? "", ctx, &writes)
            var key = st.keys[ref]!
            guard let i = key.grants.firstIndex(where: { $0.grantId == input.string("GrantId") }) else {
                throw KMSError.make("NotFoundException", "Grant ID not found")
            }
            if input.bool("DryRun") == true { throw KMSError.dryRun() }
            key.grants.remove(at: i)
            st.keys[ref] = key
            writes.append(keyWrite(key))
            return .empty
        }
    }
}
