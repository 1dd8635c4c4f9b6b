import Foundation
import SimfraCore

/// KMS's IAM table: the action, resources and condition keys of every operation, as the
/// Service Authorization Reference lists them. Key operations act on the key ARN (an alias
/// is resolved to its key first, and the alias is `kms:RequestAlias`); alias operations act
/// on both the alias ARN and the key ARN. The key policy is the resource policy and must
/// allow (`mustAllow`); grants are extra Allow statements naming their grantee.
extension KMSService: ResourcePolicyService {
    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let action = "kms:" + operation
        var base: [String: [String]] = ["kms:calleraccount": [context.accountId]]
        switch operation {
        case "RetireGrant":
            // Decided by the grant itself (its retiring principal or grantee), not by IAM.
            return nil
        case "CreateKey":
            let spec = input.string("KeySpec") ?? input.string("CustomerMasterKeySpec") ?? "SYMMETRIC_DEFAULT"
            base["kms:keyspec"] = [spec]
            base["kms:customermasterkeyspec"] = [spec]
            base["kms:keyusage"] = [input.string("KeyUsage") ?? (spec == "SYMMETRIC_DEFAULT" ? "ENCRYPT_DECRYPT" : "")]
            base["kms:customermasterkeyusage"] = base["kms:keyusage"]
            base["kms:keyorigin"] = [input.string("Origin") ?? "AWS_KMS"]
            base["kms:multiregion"] = [(input.bool("MultiRegion") ?? false) ? "true" : "false"]
            if input.bool("MultiRegion") == true { base["kms:multiregionkeytype"] = ["PRIMARY"] }
            base["kms:bypasspolicylockoutsafetycheck"] = [(input.bool("BypassPolicyLockoutSafetyCheck") ?? false) ? "true" : "false"]
            let tags = ActionRequirement.requestTagKeys(input.kmsTags("Tags"))
            var reqs = [ActionRequirement(action: action, conditionKeys: base.merging(tags) { a, _ in a })]
            if !tags.isEmpty {
                reqs.append(ActionRequirement(action: "kms:TagResource", conditionKeys: base.merging(tags) { a, _ in a }))
            }
            return reqs
        case "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants":
            // ListAliases with a KeyId still needs only kms:ListAliases on "*".
            return [ActionRequirement(action: action, conditionKeys: base)]
        case "CreateAlias", "DeleteAlias":
            let name = input.string("AliasName") ?? ""
            let aliasArn = "arn:aws:kms:\(context.region):\(context.accountId):\(name)"
            var resources = [aliasArn]
            let target = operation == "CreateAlias" ? authorizationArn(input.string("TargetKeyId"), context)
                : authorizationArn(name, context)
            if let target { resources.append(target) }
            return resources.map { ActionRequirement(action: action, resources: [$0], conditionKeys: base) }
        case "UpdateAlias":
            let name = input.string("AliasName") ?? ""
            var resources = ["arn:aws:kms:\(context.region):\(context.accountId):\(name)"]
            if let old = authorizationArn(name, context) { resources.append(old) }
            if let new = authorizationArn(input.string("TargetKeyId"), context) { resources.append(new) }
            return resources.map { ActionRequirement(action: action, resources: [$0], conditionKeys: base) }
        case "Decrypt":
            let arn = authorizationArn(input.string("KeyId"), context) ?? Self.blobKeyArn(input.blob("CiphertextBlob"), context)
            return [keyRequirement(action, arn, input, context, base, crypto: "EncryptionAlgorithm")]
        case "ReEncrypt":
            let source = authorizationArn(input.string("SourceKeyId"), context)
                ?? Self.blobKeyArn(input.blob("CiphertextBlob"), context)
            let dest = authorizationArn(input.string("DestinationKeyId"), context)
            var from = base, to = base
            Self.addContext(&from, input.stringMap("SourceEncryptionContext"))
            Self.addContext(&to, input.stringMap("DestinationEncryptionContext"))
            let same = source != nil && source == dest ? "true" : "false"
            from["kms:reencryptonsamekey"] = [same]
            to["kms:reencryptonsamekey"] = [same]
            if let a = input.string("SourceEncryptionAlgorithm") { from["kms:encryptionalgorithm"] = [a] }
            if let a = input.string("DestinationEncryptionAlgorithm") { to["kms:encryptionalgorithm"] = [a] }
            return [
                keyRequirement("kms:ReEncryptFrom", source, input, context, from, crypto: nil, addContext: false),
                keyRequirement("kms:ReEncryptTo", dest, input, context, to, crypto: nil, addContext: false),
            ]
        case "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
            "GenerateDataKeyPairWithoutPlaintext":
            var keys = base
            if let s = input.string("KeyPairSpec") { keys["kms:datakeypairspec"] = [s] }
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys,
                                   crypto: operation == "Encrypt" ? "EncryptionAlgorithm" : nil)]
        case "Sign", "Verify":
            var keys = base
            if let a = input.string("SigningAlgorithm") { keys["kms:signingalgorithm"] = [a] }
            keys["kms:messagetype"] = [input.string("MessageType") ?? "RAW"]
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
        case "DeriveSharedSecret":
            var keys = base
            if let a = input.string("KeyAgreementAlgorithm") { keys["kms:keyagreementalgorithm"] = [a] }
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
        case "GenerateMac", "VerifyMac":
            var keys = base
            if let a = input.string("MacAlgorithm") { keys["kms:macalgorithm"] = [a] }
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
        case "CreateGrant":
            var keys = base
            keys["kms:grantoperations"] = input.stringList("Operations") ?? []
            if let g = input.string("GranteePrincipal") { keys["kms:granteeprincipal"] = [g] }
            if let r = input.string("RetiringPrincipal") { keys["kms:retiringprincipal"] = [r] }
            var constraintTypes: [String] = []
            if input["Constraints"]?["EncryptionContextEquals"] != nil { constraintTypes.append("EncryptionContextEquals") }
            if input["Constraints"]?["EncryptionContextSubset"] != nil { constraintTypes.append("EncryptionContextSubset") }
            if !constraintTypes.isEmpty { keys["kms:grantconstrainttype"] = constraintTypes }
            // Set when an AWS service creates the grant for the caller (DynamoDB, EBS…).
            keys["kms:grantisforawsresource"] = [context.principalArn.hasSuffix(".amazonaws.com") ? "true" : "false"]
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
        case "ScheduleKeyDeletion":
            var keys = base
            keys["kms:schedulekeydeletionpendingwindowindays"] = [String(input.int("PendingWindowInDays") ?? 30)]
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
        case "PutKeyPolicy":
            var keys = base
            keys["kms:bypasspolicylockoutsafetycheck"] = [(input.bool("BypassPolicyLockoutSafetyCheck") ?? false) ? "true" : "false"]
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
        case "EnableKeyRotation":
            var keys = base
            if let d = input.int("RotationPeriodInDays") { keys["kms:rotationperiodindays"] = [String(d)] }
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
        case "TagResource":
            let keys = base.merging(ActionRequirement.requestTagKeys(input.kmsTags("Tags"))) { a, _ in a }
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
        case "UntagResource":
            var keys = base
            if let k = input.stringList("TagKeys"), !k.isEmpty { keys["aws:tagkeys"] = k }
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
        case "UpdatePrimaryRegion":
            var keys = base
            if let r = input.string("PrimaryRegion") { keys["kms:primaryregion"] = [r] }
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
        case "ReplicateKey":
            var keys = base
            if let r = input.string("ReplicaRegion") { keys["kms:replicaregion"] = [r] }
            var reqs = [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, keys, crypto: nil)]
            // The replica is created in the other region: kms:CreateKey there, and TagResource with tags.
            reqs.append(ActionRequirement(action: "kms:CreateKey", conditionKeys: base))
            return reqs
        default:
            return [keyRequirement(action, authorizationArn(input.string("KeyId"), context), input, context, base, crypto: nil)]
        }
    }

    /// One key operation: the key ARN, the key's own condition keys (spec, usage, origin,
    /// multi-Region type, aliases) and, for cryptographic operations, the encryption context.
    private func keyRequirement(_ action: String, _ arn: String?, _ input: Value, _ ctx: RequestContext,
                                _ base: [String: [String]], crypto: String?, addContext: Bool = true) -> ActionRequirement
    {
        var keys = base
        if addContext { Self.addContext(&keys, input.stringMap("EncryptionContext")) }
        if let crypto {
            keys["kms:encryptionalgorithm"] = [input.string(crypto) ?? "SYMMETRIC_DEFAULT"]
        }
        if let id = input.string("KeyId"), id.hasPrefix("alias/") || id.contains(":alias/") {
            keys["kms:requestalias"] = [id.hasPrefix("arn:") ? String(id[id.range(of: "alias/")!.lowerBound...]) : id]
        }
        if let arn, let facts = keyFacts(arn) {
            keys["kms:keyspec"] = [facts.spec]
            keys["kms:customermasterkeyspec"] = [facts.spec]
            keys["kms:keyusage"] = [facts.usage]
            keys["kms:customermasterkeyusage"] = [facts.usage]
            keys["kms:keyorigin"] = [facts.origin]
            keys["kms:keymanager"] = [facts.manager]
            keys["kms:multiregion"] = [facts.multiRegion ? "true" : "false"]
            if let t = facts.multiRegionType { keys["kms:multiregionkeytype"] = [t] }
            if !facts.aliases.isEmpty { keys["kms:resourcealiases"] = facts.aliases }
        }
        return ActionRequirement(action: action, resources: arn.map { [$0] } ?? [], conditionKeys: keys)
    }

    /// `kms:EncryptionContext:<key>` (key lower-cased as condition keys are; the value as sent)
    /// and `kms:EncryptionContextKeys`.
    static func addContext(_ keys: inout [String: [String]], _ context: [String: String]?) {
        guard let context, !context.isEmpty else { return }
        for (k, v) in context { keys["kms:encryptioncontext:" + k.lowercased()] = [v] }
        keys["kms:encryptioncontextkeys"] = context.keys.sorted()
    }

    private struct KeyFacts {
        var spec, usage, origin, manager: String
        var multiRegion: Bool
        var multiRegionType: String?
        var aliases: [String]
    }

    private func keyFacts(_ arn: String) -> KeyFacts? {
        guard let ref = Self.keyRef(arn) else { return nil }
        return state.withLock { st in
            guard let k = st.keys[ref] else { return nil }
            return KeyFacts(spec: k.keySpec, usage: k.keyUsage, origin: k.origin, manager: k.manager,
                            multiRegion: k.multiRegion, multiRegionType: k.multiRegion ? (k.isPrimary ? "PRIMARY" : "REPLICA") : nil,
                            aliases: st.aliases(of: ref).map(\.ref.name).sorted())
        }
    }

    static func keyRef(_ arn: String) -> KeyRef? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[2] == "kms", parts[5].hasPrefix("key/") else { return nil }
        return KeyRef(account: String(parts[4]), region: String(parts[3]), keyId: String(parts[5].dropFirst(4)))
    }

    /// The key policy, with the key's grants as extra statements; it must allow.
    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? {
        guard let ref = Self.keyRef(arn) else { return nil }
        return state.withLock { st in
            guard let k = st.keys[ref] else { return nil }
            return ResourcePolicyDocument(
                document: k.policy, ownerAccount: ref.account,
                additionalDocuments: k.grants.isEmpty ? [] : [GrantStatements.document(k.grants)], mustAllow: true)
        }
    }

    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        guard let ref = Self.keyRef(arn) else { return nil }
        return state.withLock { $0.keys[ref] != nil ? ref.account : nil }
    }

    public func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]? {
        guard let ref = Self.keyRef(arn) else { return nil }
        return state.withLock { $0.keys[ref]?.tags }
    }
}

