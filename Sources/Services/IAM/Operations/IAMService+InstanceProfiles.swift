import SimfraCore

extension IAMService {
    static func instanceProfileValue(_ p: InstanceProfile, _ a: IAMAccount, _ account: String, tags: Bool) -> Value {
        var o: [String: Value] = [
            "Path": .string(p.path), "InstanceProfileName": .string(p.name), "InstanceProfileId": .string(p.id),
            "Arn": .string(p.arn(account)), "CreateDate": .timestamp(p.created),
            "Roles": .list(p.roles.compactMap { a.roles[$0.lowercased()] }.map { roleValue($0, account, full: false) }),
        ]
        if tags, !p.tags.isEmpty { o["Tags"] = p.tags.values }
        return .object(o)
    }

    func modifyInstanceProfile(_ name: String, _ ctx: RequestContext,
                               _ body: (inout InstanceProfile, IAMAccount) throws -> Void) async throws -> Value
    {
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var p = a.instanceProfiles[name.lowercased()] else { throw IAMError.noSuchInstanceProfile(name) }
            try body(&p, a)
            a.instanceProfiles[name.lowercased()] = p
            ch.writes.append(write(p, account))
            return .empty
        }
    }

    func createInstanceProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("InstanceProfileName")
        try Validation.name(name, member: "instanceProfileName")
        let path = try Validation.path(input.string("Path"))
        let tags = try Validation.tags(input)
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard a.instanceProfiles[name.lowercased()] == nil else {
                throw IAMError.alreadyExists("Instance Profile \(name) already exists.")
            }
            let p = InstanceProfile(name: name, id: IAMIdentifiers.instanceProfile(), path: path, created: now, tags: tags)
            a.instanceProfiles[name.lowercased()] = p
            ch.writes.append(write(p, account))
            return ["InstanceProfile": Self.instanceProfileValue(p, a, account, tags: true)]
        }
    }

    func getInstanceProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("InstanceProfileName")
        let account = ctx.accountId
        return try read(account) { a in
            guard let p = a.instanceProfiles[name.lowercased()] else { throw IAMError.noSuchInstanceProfile(name) }
            return ["InstanceProfile": Self.instanceProfileValue(p, a, account, tags: true)]
        }
    }

    func deleteInstanceProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("InstanceProfileName")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard let p = a.instanceProfiles[name.lowercased()] else { throw IAMError.noSuchInstanceProfile(name) }
            if !p.roles.isEmpty {
                throw IAMError.deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
            }
            a.instanceProfiles[name.lowercased()] = nil
            ch.writes.append(Self.delete(IAMRecordKind.instanceProfile, account, p.id))
            return .empty
        }
    }

    func listInstanceProfiles(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let prefix = input.string("PathPrefix") ?? "/"
        let account = ctx.accountId
        return try read(account) { a in
            let all = a.instanceProfiles.values.filter { $0.path.hasPrefix(prefix) }.sorted { $0.name.lowercased() < $1.name.lowercased() }
            let page = try Pagination.page(all, key: { $0.name.lowercased() }, input: input)
            return .object(page.members("InstanceProfiles") { Self.instanceProfileValue($0, a, account, tags: false) })
        }
    }

    func addRoleToInstanceProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let role = input.required("RoleName")
        return try await modifyInstanceProfile(input.required("InstanceProfileName"), ctx) { p, a in
            guard let r = a.roles[role.lowercased()] else { throw IAMError.noSuchRole(role) }
            if p.roles.contains(where: { $0.lowercased() == role.lowercased() }) {
                throw IAMError.alreadyExists("Role \(r.name) is already associated with instance profile \(p.name).")
            }
            if !p.roles.isEmpty {
                throw IAMError.limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
            }
            p.roles.append(r.name)
        }
    }

    func removeRoleFromInstanceProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let role = input.required("RoleName")
        return try await modifyInstanceProfile(input.required("InstanceProfileName"), ctx) { p, a in
            guard a.roles[role.lowercased()] != nil else { throw IAMError.noSuchRole(role) }
            guard let i = p.roles.firstIndex(where: { $0.lowercased() == role.lowercased() }) else {
                throw IAMError.noSuchEntity("The role with name \(role) cannot be found in instance profile \(p.name).")
            }
            p.roles.remove(at: i)
        }
    }

    func listInstanceProfilesForRole(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let role = input.required("RoleName")
        let account = ctx.accountId
        return try read(account) { a in
            guard a.roles[role.lowercased()] != nil else { throw IAMError.noSuchRole(role) }
            let all = a.instanceProfiles.values.filter { $0.roles.contains { $0.lowercased() == role.lowercased() } }
                .sorted { $0.name.lowercased() < $1.name.lowercased() }
            let page = try Pagination.page(all, key: { $0.name.lowercased() }, input: input)
            return .object(page.members("InstanceProfiles") { Self.instanceProfileValue($0, a, account, tags: false) })
        }
    }

    func tagInstanceProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let tags = try Validation.tags(input)
        return try await modifyInstanceProfile(input.required("InstanceProfileName"), ctx) { p, _ in
            try Validation.merge(tags, into: &p.tags)
        }
    }

    func untagInstanceProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let keys = input.stringList("TagKeys") ?? []
        return try await modifyInstanceProfile(input.required("InstanceProfileName"), ctx) { p, _ in
            Validation.untag(keys, from: &p.tags)
        }
    }

    func listInstanceProfileTags(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("InstanceProfileName")
        return try read(ctx.accountId) { a in
            guard let p = a.instanceProfiles[name.lowercased()] else { throw IAMError.noSuchInstanceProfile(name) }
            return try Self.tagPage(p.tags, input)
        }
    }
}
