import SimfraCore

extension IAMService {
    // MARK: Lookup

    /// The name of a customer-managed policy ARN of `account`, or nil when the ARN is not one.
    static func customerPolicyName(_ arn: String, _ account: String) -> String? {
        let prefix = "arn:aws:iam::\(account):policy/"
        guard arn.hasPrefix(prefix), let slash = arn.lastIndex(of: "/") else { return nil }
        let name = arn[arn.index(after: slash)...]
        return name.isEmpty ? nil : String(name)
    }

    /// The customer-managed policy an ARN names, checking its path too.
    static func customerPolicy(_ arn: String, _ a: IAMAccount, _ account: String) -> ManagedPolicy? {
        guard let name = customerPolicyName(arn, account), let p = a.policies[name.lowercased()], p.arn(account) == arn else {
            return nil
        }
        return p
    }

    func managedPolicyExists(_ arn: String, _ a: IAMAccount, _ account: String) -> Bool {
        AWSManagedPolicies.byArn[arn] != nil || Self.customerPolicy(arn, a, account) != nil
    }

    // MARK: Rendering

    static func policyValue(_ p: ManagedPolicy, _ a: IAMAccount, _ account: String, description: Bool) -> Value {
        let arn = p.arn(account)
        var o: [String: Value] = [
            "PolicyName": .string(p.name), "PolicyId": .string(p.id), "Arn": .string(arn), "Path": .string(p.path),
            "DefaultVersionId": .string(p.defaultVersionId),
            "AttachmentCount": .integer(Int64(a.attachmentCount(of: arn))),
            "PermissionsBoundaryUsageCount": .integer(Int64(a.boundaryUsageCount(of: arn))),
            "IsAttachable": true, "CreateDate": .timestamp(p.created), "UpdateDate": .timestamp(p.updated),
        ]
        if description, let d = p.description { o["Description"] = .string(d) }
        if description, !p.tags.isEmpty { o["Tags"] = p.tags.values }
        return .object(o)
    }

    static func awsPolicyValue(_ d: AWSManagedPolicyDocument, _ a: IAMAccount, description: Bool) -> Value {
        let arn = AWSManagedPolicies.arn(d)
        var o: [String: Value] = [
            "PolicyName": .string(d.name), "PolicyId": .string(d.policyId), "Arn": .string(arn), "Path": .string(d.path),
            "DefaultVersionId": .string(d.defaultVersionId),
            "AttachmentCount": .integer(Int64(a.attachmentCount(of: arn))),
            "PermissionsBoundaryUsageCount": .integer(Int64(a.boundaryUsageCount(of: arn))),
            "IsAttachable": true, "CreateDate": .timestamp(AWSManagedPolicies.date(d.createDate)),
            "UpdateDate": .timestamp(AWSManagedPolicies.date(d.updateDate)),
        ]
        if description { o["Description"] = .string(d.description) }
        return .object(o)
    }

    static func versionValue(_ v: ManagedPolicy.Version, isDefault: Bool) -> Value {
        [
            "Document": .string(PercentEncoding.encode(v.document)), "VersionId": .string(v.id),
            "IsDefaultVersion": .bool(isDefault), "CreateDate": .timestamp(v.created),
        ]
    }

    // MARK: Operations

