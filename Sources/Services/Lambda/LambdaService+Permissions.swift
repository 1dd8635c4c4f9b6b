import SimfraCore
import SimfraProtocols

/// Function resource policies (AddPermission/RemovePermission/GetPolicy), one per qualifier as
/// in AWS, handed to the authoriser so another service or account invoking is allowed only by
/// a statement; and function tags.
extension LambdaService {
    func addPermission(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try reference(input, context)
        let sid = input.string("StatementId") ?? ""
        guard !sid.isEmpty, sid.count <= 100, sid.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), sid.allSatisfy(\.isASCII) else {
            throw LambdaError.validation(
                "1 validation error detected: Value '\(sid)' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
        }
        let partition = Self.partition(context)
        let statement = Self.statement(input, sid: sid, resource: ref.key.arn(partition: partition, qualifier: ref.qualifier),
                                       partition: partition)
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            var f = try function(ref, context, in: s)
            _ = try configuration(ref, context, in: s)
            let q = ref.qualifier ?? ""
            if let r = input.string("RevisionId"), r != f.latest.string("RevisionId") { throw LambdaError.revisionMismatch("GetPolicy") }
            var statements = f.policies[q] ?? []
            if statements.contains(where: { $0.string("Sid") == sid }) {
                throw LambdaError.conflict(
                    "The statement id (\(sid)) provided already exists. Please provide a new statement id, or remove the existing statement.")
            }
            statements.append(statement)
            f.policies[q] = statements
            s.functions[ref.key] = f
            return persist(f)
        }
        try await commit.wait()
        return ["Statement": .string(Self.json(statement))]
    }

    static func statement(_ input: Value, sid: String, resource: String, partition: String) -> Value {
        let principal = input.string("Principal") ?? ""
        let principalValue: Value
        if principal == "*" {
            principalValue = "*"
        } else if principal.count == 12, principal.allSatisfy(\.isNumber) {
            principalValue = ["AWS": .string("arn:\(partition):iam::\(principal):root")]
        } else if principal.hasPrefix("arn:") {
            principalValue = ["AWS": .string(principal)]
        } else {
            principalValue = ["Service": .string(principal)]
        }
        var action = input.string("Action") ?? ""
        if !action.contains(":") { action = "lambda:" + action }
        var statement: Value = [
            "Sid": .string(sid), "Effect": "Allow", "Principal": principalValue, "Action": .string(action),
            "Resource": .string(resource),
        ]
        var condition: [String: Value] = [:]
        var equals: [String: Value] = [:]
        if let v = input.string("SourceAccount") { equals["AWS:SourceAccount"] = .string(v) }
        if let v = input.string("PrincipalOrgID") { equals["aws:PrincipalOrgID"] = .string(v) }
        if let v = input.string("EventSourceToken") { equals["lambda:EventSourceToken"] = .string(v) }
        if let v = input.string("FunctionUrlAuthType") { equals["lambda:FunctionUrlAuthType"] = .string(v) }
        if !equals.isEmpty { condition["StringEquals"] = .object(equals) }
        if let v = input.string("SourceArn") { condition["ArnLike"] = ["AWS:SourceArn": .string(v)] }
        if !condition.isEmpty { statement["Condition"] = .object(condition) }
        return statement
    }

    static func json(_ v: Value) -> String {
        var w = ByteWriter()
        JSONShapeCodec.writeGeneric(v, into: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func policyDocument(_ statements: [Value]) -> String {
        json(["Version": "2012-10-17", "Id": "default", "Statement": .list(statements)])
    }

    func removePermission(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try reference(input, context)
        let sid = input.string("StatementId") ?? ""
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            var f = try function(ref, context, in: s)
            _ = try configuration(ref, context, in: s)
            let q = ref.qualifier ?? ""
            if let r = input.string("RevisionId"), r != f.latest.string("RevisionId") { throw LambdaError.revisionMismatch("GetPolicy") }
            guard var statements = f.policies[q], !statements.isEmpty else {
                throw LambdaError.notFound("No policy is associated with the given resource.")
            }
            guard let i = statements.firstIndex(where: { $0.string("Sid") == sid }) else {
                throw LambdaError.notFound("Statement \(sid) is not found in resource policy.")
            }
            statements.remove(at: i)
            f.policies[q] = statements.isEmpty ? nil : statements
            s.functions[ref.key] = f
            return persist(f)
        }
        try await commit.wait()
        return .empty
    }

    func getPolicy(_ input: Value, _ context: RequestContext) throws -> Value {
        let ref = try reference(input, context)
        return try state.withLock { s throws(AWSError) -> Value in
            let f = try function(ref, context, in: s)
            let config = try configuration(ref, context, in: s)
            guard let statements = f.policies[ref.qualifier ?? ""], !statements.isEmpty else {
                throw LambdaError.notFound("The resource you requested does not exist.")
            }
            return ["Policy": .string(Self.policyDocument(statements)), "RevisionId": config["RevisionId"] ?? .null]
        }
    }

    // MARK: Authorisation hooks

    static func reference(arn: String) -> FunctionReference? {
        let p = arn.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard p.count == 7 || p.count == 8, p[0] == "arn", p[2] == "lambda", p[5] == "function" else { return nil }
        return FunctionReference(key: FunctionKey(accountId: p[4], region: p[3], name: p[6]), qualifier: p.count == 8 ? p[7] : nil)
    }

    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? {
        guard let ref = Self.reference(arn: arn),
            let statements = state.withLock({ $0.functions[ref.key]?.policies[ref.qualifier ?? ""] }), !statements.isEmpty
        else { return nil }
        return ResourcePolicyDocument(document: Self.policyDocument(statements), ownerAccount: ref.key.accountId)
    }

    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        Self.reference(arn: arn)?.key.accountId
    }

    public func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]? {
        guard let ref = Self.reference(arn: arn), let f = state.withLock({ $0.functions[ref.key] }), !f.tags.isEmpty else { return nil }
        return f.tags
    }

    // MARK: Tags (functions only, as in AWS)

    func tagging(_ operation: String, _ input: Value, _ context: RequestContext) async throws -> Value {
        let arn = input.string("Resource") ?? ""
        let ref = try FunctionReference.parse(arn, qualifier: nil, context: context)
        if ref.qualifier != nil {
            throw LambdaError.invalid("Tags on function aliases and versions are not supported. Please specify a function ARN.")
        }
        if operation == "ListTags" {
            let tags = try state.withLock { s throws(AWSError) in try function(ref, context, in: s).tags }
            return ["Tags": .object(tags.mapValues { .string($0) })]
        }
        let adding = input.stringMap("Tags") ?? [:]
        let removing = input.stringList("TagKeys") ?? []
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            var f = try function(ref, context, in: s)
            for (k, v) in adding { f.tags[k] = v }
            for k in removing { f.tags[k] = nil }
            if f.tags.count > 50 { throw LambdaError.invalid("Number of tags exceeds resource tag limit.") }
            s.functions[ref.key] = f
            return persist(f)
        }
        try await commit.wait()
        return .empty
    }
}
