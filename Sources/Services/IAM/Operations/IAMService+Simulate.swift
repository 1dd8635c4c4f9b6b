import SimfraCore
import SimfraPolicy

/// The policy simulator, answered by the same engine that enforces requests.
extension IAMService {
    /// One simulation's policies, with the type Simulate* reports for each policy id.
    struct Simulation {
        var set = PolicySet()
        var types: [String: String] = [:]
        var documents: [String: String] = [:]
        var principal: RequestPrincipal

        mutating func addIdentity(_ id: String, _ type: String, _ doc: String, _ policy: Policy) {
            set.identityPolicies.append(AttachedPolicy(id: id, policy: policy))
            types[id] = type
            documents[id] = doc
        }
    }

    static func parseList(_ docs: [String], _ prefix: String) throws(AWSError) -> [(String, String, Policy)] {
        var out: [(String, String, Policy)] = []
        for (i, raw) in docs.enumerated() {
            let doc = PolicyDocuments.normalized(raw)
            out.append(("\(prefix).\(i + 1)", doc, try PolicyDocuments.parse(doc, kind: .identity)))
        }
        return out
    }

    func simulatePrincipalPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let source = input.required("PolicySourceArn")
        let account = ctx.accountId
        let extra = try Self.parseList(input.stringList("PolicyInputList") ?? [], "PolicyInputList")
        let boundaries = try Self.parseList(input.stringList("PermissionsBoundaryPolicyInputList") ?? [], "PermissionsBoundaryPolicyInputList")
        var sim: Simulation = try state.withLock { st in
            guard let a = st.accounts[account] else { throw IAMError.noSuchEntity("No such entity: \(source)") }
            var sim = Simulation(principal: .user(arn: source, account: account))
            func add(_ p: PolicyAttachments, _ type: String) throws(AWSError) {
                for (name, doc) in p.inline.sorted(by: { $0.key < $1.key }) {
                    guard let pol = Self.parsed(&st, doc, .identity) else { continue }
                    sim.addIdentity(name, type, doc, pol)
                }
                for arn in p.attached {
                    guard let pol = Self.managedPolicy(&st, arn) else { continue }
                    let doc = AWSManagedPolicies.byArn[arn]?.document ?? Self.customerPolicy(arn, a, account)?.defaultVersion?.document ?? ""
                    sim.addIdentity(Self.attachedEntry(arn).name, AWSManagedPolicies.isAWSManaged(arn) ? "aws-managed" : "user-managed", doc, pol)
                }
            }
            var boundary: String?
            if let (_, name) = Self.split(source, kind: .user), let u = a.users[name.lowercased()], u.arn(account) == source {
                try add(u.policies, "user")
                for g in u.groups { if let grp = a.groups[g.lowercased()] { try add(grp.policies, "group") } }
                boundary = u.permissionsBoundary
            } else if let (_, name) = Self.split(source, kind: .role), let r = a.roles[name.lowercased()], r.arn(account) == source {
                sim.principal = .assumedRole(sessionArn: source, roleArn: source, account: account)
                try add(r.policies, "role")
                boundary = r.permissionsBoundary
            } else if let (_, name) = Self.split(source, kind: .group), let g = a.groups[name.lowercased()], g.arn(account) == source {
                try add(g.policies, "group")
            } else {
                throw IAMError.noSuchEntity("No such entity: \(source)")
            }
            if let b = boundary, let pol = Self.managedPolicy(&st, b) {
                let id = Self.attachedEntry(b).name
                sim.set.permissionsBoundary = AttachedPolicy(id: id, policy: pol)
                sim.types[id] = "permissions boundary"
            }
            return sim
        }
        for (id, doc, p) in extra { sim.addIdentity(id, "IAM Policy", doc, p) }
        if let (id, doc, p) = boundaries.first {
            sim.set.permissionsBoundary = AttachedPolicy(id: id, policy: p)
            sim.types[id] = "IAM Policy"
            sim.documents[id] = doc
        }
        if let caller = input.string("CallerArn") { sim.principal = .user(arn: caller, account: account) }
        return try simulate(&sim, input, ctx)
    }

    func simulateCustomPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let account = ctx.accountId
        let policies = try Self.parseList(input.stringList("PolicyInputList") ?? [], "PolicyInputList")
        let boundaries = try Self.parseList(input.stringList("PermissionsBoundaryPolicyInputList") ?? [], "PermissionsBoundaryPolicyInputList")
        let caller = input.string("CallerArn") ?? "arn:aws:iam::\(account):user/simulator"
        var sim = Simulation(principal: .user(arn: caller, account: account))
        for (id, doc, p) in policies { sim.addIdentity(id, "IAM Policy", doc, p) }
        if let (id, doc, p) = boundaries.first {
            sim.set.permissionsBoundary = AttachedPolicy(id: id, policy: p)
            sim.types[id] = "IAM Policy"
            sim.documents[id] = doc
        }
        return try simulate(&sim, input, ctx)
    }

    func simulate(_ sim: inout Simulation, _ input: Value, _ ctx: RequestContext) throws -> Value {
        if let rp = input.string("ResourcePolicy") {
            let doc = PolicyDocuments.normalized(rp)
            let p = try PolicyDocuments.parse(doc, kind: .resource)
            sim.set.resourcePolicy = AttachedPolicy(id: "ResourcePolicy", policy: p)
            sim.types["ResourcePolicy"] = "resource"
            sim.documents["ResourcePolicy"] = doc
            sim.set.resourceAccount = input.string("ResourceOwner").flatMap { owner in
                owner.hasPrefix("arn:") ? owner.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map(String.init) : owner
            }
        }
        var context = PolicyContext()
        for e in input["ContextEntries"]?.listValue ?? [] {
            guard let k = e.string("ContextKeyName") else { continue }
            context.set(k, e.stringList("ContextKeyValues") ?? [])
        }
        let actions = input.stringList("ActionNames") ?? []
        let resources = input.stringList("ResourceArns") ?? ["*"]
        var results: [Value] = []
        for action in actions {
            for resource in resources {
                var request = AuthorizationRequest(principal: sim.principal, action: action, resource: resource, context: context)
                request.resource = resource
                let result = PolicyEvaluator.evaluate(request, sim.set)
                let missing = PolicyEvaluator.missingContextKeys(request, sim.set)
                let matched = Value.list(result.matchedStatements.map { m in
                    var o: [String: Value] = [
                        "SourcePolicyId": .string(m.policyId), "SourcePolicyType": .string(sim.types[m.policyId] ?? "none"),
                    ]
                    if let doc = sim.documents[m.policyId], let (start, end) = StatementPositions.find(doc, index: m.statementIndex) {
                        o["StartPosition"] = ["Line": .integer(Int64(start.line)), "Column": .integer(Int64(start.column))]
                        o["EndPosition"] = ["Line": .integer(Int64(end.line)), "Column": .integer(Int64(end.column))]
                    }
                    return .object(o)
                })
                var r: [String: Value] = [
                    "EvalActionName": .string(action), "EvalResourceName": .string(resource),
                    "EvalDecision": .string(result.decision.rawValue), "MatchedStatements": matched,
                    "MissingContextValues": .list(missing.map(Value.string)),
                    "ResourceSpecificResults": [[
                        "EvalResourceName": .string(resource), "EvalResourceDecision": .string(result.decision.rawValue),
                        "MatchedStatements": matched, "MissingContextValues": .list(missing.map(Value.string)),
                    ]],
                ]
                if let b = sim.set.permissionsBoundary {
                    let alone = PolicyEvaluator.evaluate(request, PolicySet(identityPolicies: [b]))
                    r["PermissionsBoundaryDecisionDetail"] = ["AllowedByPermissionsBoundary": .bool(alone.isAllowed)]
                }
                if sim.set.resourcePolicy != nil {
                    r["EvalDecisionDetails"] = ["IAM Policy": .string(result.decision.rawValue)]
                }
                results.append(.object(r))
            }
        }
        let indexed = results.enumerated().map { ($0.offset, $0.element) }
        let page = try Pagination.page(indexed, key: { Self.format6($0.0) }, input: input)
        return .object(page.members("EvaluationResults") { $0.1 })
    }
}
