import SimfraCore

/// Secrets Manager's IAM table (Service Authorization Reference): the action, the secret
/// ARN and the condition keys of every operation. The secret's resource policy and tags are
/// handed to the authoriser, so a resource policy can grant or deny (cross-account too).
extension SecretsManagerService: ResourcePolicyService {
    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let action = "secretsmanager:" + operation
        switch operation {
        case "GetRandomPassword", "ListSecrets":
            return [ActionRequirement(action: action)]
        case "BatchGetSecretValue":
            // Each secret is then authorised as its own GetSecretValue; filters list secrets.
            var reqs = [ActionRequirement(action: action)]
            if input["Filters"] != nil { reqs.append(ActionRequirement(action: "secretsmanager:ListSecrets")) }
            return reqs
        case "CreateSecret":
            let name = input.string("Name") ?? ""
            // The ARN's suffix is only chosen when the secret is made.
            let arn = "arn:aws:secretsmanager:\(context.region):\(context.accountId):secret:\(name)-??????"
            var keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
            keys["secretsmanager:name"] = [name]
            if let d = input.string("Description") { keys["secretsmanager:description"] = [d] }
            if let k = input.string("KmsKeyId") { keys["secretsmanager:kmskeyid"] = [k] }
            let regions = (input["AddReplicaRegions"]?.listValue ?? []).compactMap { $0.string("Region") }
            if !regions.isEmpty { keys["secretsmanager:addreplicaregions"] = regions }
            if let f = input.bool("ForceOverwriteReplicaSecret") { keys["secretsmanager:forceoverwritereplicasecret"] = [String(f)] }
            var reqs = [ActionRequirement(action: action, resources: [arn], conditionKeys: keys, createsResource: true)]
            if input["Tags"]?.listValue?.isEmpty == false {
                reqs.append(ActionRequirement(action: "secretsmanager:TagResource", resources: [arn],
                                              conditionKeys: ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)))
            }
            if !regions.isEmpty {
                reqs.append(ActionRequirement(action: "secretsmanager:ReplicateSecretToRegions", resources: [arn],
                                              conditionKeys: ["secretsmanager:addreplicaregions": regions]))
            }
            return reqs
        default:
            break
        }
        let (arn, tags) = secretArnAndTags(input.string("SecretId"), context)
        var keys: [String: [String]] = ["secretsmanager:secretid": [arn]]
        for t in tags { keys["secretsmanager:resourcetag/" + t.key.lowercased()] = [t.value] }
        switch operation {
        case "GetSecretValue":
            if let v = input.string("VersionId") { keys["secretsmanager:versionid"] = [v] }
            if let s = input.string("VersionStage") { keys["secretsmanager:versionstage"] = [s] }
        case "PutSecretValue":
            if let s = input.stringList("VersionStages") { keys["secretsmanager:versionstage"] = s }
        case "UpdateSecret":
            if let d = input.string("Description") { keys["secretsmanager:description"] = [d] }
            if let k = input.string("KmsKeyId") { keys["secretsmanager:kmskeyid"] = [k] }
        case "UpdateSecretVersionStage":
            if let s = input.string("VersionStage") { keys["secretsmanager:versionstage"] = [s] }
        case "DeleteSecret":
            if let w = input.int("RecoveryWindowInDays") { keys["secretsmanager:recoverywindowindays"] = [String(w)] }
            if let f = input.bool("ForceDeleteWithoutRecovery") { keys["secretsmanager:forcedeletewithoutrecovery"] = [String(f)] }
        case "PutResourcePolicy":
            keys["secretsmanager:blockpublicpolicy"] = [String(input.bool("BlockPublicPolicy") ?? false)]
        case "RotateSecret":
            if let l = input.string("RotationLambdaARN") { keys["secretsmanager:rotationlambdaarn"] = [l] }
            keys["secretsmanager:modifyrotationrules"] = [String(input["RotationRules"] != nil)]
            keys["secretsmanager:rotateimmediately"] = [String(input.bool("RotateImmediately") ?? true)]
        case "ReplicateSecretToRegions":
            let regions = (input["AddReplicaRegions"]?.listValue ?? []).compactMap { $0.string("Region") }
            if !regions.isEmpty { keys["secretsmanager:addreplicaregions"] = regions }
            if let f = input.bool("ForceOverwriteReplicaSecret") { keys["secretsmanager:forceoverwritereplicasecret"] = [String(f)] }
        case "TagResource":
            keys.merge(ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)) { $1 }
        case "UntagResource":
            if let k = input.stringList("TagKeys"), !k.isEmpty { keys["aws:tagkeys"] = k }
        default:
            break
        }
        return [ActionRequirement(action: action, resources: [arn], conditionKeys: keys)]
    }

    /// The ARN a SecretId names (the existing secret's full ARN when it exists) and its tags.
    private func secretArnAndTags(_ id: String?, _ ctx: RequestContext) -> (String, [SecretTag]) {
        let id = id ?? ""
        guard let ident = try? Self.identifier(id, ctx) else {
            return ("arn:aws:secretsmanager:\(ctx.region):\(ctx.accountId):secret:\(id)", [])
        }
        if let s = state.withLock({ Self.find(ident, in: $0) }) { return (s.arn, s.tags ?? []) }
        if ident.isARN { return (id, []) }
        return ("arn:aws:secretsmanager:\(ident.region):\(ident.account):secret:\(ident.tail)", [])
    }

    private func secret(arn: String) -> Secret? {
        guard arn.hasPrefix("arn:aws:secretsmanager:"), let ident = try? Self.identifier(arn, dummyContext(arn)) else { return nil }
        return state.withLock { Self.find(ident, in: $0) }
    }

    private func dummyContext(_ arn: String) -> RequestContext {
        RequestContext(requestId: "", accountId: "", region: "", principalArn: "", userId: "", accessKeyId: "",
                       service: serviceName, operation: "", endpoint: "", host: "")
    }

    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? {
        guard let s = secret(arn: arn), let p = s.policy else { return nil }
        return ResourcePolicyDocument(document: p, ownerAccount: s.account)
    }

    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        secret(arn: arn)?.account
    }

    public func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]? {
        guard let tags = secret(arn: arn)?.tags else { return nil }
        return Dictionary(tags.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
    }
}
