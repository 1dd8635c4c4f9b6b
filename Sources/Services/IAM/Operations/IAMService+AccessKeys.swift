import SimfraCore

extension IAMService {
    /// The user an operation names, or the calling IAM user when the name is left out.
    func targetUser(_ input: Value, _ ctx: RequestContext) throws(AWSError) -> String {
        if let n = input.string("UserName") { return n }
        let arn = ctx.principalArn
        guard arn.contains(":user/"), let slash = arn.lastIndex(of: "/") else {
            throw IAMError.validation("Must specify userName when calling with non-User credentials")
        }
        return String(arn[arn.index(after: slash)...])
    }

    static func noSuchKey(_ id: String) -> AWSError {
        IAMError.noSuchEntity("The Access Key with id \(id) cannot be found.")
    }

    func createAccessKey(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try targetUser(input, ctx)
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            if u.accessKeys.count >= 2 { throw IAMError.limitExceeded("Cannot exceed quota for AccessKeysPerUser: 2") }
            let k = AccessKey(id: IAMIdentifiers.accessKeyId(), secret: IAMIdentifiers.secretAccessKey(), status: "Active", created: now)
            u.accessKeys.append(k)
            a.users[name.lowercased()] = u
            ch.addedKeys.append((k.id, u.name.lowercased()))
            ch.writes.append(write(u, account))
            return ["AccessKey": [
                "UserName": .string(u.name), "AccessKeyId": .string(k.id), "Status": .string(k.status),
                "SecretAccessKey": .string(k.secret), "CreateDate": .timestamp(k.created),
            ]]
        }
    }

    func updateAccessKey(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try targetUser(input, ctx)
        let id = input.required("AccessKeyId")
        let status = input.required("Status")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            guard let i = u.accessKeys.firstIndex(where: { $0.id == id }) else { throw Self.noSuchKey(id) }
            u.accessKeys[i].status = status
            a.users[name.lowercased()] = u
            ch.writes.append(write(u, account))
            return .empty
        }
    }

    func deleteAccessKey(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try targetUser(input, ctx)
        let id = input.required("AccessKeyId")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            guard let i = u.accessKeys.firstIndex(where: { $0.id == id }) else { throw Self.noSuchKey(id) }
            u.accessKeys.remove(at: i)
            a.users[name.lowercased()] = u
            ch.removedKeys.append(id)
            ch.writes.append(write(u, account))
            return .empty
        }
    }

    func listAccessKeys(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try targetUser(input, ctx)
        return try read(ctx.accountId) { a in
            guard let u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            let page = try Pagination.page(u.accessKeys, key: { $0.id }, input: input)
            return .object(page.members("AccessKeyMetadata") {
                [
                    "UserName": .string(u.name), "AccessKeyId": .string($0.id), "Status": .string($0.status),
                    "CreateDate": .timestamp($0.created),
                ]
            })
        }
    }

    func getAccessKeyLastUsed(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let id = input.required("AccessKeyId")
        return try state.withLock { st in
            guard let owner = st.accessKeys[id], owner.account == ctx.accountId,
                let u = st.accounts[owner.account]?.users[owner.user]
            else { throw Self.noSuchKey(id) }
            var used: [String: Value] = ["ServiceName": "N/A", "Region": "N/A"]
            if let t = st.keyLastUsed[id] { used["LastUsedDate"] = .timestamp(t) }
            return ["UserName": .string(u.name), "AccessKeyLastUsed": .object(used)]
        }
    }

    // MARK: Login profiles

    static func noSuchLoginProfile(_ user: String) -> AWSError {
        IAMError.noSuchEntity("Login Profile for User \(user) cannot be found.")
    }

    func createLoginProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try targetUser(input, ctx)
        let password = input.string("Password") ?? ""
        let reset = input.bool("PasswordResetRequired") ?? false
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            guard u.loginProfile == nil else { throw IAMError.alreadyExists("Login Profile for user \(u.name) already exists.") }
            u.loginProfile = LoginProfile(password: password, created: now, passwordResetRequired: reset)
            a.users[name.lowercased()] = u
            ch.writes.append(write(u, account))
            return ["LoginProfile": [
                "UserName": .string(u.name), "CreateDate": .timestamp(now), "PasswordResetRequired": .bool(reset),
            ]]
        }
    }

    func getLoginProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try targetUser(input, ctx)
        return try read(ctx.accountId) { a in
            guard let u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            guard let p = u.loginProfile else { throw Self.noSuchLoginProfile(u.name) }
            return ["LoginProfile": [
                "UserName": .string(u.name), "CreateDate": .timestamp(p.created),
                "PasswordResetRequired": .bool(p.passwordResetRequired),
            ]]
        }
    }

    func updateLoginProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try targetUser(input, ctx)
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            guard u.loginProfile != nil else { throw Self.noSuchLoginProfile(u.name) }
            if let p = input.string("Password") { u.loginProfile?.password = p }
            if let r = input.bool("PasswordResetRequired") { u.loginProfile?.passwordResetRequired = r }
            a.users[name.lowercased()] = u
            ch.writes.append(write(u, account))
            return .empty
        }
    }

    func deleteLoginProfile(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try targetUser(input, ctx)
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var u = a.users[name.lowercased()] else { throw IAMError.noSuchUser(name) }
            guard u.loginProfile != nil else { throw Self.noSuchLoginProfile(u.name) }
            u.loginProfile = nil
            a.users[name.lowercased()] = u
            ch.writes.append(write(u, account))
            return .empty
        }
    }
}
