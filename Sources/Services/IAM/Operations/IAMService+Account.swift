import SimfraCore

extension IAMService {
    // MARK: Aliases

    func createAccountAlias(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let alias = input.required("AccountAlias")
        let pattern = "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
        let chars = alias.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" }
        guard chars, !alias.hasPrefix("-"), !alias.hasSuffix("-"), !alias.contains("--") else {
            throw Validation.failure(alias, "accountAlias", pattern)
        }
        let account = ctx.accountId
        let commit: Commit = try state.withLock { st in
            // Aliases are unique across all accounts (they name a sign-in URL).
            for (id, a) in st.accounts where id != account && a.alias == alias {
                throw IAMError.alreadyExists("The account alias \(alias) already exists.")
            }
            // An account has one alias: a new one replaces it.
            st.accounts[account, default: IAMAccount()].alias = alias
            st.generations[account, default: 0] &+= 1
            return records.put(kind: IAMRecordKind.alias, account: account, region: "", id: "alias", data: Array(alias.utf8))
        }
        try await commit.wait()
        return .empty
    }

    func deleteAccountAlias(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let alias = input.required("AccountAlias")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard a.alias == alias else { throw IAMError.noSuchEntity("The account alias \(alias) cannot be found.") }
            a.alias = nil
            ch.writes.append(Self.delete(IAMRecordKind.alias, account, "alias"))
            return .empty
        }
    }

    func listAccountAliases(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try read(ctx.accountId) { a in
            ["AccountAliases": .list(a.alias.map { [.string($0)] } ?? []), "IsTruncated": false]
        }
    }

    // MARK: Summary

    func getAccountSummary(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try read(ctx.accountId) { a in
            let customerArns = Set(a.policies.values.map { $0.arn(ctx.accountId) })
            var versionsInUse = 0
            for e in a.users.values.map(\.policies) + a.groups.values.map(\.policies) + a.roles.values.map(\.policies) {
                versionsInUse += e.attached.count { customerArns.contains($0) }
            }
            let map: [String: Int] = [
                "Users": a.users.count, "UsersQuota": 5000, "Groups": a.groups.count, "GroupsQuota": 300,
                "ServerCertificates": 0, "ServerCertificatesQuota": 20, "UserPolicySizeQuota": 2048,
                "GroupPolicySizeQuota": 5120, "GroupsPerUserQuota": 10, "SigningCertificatesPerUserQuota": 2,
                "AccessKeysPerUserQuota": 2, "MFADevices": 0, "MFADevicesInUse": 0, "AccountMFAEnabled": 0,
                "AccountAccessKeysPresent": 1, "AccountSigningCertificatesPresent": 0,
                "AccountPasswordPresent": 0,
                "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
                "AttachedPoliciesPerUserQuota": 10, "Policies": a.policies.count, "PoliciesQuota": 1500,
                "PolicySizeQuota": 6144, "PolicyVersionsInUse": versionsInUse, "PolicyVersionsInUseQuota": 10000,
                "VersionsPerPolicyQuota": 5, "GlobalEndpointTokenVersion": 1, "Roles": a.roles.count,
                "RolesQuota": 1000, "RolePolicySizeQuota": 10240, "InstanceProfiles": a.instanceProfiles.count,
                "InstanceProfilesQuota": 1000, "Providers": a.oidcProviders.count + a.samlProviders.count,
                "AssumeRolePolicySizeQuota": 2048,
            ]
            return ["SummaryMap": .object(map.mapValues { .integer(Int64($0)) })]
        }
    }

    // MARK: Authorization details

    static func inlineList(_ p: PolicyAttachments) -> Value {
        .list(p.inline.keys.sorted().map {
            ["PolicyName": .string($0), "PolicyDocument": .string(PercentEncoding.encode(p.inline[$0]!))]
        })
    }

    static func attachedList(_ p: PolicyAttachments) -> Value {
        .list(p.attached.map { ["PolicyName": .string(attachedEntry($0).name), "PolicyArn": .string($0)] })
    }

    func getAccountAuthorizationDetails(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let filter = Set(input.stringList("Filter") ?? [])
        func wants(_ f: String) -> Bool { filter.isEmpty || filter.contains(f) }
        let account = ctx.accountId
        return try read(account) { a in
            // (sort key, list member, entry)
            var all: [(String, String, Value)] = []
            if wants("User") {
                for u in a.users.values {
                    guard case .object(var o) = Self.userValue(u, account, full: true) else { continue }
                    o["UserPolicyList"] = Self.inlineList(u.policies)
                    o["GroupList"] = .list(u.groups.map(Value.string))
                    o["AttachedManagedPolicies"] = Self.attachedList(u.policies)
                    all.append(("1" + u.name.lowercased(), "UserDetailList", .object(o)))
                }
            }
            if wants("Group") {
                for g in a.groups.values {
                    guard case .object(var o) = Self.groupValue(g, account) else { continue }
                    o["GroupPolicyList"] = Self.inlineList(g.policies)
                    o["AttachedManagedPolicies"] = Self.attachedList(g.policies)
                    all.append(("2" + g.name.lowercased(), "GroupDetailList", .object(o)))
                }
            }
            if wants("Role") {
                for r in a.roles.values {
                    guard case .object(var o) = Self.roleValue(r, account, full: true) else { continue }
                    o["RolePolicyList"] = Self.inlineList(r.policies)
                    o["AttachedManagedPolicies"] = Self.attachedList(r.policies)
                    o["InstanceProfileList"] = .list(a.instanceProfiles.values
                        .filter { $0.roles.contains { $0.lowercased() == r.name.lowercased() } }
                        .sorted { $0.name < $1.name }.map { Self.instanceProfileValue($0, a, account, tags: false) })
                    all.append(("3" + r.name.lowercased(), "RoleDetailList", .object(o)))
                }
            }
            if wants("LocalManagedPolicy") {
                for p in a.policies.values {
                    guard case .object(var o) = Self.policyValue(p, a, account, description: true) else { continue }
                    o["Tags"] = nil
                    o["PolicyVersionList"] = .list(p.versions.map { Self.versionValue($0, isDefault: $0.id == p.defaultVersionId) })
                    all.append(("4" + p.name.lowercased(), "Policies", .object(o)))
                }
            }
            if wants("AWSManagedPolicy") {
                // AWS lists the AWS-managed policies the account uses.
                for d in awsManagedPolicyDocuments {
                    let arn = AWSManagedPolicies.arn(d)
                    guard a.attachmentCount(of: arn) > 0 || a.boundaryUsageCount(of: arn) > 0 else { continue }
                    guard case .object(var o) = Self.awsPolicyValue(d, a, description: true) else { continue }
                    o["PolicyVersionList"] = [[
                        "Document": .string(PercentEncoding.encode(d.document)), "VersionId": .string(d.defaultVersionId),
                        "IsDefaultVersion": true, "CreateDate": .timestamp(AWSManagedPolicies.date(d.updateDate)),
                    ]]
                    all.append(("5" + d.name.lowercased(), "Policies", .object(o)))
                }
            }
            all.sort { $0.0 < $1.0 }
            let page = try Pagination.page(all, key: { $0.0 }, input: input)
            var out: [String: Value] = [
                "UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
                "IsTruncated": .bool(page.marker != nil),
            ]
            for (_, member, v) in page.items { out[member] = .list((out[member]?.listValue ?? []) + [v]) }
            if let m = page.marker { out["Marker"] = .string(m) }
            return .object(out)
        }
    }
}