/// Grants as the policy engine sees them: one Allow statement per grant, naming the grantee
/// with the granted operations, and its constraints as conditions on the encryption context
/// (Equals: exactly these pairs; Subset: at least these pairs).
enum GrantStatements {
    static func document(_ grants: [Grant]) -> String {
        var statements: [String] = []
        for g in grants {
            let principal = g.granteePrincipal.hasPrefix("arn:") || g.granteePrincipal.allSatisfy(\.isNumber)
                ? "{\"AWS\":\(quote(g.granteePrincipal))}" : "{\"Service\":\(quote(g.granteePrincipal))}"
            // RetireGrant is decided by the handler from the grant itself.
            let actions = g.operations.filter { $0 != "RetireGrant" }.map { "kms:" + $0 }
            if actions.isEmpty { continue }
            // operator → key → values
            var conditions: [String: [String: [String]]] = [:]
            if let e = g.contextEquals {
                if e.isEmpty {
                    conditions["Null", default: [:]]["kms:EncryptionContextKeys"] = ["true"]
                } else {
                    for (k, v) in e { conditions["StringEquals", default: [:]]["kms:EncryptionContext:" + k] = [v] }
                    conditions["ForAllValues:StringEquals", default: [:]]["kms:EncryptionContextKeys"] = e.keys.sorted()
                }
            }
            if let sub = g.contextSubset {
                for (k, v) in sub { conditions["StringEquals", default: [:]]["kms:EncryptionContext:" + k] = [v] }
            }
            var stmt = "{\"Sid\":\(quote("grant-" + g.grantId)),\"Effect\":\"Allow\",\"Principal\":\(principal),"
                + "\"Action\":[\(actions.map(quote).joined(separator: ","))],\"Resource\":\"*\""
            if !conditions.isEmpty {
                let blocks = conditions.sorted { $0.key < $1.key }.map { op, keys in
                    quote(op) + ":{" + keys.sorted { $0.key < $1.key }.map { k, vs in
                        quote(k) + ":[" + vs.map(quote).joined(separator: ",") + "]"
                    }.joined(separator: ",") + "}"
                }
                stmt += ",\"Condition\":{" + blocks.joined(separator: ",") + "}"
            }
            statements.append(stmt + "}")
        }
        return "{\"Version\":\"2012-10-17\",\"Statement\":[" + statements.joined(separator: ",") + "]}"
    }

    static func quote(_ s: String) -> String { JSONText.quoted(s) }
}
