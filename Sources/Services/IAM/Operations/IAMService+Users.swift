import SimfraCore

extension IAMService {
    static func boundaryValue(_ arn: String?) -> Value? {
        guard let arn else { return nil }
        return ["PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": .string(arn)]
    }

    /// The `User` shape; list operations leave out tags and the boundary, as IAM does.
    static func userValue(_ u: IAMUser, _ account: String, full: Bool) -> Value {
        var o: [String: Value] = [
            "Path": .string(u.path), "UserName": .string(u.name), "UserId": .string(u.id),
            "Arn": .string(u.arn(account)), "CreateDate": .timestamp(u.created),
        ]
        if full {
            if let b = boundaryValue(u.permissionsBoundary) { o["PermissionsBoundary"] = b }
            if !u.tags.isEmpty { o["Tags"] = u.tags.values }
        }
        return .object(o)
    }

    /// A permissions boundary must be an existing managed policy.
    func checkBoundary(_ arn: String, _ a: IAMAccount, _ account: String) throws(AWSError) {
        guard managedPolicyExists(arn, a, account) else {
            // AWS names the boundary the "scope" in this message.
            if arn.hasPrefix("arn:aws:iam::"), arn.contains(":policy/") {
                throw IAMError.noSuchEntity("Scope ARN: \(arn) does not exist or is not attachable.")
            }
            throw IAMError.invalidArn(arn)
        }
    }

    func createUser(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("UserName")
        try Validation.name(name, member: "userName")
        let path = try Validation.path(input.string("Path"))
        let tags = try Validation.tags(input)
        let boundary = input.string("PermissionsBoundary")
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard a.users[name.lowercased()] == nil else { throw IAMError.alreadyExists("User with name \(name) already exists.") }
            if let boundary { try checkBoundary(boundary, a, account) }
            let u = IAMUser(name: name, id: IAMIdentifiers.user(), path: path, created: now, tags: tags, permissionsBoundary: boundary)
            a.users[name.lowercased()] = u
            ch.writes.append(write(u, account))
            return ["User": Self.userValue(u, account, full: true)]
        }
    }

    func getUser(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let account = ctx.accountId
        guard let name = input.string("UserName") else {
            // Without a name: the caller. The root user is answered as AWS does.
            if ctx.principalArn.hasSuffix(":root") {
                return ["User": ["UserId": .string(account), "Arn": .string(ctx.principalArn), "CreateDate": .timestamp(0)]]
            }
            guard let slash = ctx.principalArn.lastIndex(of: "/"), ctx.principalArn.contains(":user/") else {
                throw IAMError.validation("Must specify userName when calling with non-User credentials")
            }
            let me = String(ctx.principalArn[ctx.principalArn.index(after: slash)...])
            return try read(account) { a in
                guard let u = a.users[me.lowercased()] else { throw IAMError.noSuchUser(me) }
                return ["User": Self.userValue(u, account, full: true)]
            }
        }
        return try read(account) { a in
            guard let u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            return ["User": Self.userValue(u, account, full: true)]
        }
    }

    func updateUser(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("UserName")
        let newName = input.string("NewUserName")
        if let newName { try Validation.name(newName, member: "newUserName") }
        let newPath = try input.string("NewPath").map { p throws(AWSError) in try Validation.path(p, member: "newPath") }
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            if let newName, newName.lowercased() != name.lowercased(), a.users[newName.lowercased()] != nil {
                throw IAMError.alreadyExists("User with name \(newName) already exists.")
            }
            a.users[name.lowercased()] = nil
            if let newName { u.name = newName }
            if let newPath { u.path = newPath }
            a.users[u.name.lowercased()] = u
            for k in u.accessKeys { ch.addedKeys.append((k.id, u.name.lowercased())) }
            ch.writes.append(write(u, account))
            return .empty
        }
    }

    func deleteUser(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("UserName")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard let u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            if u.loginProfile != nil { throw IAMError.deleteConflict("Cannot delete entity, must delete login profile first.") }
            if !u.accessKeys.isEmpty { throw IAMError.deleteConflict("Cannot delete entity, must delete access keys first.") }
            if !u.policies.inline.isEmpty { throw IAMError.deleteConflict("Cannot delete entity, must delete policies first.") }
            if !u.policies.attached.isEmpty {
                throw IAMError.deleteConflict("Cannot delete entity, must detach all policies first.")
            }
            if !u.groups.isEmpty { throw IAMError.deleteConflict("Cannot delete entity, must remove users from group first.") }
            a.users[name.lowercased()] = nil
            ch.writes.append(Self.delete(IAMRecordKind.user, account, u.id))
            return .empty
        }
    }

    func listUsers(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let prefix = input.string("PathPrefix") ?? "/"
        let account = ctx.accountId
        return try read(account) { a in
            let all = a.users.values.filter { $0.path.hasPrefix(prefix) }.sorted { $0.name.lowercased() < $1.name.lowercased() }
            let page = try Pagination.page(all, key: { $0.name.lowercased() }, input: input)
            return .object(page.members("Users") { Self.userValue($0, account, full: false) })
        }
    }

    func tagUser(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("UserName")
        let tags = try Validation.tags(input)
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            try Validation.merge(tags, into: &u.tags)
            a.users[name.lowercased()] = u
            ch.writes.append(write(u, account))
            return .empty
        }
    }

    func untagUser(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("UserName")
        let keys = input.stringList("TagKeys") ?? []
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            Validation.untag(keys, from: &u.tags)
            a.users[name.lowercased()] = u
            ch.writes.append(write(u, account))
            return .empty
        }
    }

    func listUserTags(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("UserName")
        return try read(ctx.accountId) { a in
            guard let u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            return try Self.tagPage(u.tags, input)
        }
    }

    static func tagPage(_ tags: [IAMTag], _ input: Value) throws(AWSError) -> Value {
        let indexed = tags.enumerated().map { ($0.offset, $0.element) }
        let page = try Pagination.page(indexed, key: { String(format6($0.0)) }, input: input)
        return .object(page.members("Tags") { $0.1.value_ })
    }

    /// Zero-padded so string order is numeric order.
    static func format6(_ i: Int) -> String {
        let s = String(i)
        return String(repeating: "0", count: Swift.max(0, 6 - s.count)) + s
    }

    func putUserPermissionsBoundary(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("UserName")
        let arn = input.required("PermissionsBoundary")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            try checkBoundary(arn, a, account)
            u.permissionsBoundary = arn
            a.users[name.lowercased()] = u
            ch.writes.append(write(u, account))
            return .empty
        }
    }

    func deleteUserPermissionsBoundary(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("UserName")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            u.permissionsBoundary = nil
            a.users[name.lowercased()] = u
            ch.writes.append(write(u, account))
            return .empty
        }
    }
}
