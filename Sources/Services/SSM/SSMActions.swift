import SimfraCore

/// Parameter Store's IAM table, as the Service Authorization Reference lists it: each
/// operation is its own `ssm:` action on the parameter ARN
/// (`arn:aws:ssm:<region>:<account>:parameter/<name without leading slash>`);
/// GetParametersByPath authorises the path's ARN with `ssm:Recursive`; PutParameter carries
/// `ssm:Overwrite` and the request tags; DescribeParameters has no resource. Public
/// parameters have ARNs without an account (`arn:aws:ssm:<region>::parameter/aws/service/…`).
/// `aws:ResourceTag/…` comes from `resourceTags`. Decrypting a SecureString is a separate
/// kms:Decrypt, authorised by KMS when Parameter Store calls it.
extension SSMService: ResourcePolicyService {
    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let action = "ssm:" + operation
        func parameterArn(_ raw: String) -> String {
            let name = ParameterName.reference(raw)?.name ?? raw
            return Self.arn(context, name)
        }
        switch operation {
        case "PutParameter":
            let arn = parameterArn((input.string("Name") ?? "").trimmingSpaces)
            var keys = ActionRequirement.requestTagKeys(input.tagList("Tags"))
            keys["ssm:overwrite"] = [input.flag("Overwrite") ? "true" : "false"]
            return [ActionRequirement(action: action, resources: [arn], conditionKeys: keys, createsResource: true)]
        case "GetParameters", "DeleteParameters":
            let names = input.stringList("Names") ?? []
            var seen: Set<String> = []
            let arns = names.map(parameterArn).filter { seen.insert($0).inserted }
            return [ActionRequirement(action: action, resources: arns)]
        case "GetParametersByPath":
            var path = input.string("Path") ?? "/"
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            return [ActionRequirement(action: action, resources: [Self.arn(context, path)],
                                      conditionKeys: ["ssm:recursive": [input.flag("Recursive") ? "true" : "false"]])]
        case "DescribeParameters":
            return [ActionRequirement(action: action)]
        case "AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource":
            let arn = parameterArn(input.string("ResourceId") ?? "")
            var keys: [String: [String]] = [:]
            if operation == "AddTagsToResource" { keys = ActionRequirement.requestTagKeys(input.tagList("Tags")) }
            if operation == "RemoveTagsFromResource", let k = input.stringList("TagKeys"), !k.isEmpty { keys["aws:tagkeys"] = k }
            return [ActionRequirement(action: action, resources: [arn], conditionKeys: keys)]
        default:
            return [ActionRequirement(action: action, resources: [parameterArn(input.string("Name") ?? "")])]
        }
    }

    /// Parameters have no resource policies here (sharing advanced parameters through RAM is
    /// not implemented).
    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? { nil }

    public func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]? {
        guard let ref = ParameterName.reference(arn) else { return nil }
        let now = clock.now()
        let p = state.withLock { $0.parameter(Self.scope(context), ParameterName.key(ref.name), now: now) }
        return p?.tagMap
    }
}

extension SSMService: AccountScopedService {
    /// Deletes every parameter of the account in every region, in one commit.
    public func removeAccount(_ accountId: String) async throws {
        let commit = state.withLock { st -> Commit in
            var writes: [DurableWrite] = []
            for scope in st.scopes.keys where scope.account == accountId {
                for key in (st.scopes[scope] ?? [:]).keys {
                    writes.append(.delete(kind: ParameterRecord.kind, account: scope.account, region: scope.region, id: key))
                }
                st.scopes[scope] = nil
            }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        try await commit.wait()
    }
}
