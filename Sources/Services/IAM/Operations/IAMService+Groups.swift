import SimfraCore

extension IAMService {
    static func groupValue(_ g: IAMGroup, _ account: String) -> Value {
        [
            "Path": .string(g.path), "GroupName": .string(g.name), "GroupId": .string(g.id),
            "Arn": .string(g.arn(account)), "CreateDate": .timestamp(g.created),
        ]
    }

    func createGroup(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("GroupName")
        try Validation.name(name, member: "groupName")
        let path = try Validation.path(input.string("Path"))
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard a.groups[name.lowercased()] == nil else {
                throw IAMError.alreadyExists("Group with name \(name) already exists.")
            }
            let g = IAMGroup(name: name, id: IAMIdentifiers.group(), path: path, created: now)
            a.groups[name.lowercased()] = g
            ch.writes.append(write(g, account))
            return ["Group": Self.groupValue(g, account)]
        }
    }

    func getGroup(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("GroupName")
        let account = ctx.accountId
        return try read(account) { a in
            guard let g = a.groups[name.lowercased()] else { throw IAMError.noSuchGroup(name) }
            let members = a.members(of: name)
            let page = try Pagination.page(members, key: { $0.name.lowercased() }, input: input)
            var out = page.members("Users") { Self.userValue($0, account, full: false) }
            out["Group"] = Self.groupValue(g, account)
            return .object(out)
        }
    }

    func updateGroup(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("GroupName")
        let newName = input.string("NewGroupName")
        if let newName { try Validation.name(newName, member: "newGroupName") }
        let newPath = try input.string("NewPath").map { p throws(AWSError) in try Validation.path(p, member: "newPath") }
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var g = a.groups[name.lowercased()] else { throw IAMError.noSuchGroup(name) }
            if let newName, newName.lowercased() != name.lowercased(), a.groups[newName.lowercased()] != nil {
                throw IAMError.alreadyExists("Group with name \(newName) already exists.")
            }
            a.groups[name.lowercased()] = nil
            if let newName {
                g.name = newName
                // Members record their groups by name.
                for (k, var u) in a.users {
                    guard let i = u.groups.firstIndex(where: { $0.lowercased() == name.lowercased() }) else { continue }
                    u.groups[i] = newName
                    a.users[k] = u
                    ch.writes.append(write(u, account))
                }
            }
            if let newPath { g.path = newPath }
            a.groups[g.name.lowercased()] = g
            ch.writes.append(write(g, account))
            return .empty
        }
    }

    func deleteGroup(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("GroupName")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard let g = a.groups[name.lowercased()] else { throw IAMError.noSuchGroup(name) }
            if !a.members(of: name).isEmpty {
                throw IAMError.deleteConflict("Cannot delete entity, must remove users from group first.")
            }
            if !g.policies.inline.isEmpty { throw IAMError.deleteConflict("Cannot delete entity, must delete policies first.") }
            if !g.policies.attached.isEmpty {
                throw IAMError.deleteConflict("Cannot delete entity, must detach all policies first.")
            }
            a.groups[name.lowercased()] = nil
            ch.writes.append(Self.delete(IAMRecordKind.group, account, g.id))
            return .empty
        }
    }

    func listGroups(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let prefix = input.string("PathPrefix") ?? "/"
        let account = ctx.accountId
        return try read(account) { a in
            let all = a.groups.values.filter { $0.path.hasPrefix(prefix) }.sorted { $0.name.lowercased() < $1.name.lowercased() }
            let page = try Pagination.page(all, key: { $0.name.lowercased() }, input: input)
            return .object(page.members("Groups") { Self.groupValue($0, account) })
        }
    }

    func addUserToGroup(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let group = input.required("GroupName")
        let user = input.required("UserName")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard let g = a.groups[group.lowercased()] else { throw IAMError.noSuchGroup(group) }
            guard var u = a.users[user.lowercased()] else { throw IAMError.noSuchUser(user) }
            guard !u.groups.contains(where: { $0.lowercased() == group.lowercased() }) else { return .empty }
            if u.groups.count >= 10 {
                throw IAMError.limitExceeded("Cannot exceed quota for GroupsPerUser: 10")
            }
            u.groups.append(g.name)
            a.users[user.lowercased()] = u
            ch.writes.append(write(u, account))
            return .empty
        }
    }

    func removeUserFromGroup(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let group = input.required("GroupName")
        let user = input.required("UserName")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard a.groups[group.lowercased()] != nil else { throw IAMError.noSuchGroup(group) }
            guard var u = a.users[user.lowercased()] else { throw IAMError.noSuchUser(user) }
            guard let i = u.groups.firstIndex(where: { $0.lowercased() == group.lowercased() }) else {
                throw IAMError.noSuchEntity("User \(user) is not in group \(group).")
            }
            u.groups.remove(at: i)
            a.users[user.lowercased()] = u
            ch.writes.append(write(u, account))
            return .empty
        }
    }

    func listGroupsForUser(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let user = input.required("UserName")
        let account = ctx.accountId
        return try read(account) { a in
            guard let u = a.users[user.lowercased()] else { throw IAMError.noSuchUser(user) }
            let groups = u.groups.compactMap { a.groups[$0.lowercased()] }.sorted { $0.name.lowercased() < $1.name.lowercased() }
            let page = try Pagination.page(groups, key: { $0.name.lowercased() }, input: input)
            return .object(page.members("Groups") { Self.groupValue($0, account) })
        }
    }
}