    func createPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("PolicyName")
        try Validation.name(name, member: "policyName")
        let path = try Validation.path(input.string("Path"), member: "path")
        let doc = PolicyDocuments.normalized(input.required("PolicyDocument"))
        let tags = try Validation.tags(input)
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard a.policies[name.lowercased()] == nil else {
                throw IAMError.alreadyExists("A policy called \(name) already exists. Duplicate names are not allowed.")
            }
            try ch.parse(doc, .identity)
            try PolicyDocuments.checkManagedSize(doc)
            let p = ManagedPolicy(
                name: name, id: IAMIdentifiers.policy(), path: path, description: input.string("Description"),
                created: now, updated: now, versions: [.init(id: "v1", document: doc, created: now)],
                defaultVersionId: "v1", nextVersion: 2, tags: tags)
            a.policies[name.lowercased()] = p
            ch.writes.append(write(p, account))
            var v = Self.policyValue(p, a, account, description: false)
            if !tags.isEmpty { v["Tags"] = tags.values }
            return ["Policy": v]
        }
    }

    func getPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("PolicyArn")
        let account = ctx.accountId
        return try read(account) { a in
            if let d = AWSManagedPolicies.byArn[arn] { return ["Policy": Self.awsPolicyValue(d, a, description: true)] }
            guard let p = Self.customerPolicy(arn, a, account) else { throw IAMError.noSuchPolicy(arn) }
            return ["Policy": Self.policyValue(p, a, account, description: true)]
        }
    }

    /// Changes a customer-managed policy; AWS-managed ones cannot be changed.
    func modifyPolicy(_ arn: String, _ ctx: RequestContext,
                      _ body: (inout ManagedPolicy, IAMAccount, inout Changes) throws -> Value) async throws -> Value
    {
        let account = ctx.accountId
        if AWSManagedPolicies.isAWSManaged(arn) {
            guard AWSManagedPolicies.byArn[arn] != nil else { throw IAMError.noSuchPolicy(arn) }
            throw IAMError.invalidInput("Cannot modify an AWS managed policy: \(arn)")
        }
        return try await mutate(account) { a, ch in
            guard var p = Self.customerPolicy(arn, a, account) else { throw IAMError.noSuchPolicy(arn) }
            let out = try body(&p, a, &ch)
            a.policies[p.name.lowercased()] = p
            ch.writes.append(write(p, account))
            return out
        }
    }

    func deletePolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("PolicyArn")
        let account = ctx.accountId
        if AWSManagedPolicies.isAWSManaged(arn) {
            guard AWSManagedPolicies.byArn[arn] != nil else { throw IAMError.noSuchPolicy(arn) }
            throw IAMError.invalidInput("Cannot delete an AWS managed policy: \(arn)")
        }
        return try await mutate(account) { a, ch in
            guard let p = Self.customerPolicy(arn, a, account) else { throw IAMError.noSuchPolicy(arn) }
            if a.attachmentCount(of: arn) > 0 || a.boundaryUsageCount(of: arn) > 0 {
                throw IAMError.deleteConflict("Cannot delete a policy attached to entities.")
            }
            if p.versions.count > 1 {
                throw IAMError.deleteConflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
                )
            }
            a.policies[p.name.lowercased()] = nil
            ch.writes.append(Self.delete(IAMRecordKind.policy, account, p.id))
            return .empty
        }
    }

    func listPolicies(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let scope = input.string("Scope") ?? "All"
        let onlyAttached = input.bool("OnlyAttached") ?? false
        let prefix = input.string("PathPrefix") ?? "/"
        let account = ctx.accountId
        return try read(account) { a in
            var all: [(key: String, value: Value)] = []
            if scope != "Local" {
                for d in awsManagedPolicyDocuments where d.path.hasPrefix(prefix) {
                    let arn = AWSManagedPolicies.arn(d)
                    if onlyAttached, a.attachmentCount(of: arn) == 0 { continue }
                    all.append((d.name.lowercased() + "\u{1}" + arn, Self.awsPolicyValue(d, a, description: false)))
                }
            }
            if scope != "AWS" {
                for p in a.policies.values where p.path.hasPrefix(prefix) {
                    let arn = p.arn(account)
                    if onlyAttached, a.attachmentCount(of: arn) == 0 { continue }
                    all.append((p.name.lowercased() + "\u{1}" + arn, Self.policyValue(p, a, account, description: false)))
                }
            }
            all.sort { $0.key < $1.key }
            let page = try Pagination.page(all, key: { $0.key }, input: input)
            return .object(page.members("Policies") { $0.value })
        }
    }

    func createPolicyVersion(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("PolicyArn")
        let doc = PolicyDocuments.normalized(input.required("PolicyDocument"))
        let setDefault = input.bool("SetAsDefault") ?? false
        let now = now()
        return try await modifyPolicy(arn, ctx) { p, _, ch in
            if p.versions.count >= 5 {
                throw IAMError.limitExceeded(
                    "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."
                )
            }
            try ch.parse(doc, .identity)
            try PolicyDocuments.checkManagedSize(doc)
            let v = ManagedPolicy.Version(id: "v\(p.nextVersion)", document: doc, created: now)
            p.nextVersion += 1
            p.versions.append(v)
            if setDefault { p.defaultVersionId = v.id }
            p.updated = now
            return ["PolicyVersion": Self.versionValue(v, isDefault: setDefault)]
        }
    }

    func getPolicyVersion(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("PolicyArn")
        let vid = input.required("VersionId")
        let account = ctx.accountId
        let missing = IAMError.noSuchEntity("Policy \(arn) version \(vid) does not exist or is not attachable.")
        if let d = AWSManagedPolicies.byArn[arn] {
            guard vid == d.defaultVersionId else { throw missing }
            return ["PolicyVersion": [
                "Document": .string(PercentEncoding.encode(d.document)), "VersionId": .string(vid),
                "IsDefaultVersion": true, "CreateDate": .timestamp(AWSManagedPolicies.date(d.updateDate)),
            ]]
        }
        return try read(account) { a in
            guard let p = Self.customerPolicy(arn, a, account) else { throw IAMError.noSuchPolicy(arn) }
            guard let v = p.versions.first(where: { $0.id == vid }) else { throw missing }
            return ["PolicyVersion": Self.versionValue(v, isDefault: v.id == p.defaultVersionId)]
        }
    }

    func deletePolicyVersion(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let vid = input.required("VersionId")
        let arn = input.required("PolicyArn")
        return try await modifyPolicy(arn, ctx) { p, _, _ in
            guard let i = p.versions.firstIndex(where: { $0.id == vid }) else {
                throw IAMError.noSuchEntity("Policy \(arn) version \(vid) does not exist or is not deletable.")
            }
            if p.defaultVersionId == vid { throw IAMError.deleteConflict("Cannot delete the default version of a policy.") }
            p.versions.remove(at: i)
            return .empty
        }
    }

    func setDefaultPolicyVersion(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let vid = input.required("VersionId")
        let arn = input.required("PolicyArn")
        let now = now()
        return try await modifyPolicy(arn, ctx) { p, _, _ in
            guard p.versions.contains(where: { $0.id == vid }) else {
                throw IAMError.noSuchEntity("Policy \(arn) version \(vid) does not exist or is not attachable.")
            }
            p.defaultVersionId = vid
            p.updated = now
            return .empty
        }
    }

    func listPolicyVersions(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("PolicyArn")
        let account = ctx.accountId
        if let d = AWSManagedPolicies.byArn[arn] {
            return [
                "Versions": [[
                    "VersionId": .string(d.defaultVersionId), "IsDefaultVersion": true,
                    "CreateDate": .timestamp(AWSManagedPolicies.date(d.updateDate)),
                ]],
                "IsTruncated": false,
            ]
        }
        return try read(account) { a in
            guard let p = Self.customerPolicy(arn, a, account) else { throw IAMError.noSuchPolicy(arn) }
            // Newest first, as IAM lists them.
            func number(_ v: ManagedPolicy.Version) -> Int { Int(v.id.dropFirst()) ?? 0 }
            let sorted = p.versions.sorted { number($0) > number($1) }
            let page = try Pagination.page(sorted, key: { Self.format6(999_999 - number($0)) }, input: input)
            return .object(page.members("Versions") { v in
                var o = Self.versionValue(v, isDefault: v.id == p.defaultVersionId)
                o["Document"] = nil
                return o
            })
        }
    }

    func tagPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let tags = try Validation.tags(input)
        return try await modifyPolicy(input.required("PolicyArn"), ctx) { p, _, _ in
            try Validation.merge(tags, into: &p.tags)
            return .empty
        }
    }

    func untagPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let keys = input.stringList("TagKeys") ?? []
        return try await modifyPolicy(input.required("PolicyArn"), ctx) { p, _, _ in
            Validation.untag(keys, from: &p.tags)
            return .empty
        }
    }

    func listPolicyTags(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("PolicyArn")
        let account = ctx.accountId
        if AWSManagedPolicies.byArn[arn] != nil { return ["Tags": [], "IsTruncated": false] }
        return try read(account) { a in
            guard let p = Self.customerPolicy(arn, a, account) else { throw IAMError.noSuchPolicy(arn) }
            return try Self.tagPage(p.tags, input)
        }
    }

    func listEntitiesForPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("PolicyArn")
        let filter = input.string("EntityFilter")
        let prefix = input.string("PathPrefix") ?? "/"
        let usage = input.string("PolicyUsageFilter") ?? "PermissionsPolicy"
        let account = ctx.accountId
        return try read(account) { a in
            guard managedPolicyExists(arn, a, account) else { throw IAMError.noSuchPolicy(arn) }
            func uses(_ p: PolicyAttachments, _ boundary: String?) -> Bool {
                usage == "PermissionsBoundary" ? boundary == arn : p.attached.contains(arn)
            }
            // (sort key, list member, entry)
            var all: [(String, String, Value)] = []
            if filter == nil || filter == "User" {
                for u in a.users.values where u.path.hasPrefix(prefix) && uses(u.policies, u.permissionsBoundary) {
                    all.append(("u" + u.name.lowercased(), "PolicyUsers", ["UserName": .string(u.name), "UserId": .string(u.id)]))
                }
            }
            if filter == nil || filter == "Group" {
                for g in a.groups.values where g.path.hasPrefix(prefix) && uses(g.policies, nil) {
                    all.append(("g" + g.name.lowercased(), "PolicyGroups", ["GroupName": .string(g.name), "GroupId": .string(g.id)]))
                }
            }
            if filter == nil || filter == "Role" {
                for r in a.roles.values where r.path.hasPrefix(prefix) && uses(r.policies, r.permissionsBoundary) {
                    all.append(("r" + r.name.lowercased(), "PolicyRoles", ["RoleName": .string(r.name), "RoleId": .string(r.id)]))
                }
            }
            all.sort { $0.0 < $1.0 }
            let page = try Pagination.page(all, key: { $0.0 }, input: input)
            var out: [String: Value] = ["PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": [], "IsTruncated": .bool(page.marker != nil)]
            for (_, member, v) in page.items { out[member] = .list((out[member]?.listValue ?? []) + [v]) }
            if let m = page.marker { out["Marker"] = .string(m) }
            return .object(out)
        }
    }
}
