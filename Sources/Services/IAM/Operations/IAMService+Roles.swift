import SimfraCore

extension IAMService {
    static func roleValue(_ r: IAMRole, _ account: String, full: Bool) -> Value {
        var o: [String: Value] = [
            "Path": .string(r.path), "RoleName": .string(r.name), "RoleId": .string(r.id),
            "Arn": .string(r.arn(account)), "CreateDate": .timestamp(r.created),
            "AssumeRolePolicyDocument": .string(PercentEncoding.encode(r.trustPolicy)),
            "MaxSessionDuration": .integer(Int64(r.maxSessionDuration)),
        ]
        if let d = r.description { o["Description"] = .string(d) }
        if full {
            if let b = boundaryValue(r.permissionsBoundary) { o["PermissionsBoundary"] = b }
            if !r.tags.isEmpty { o["Tags"] = r.tags.values }
            o["RoleLastUsed"] = .empty
        }
        return .object(o)
    }

    func protectedRole(_ r: IAMRole) -> AWSError {
        IAMError.unmodifiable(
            "Cannot perform the operation on the protected role '\(r.name)' - this role is only modifiable by AWS")
    }

    func createRole(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("RoleName")
        try Validation.name(name, member: "roleName")
        let path = try Validation.path(input.string("Path"))
        let tags = try Validation.tags(input)
        let trust = PolicyDocuments.normalized(input.required("AssumeRolePolicyDocument"))
        let boundary = input.string("PermissionsBoundary")
        let maxDuration = input.int("MaxSessionDuration") ?? 3600
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard a.roles[name.lowercased()] == nil else { throw IAMError.alreadyExists("Role with name \(name) already exists.") }
            try ch.parse(trust, .trust)
            try PolicyDocuments.checkTrustSize(trust)
            if let boundary { try checkBoundary(boundary, a, account) }
            let r = IAMRole(
                name: name, id: IAMIdentifiers.role(), path: path, created: now, trustPolicy: trust,
                description: input.string("Description"), maxSessionDuration: maxDuration, tags: tags,
                permissionsBoundary: boundary)
            a.roles[name.lowercased()] = r
            ch.writes.append(write(r, account))
            var v = Self.roleValue(r, account, full: true)
            v["RoleLastUsed"] = nil
            return ["Role": v]
        }
    }

    func getRole(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("RoleName")
        let account = ctx.accountId
        return try read(account) { a in
            guard let r = a.roles[name.lowercased()] else { throw IAMError.noSuchRole(name) }
            return ["Role": Self.roleValue(r, account, full: true)]
        }
    }

    /// Changes one role in place (the role must exist and not be service-linked unless allowed).
    func modifyRole(_ name: String, _ ctx: RequestContext, allowServiceLinked: Bool = false,
                    _ body: (inout IAMRole, IAMAccount, inout Changes) throws -> Value) async throws -> Value
    {
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard var r = a.roles[name.lowercased()] else { throw IAMError.noSuchRole(name) }
            if r.serviceLinked, !allowServiceLinked { throw protectedRole(r) }
            let out = try body(&r, a, &ch)
            a.roles[name.lowercased()] = r
            ch.writes.append(write(r, account))
            return out
        }
    }

    func updateRole(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await modifyRole(input.required("RoleName"), ctx) { r, _, _ in
            if let d = input.string("Description") { r.description = d }
            if let m = input.int("MaxSessionDuration") { r.maxSessionDuration = m }
            return .empty
        }
    }

    func updateRoleDescription(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let account = ctx.accountId
        return try await modifyRole(input.required("RoleName"), ctx, allowServiceLinked: true) { r, _, _ in
            r.description = input.required("Description")
            return ["Role": Self.roleValue(r, account, full: true)]
        }
    }

    func updateAssumeRolePolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let doc = PolicyDocuments.normalized(input.required("PolicyDocument"))
        return try await modifyRole(input.required("RoleName"), ctx) { r, _, ch in
            try ch.parse(doc, .trust)
            try PolicyDocuments.checkTrustSize(doc)
            r.trustPolicy = doc
            return .empty
        }
    }

    func putRolePermissionsBoundary(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("PermissionsBoundary")
        let account = ctx.accountId
        return try await modifyRole(input.required("RoleName"), ctx) { r, a, _ in
            try checkBoundary(arn, a, account)
            r.permissionsBoundary = arn
            return .empty
        }
    }

    func deleteRolePermissionsBoundary(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await modifyRole(input.required("RoleName"), ctx) { r, _, _ in
            r.permissionsBoundary = nil
            return .empty
        }
    }

    func tagRole(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let tags = try Validation.tags(input)
        return try await modifyRole(input.required("RoleName"), ctx, allowServiceLinked: true) { r, _, _ in
            try Validation.merge(tags, into: &r.tags)
            return .empty
        }
    }

    func untagRole(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let keys = input.stringList("TagKeys") ?? []
        return try await modifyRole(input.required("RoleName"), ctx, allowServiceLinked: true) { r, _, _ in
            Validation.untag(keys, from: &r.tags)
            return .empty
        }
    }

    func listRoleTags(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("RoleName")
        return try read(ctx.accountId) { a in
            guard let r = a.roles[name.lowercased()] else { throw IAMError.noSuchRole(name) }
            return try Self.tagPage(r.tags, input)
        }
    }

    func deleteRole(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("RoleName")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard let r = a.roles[name.lowercased()] else { throw IAMError.noSuchRole(name) }
            if r.serviceLinked { throw protectedRole(r) }
            try Self.checkRoleDeletable(r, a)
            a.roles[name.lowercased()] = nil
            ch.writes.append(Self.delete(IAMRecordKind.role, account, r.id))
            return .empty
        }
    }

    static func checkRoleDeletable(_ r: IAMRole, _ a: IAMAccount) throws(AWSError) {
        if a.instanceProfiles.values.contains(where: { $0.roles.contains { $0.lowercased() == r.name.lowercased() } }) {
            throw IAMError.deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
        }
        if !r.policies.inline.isEmpty { throw IAMError.deleteConflict("Cannot delete entity, must delete policies first.") }
        if !r.policies.attached.isEmpty {
            throw IAMError.deleteConflict("Cannot delete entity, must detach all policies first.")
        }
    }

    func listRoles(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let prefix = input.string("PathPrefix") ?? "/"
        let account = ctx.accountId
        return try read(account) { a in
            let all = a.roles.values.filter { $0.path.hasPrefix(prefix) }.sorted { $0.name.lowercased() < $1.name.lowercased() }
            let page = try Pagination.page(all, key: { $0.name.lowercased() }, input: input)
            return .object(page.members("Roles") { Self.roleValue($0, account, full: false) })
        }
    }

    // MARK: Service-linked roles

    /// Role names AWS gives the service-linked roles of common services; others are derived
    /// from the service's first label.
    static let serviceLinkedNames: [String: String] = [
        "autoscaling.amazonaws.com": "AutoScaling", "ecs.amazonaws.com": "ECS",
        "elasticloadbalancing.amazonaws.com": "ElasticLoadBalancing", "rds.amazonaws.com": "RDS",
        "eks.amazonaws.com": "AmazonEKS", "eks-nodegroup.amazonaws.com": "AmazonEKSNodegroup",
        "elasticache.amazonaws.com": "ElastiCache", "es.amazonaws.com": "AmazonElasticsearchService",
        "opensearchservice.amazonaws.com": "AmazonOpenSearchService", "lambda.amazonaws.com": "Lambda",
        "organizations.amazonaws.com": "Organizations", "spot.amazonaws.com": "EC2Spot",
        "spotfleet.amazonaws.com": "EC2SpotFleet", "dynamodb.application-autoscaling.amazonaws.com":
            "ApplicationAutoScaling_DynamoDBTable", "ecs.application-autoscaling.amazonaws.com":
            "ApplicationAutoScaling_ECSService", "batch.amazonaws.com": "Batch", "config.amazonaws.com": "Config",
        "cloudtrail.amazonaws.com": "CloudTrail", "elasticbeanstalk.amazonaws.com": "ElasticBeanstalk",
        "ssm.amazonaws.com": "AmazonSSM", "kafka.amazonaws.com": "Kafka", "redshift.amazonaws.com": "Redshift",
        "elasticfilesystem.amazonaws.com": "AmazonElasticFileSystem", "backup.amazonaws.com": "Backup",
    ]

    static func serviceLinkedRoleName(_ service: String, suffix: String?) -> String {
        let label = String(service.dropLast(".amazonaws.com".count))
        var base = serviceLinkedNames[service]
            ?? label.split(whereSeparator: { $0 == "." || $0 == "-" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        if let suffix { base += "_" + suffix }
        return "AWSServiceRoleFor" + base
    }

    func createServiceLinkedRole(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let service = input.required("AWSServiceName")
        guard service.hasSuffix(".amazonaws.com"), service.count > ".amazonaws.com".count else {
            throw IAMError.invalidInput("Invalid service principal \(service).")
        }
        let name = Self.serviceLinkedRoleName(service, suffix: input.string("CustomSuffix"))
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["\#(service)"]},"Action":["sts:AssumeRole"]}]}"#
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard a.roles[name.lowercased()] == nil else {
                throw IAMError.invalidInput("Service role name \(name) has been taken in this account, please try a different suffix.")
            }
            try ch.parse(trust, .trust)
            let r = IAMRole(
                name: name, id: IAMIdentifiers.role(), path: "/aws-service-role/\(service)/", created: now,
                trustPolicy: trust, description: input.string("Description"), serviceLinked: true)
            a.roles[name.lowercased()] = r
            ch.writes.append(write(r, account))
            var v = Self.roleValue(r, account, full: true)
            v["RoleLastUsed"] = nil
            return ["Role": v]
        }
    }

    func deleteServiceLinkedRole(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("RoleName")
        let account = ctx.accountId
        let task: String = try await mutate(account) { a, ch in
            guard let r = a.roles[name.lowercased()] else { throw IAMError.noSuchRole(name) }
            guard r.serviceLinked else {
                throw IAMError.invalidInput("Role \(name) is not a service-linked role.")
            }
            let svc = r.path.split(separator: "/").last.map(String.init) ?? ""
            // Service-linked roles carry AWS-managed policies the service owns: they go with the role.
            a.roles[name.lowercased()] = nil
            ch.writes.append(Self.delete(IAMRecordKind.role, account, r.id))
            return "task/aws-service-role/\(svc)/\(r.name)/\(Hex.random(bytes: 16))"
        }
        state.withLock { _ = $0.deletionTasks.insert(task) }
        return ["DeletionTaskId": .string(task)]
    }

    func getServiceLinkedRoleDeletionStatus(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let task = input.required("DeletionTaskId")
        let known = state.withLock { $0.deletionTasks.contains(task) }
        guard known else { throw IAMError.noSuchEntity("Deletion task \(task) cannot be found.") }
        return ["Status": "SUCCEEDED"]
    }
}
