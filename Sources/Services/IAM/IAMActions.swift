import SimfraCore

/// IAM's action table: for every implemented operation, the `iam:` action, the resource it
/// acts on and the condition keys AWS defines for it ("Actions, resources, and condition
/// keys for AWS Identity and Access Management"). Entity ARNs carry the entity's real path,
/// read from state, so a policy on `user/admins/*` matches as it does in AWS.
extension IAMService: AuthorizingService {
    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        guard Self.handlers[operation] != nil else { return nil }
        let account = context.accountId
        var keys: [String: [String]] = [:]
        var resources: [String] = []

        // Tags in the request and tag keys named.
        keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
        if let tagKeys = input.stringList("TagKeys") { keys["aws:tagkeys"] = tagKeys }

        let facts = state.withLock { st in Self.facts(st.accounts[account], input, operation, context) }
        if let arn = facts.arn { resources = [arn] }
        for t in facts.resourceTags { keys["aws:resourcetag/" + t.key.lowercased()] = [t.value] }
        if let b = facts.boundary { keys["iam:permissionsboundary"] = [b] }
        if operation.hasPrefix("Attach") || operation.hasPrefix("Detach"), let p = input.string("PolicyArn") {
            keys["iam:policyarn"] = [p]
        }
        return [ActionRequirement(action: "iam:" + operation, resources: resources, conditionKeys: keys)]
    }

    struct TargetFacts {
        var arn: String?
        var resourceTags: [IAMTag] = []
        var boundary: String?
    }

    /// Operations whose iam:PermissionsBoundary key is the target's current boundary.
    static let boundaryGuarded: Set<String> = [
        "AttachUserPolicy", "DetachUserPolicy", "PutUserPolicy", "DeleteUserPolicy", "DeleteUserPermissionsBoundary",
        "AttachRolePolicy", "DetachRolePolicy", "PutRolePolicy", "DeleteRolePolicy", "DeleteRolePermissionsBoundary",
    ]

    static func facts(_ a: IAMAccount?, _ input: Value, _ op: String, _ ctx: RequestContext) -> TargetFacts {
        let account = ctx.accountId
        let root = "arn:aws:iam::\(account):"
        var f = TargetFacts()
        if let b = input.string("PermissionsBoundary") { f.boundary = b }
        switch op {
        case "ListUsers", "ListGroups", "ListRoles", "ListPolicies", "ListInstanceProfiles", "ListOpenIDConnectProviders",
            "ListSAMLProviders", "GetAccountSummary", "GetAccountAuthorizationDetails", "CreateAccountAlias",
            "DeleteAccountAlias", "ListAccountAliases", "SimulateCustomPolicy", "GetServiceLinkedRoleDeletionStatus",
            "ListVirtualMFADevices", "GetAccountPasswordPolicy":
            return f
        case "AddUserToGroup", "RemoveUserFromGroup":
            let g = input.required("GroupName")
            f.arn = a?.groups[g.lowercased()].map { $0.arn(account) } ?? root + "group/" + g
            return f
        case "SimulatePrincipalPolicy":
            f.arn = input.string("PolicySourceArn")
            return f
        case "CreateServiceLinkedRole":
            let svc = input.required("AWSServiceName")
            f.arn = root + "role/aws-service-role/\(svc)/" + serviceLinkedRoleName(svc, suffix: input.string("CustomSuffix"))
            return f
        case "CreateOpenIDConnectProvider":
            f.arn = root + "oidc-provider/" + input.required("Url").replacingPrefix("https://")
            return f
        case "CreateSAMLProvider":
            f.arn = root + "saml-provider/" + input.required("Name")
            return f
        default:
            break
        }
        // Attach/Detach name both an entity and a policy: the entity is the resource.
        if input.string("UserName") == nil, input.string("RoleName") == nil, input.string("GroupName") == nil,
            let p = input.string("PolicyArn")
        {
            f.arn = p
            if let pol = a.flatMap({ customerPolicy(p, $0, account) }) { f.resourceTags = pol.tags }
        } else if let name = input.string("UserName") ?? userFromCaller(op, ctx) {
            let u = a?.users[name.lowercased()]
            f.arn = u?.arn(account) ?? root + "user" + (input.string("Path") ?? "/") + name
            f.resourceTags = u?.tags ?? []
            if boundaryGuarded.contains(op), let b = u?.permissionsBoundary { f.boundary = b }
        } else if let name = input.string("RoleName") {
            let r = a?.roles[name.lowercased()]
            f.arn = r?.arn(account) ?? root + "role" + (input.string("Path") ?? "/") + name
            f.resourceTags = r?.tags ?? []
            if boundaryGuarded.contains(op), let b = r?.permissionsBoundary { f.boundary = b }
        } else if let name = input.string("GroupName") {
            f.arn = a?.groups[name.lowercased()]?.arn(account) ?? root + "group" + (input.string("Path") ?? "/") + name
        } else if let name = input.string("InstanceProfileName") {
            let p = a?.instanceProfiles[name.lowercased()]
            f.arn = p?.arn(account) ?? root + "instance-profile" + (input.string("Path") ?? "/") + name
            f.resourceTags = p?.tags ?? []
        } else if op == "CreatePolicy" {
            f.arn = root + "policy" + (input.string("Path") ?? "/") + input.required("PolicyName")
        } else if let arn = input.string("OpenIDConnectProviderArn") ?? input.string("SAMLProviderArn") {
            f.arn = arn
        } else if op == "GetAccessKeyLastUsed" {
            f.arn = nil
        }
        return f
    }

    /// Operations on "the calling user" when UserName is left out.
    static func userFromCaller(_ op: String, _ ctx: RequestContext) -> String? {
        let callerScoped: Set<String> = [
            "GetUser", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "ListAccessKeys", "CreateLoginProfile",
            "GetLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile", "ListMFADevices", "ListSigningCertificates",
            "ListSSHPublicKeys", "ListServiceSpecificCredentials",
        ]
        guard callerScoped.contains(op), ctx.principalArn.contains(":user/"), let slash = ctx.principalArn.lastIndex(of: "/") else {
            return nil
        }
        return String(ctx.principalArn[ctx.principalArn.index(after: slash)...])
    }
}

extension String {
    func replacingPrefix(_ p: String) -> String { hasPrefix(p) ? String(dropFirst(p.count)) : self }
}
