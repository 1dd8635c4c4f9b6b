import SimfraCore
import SimfraProtocols

/// Event bus operations: create, describe, update, delete, list, and the bus policy
/// (PutPermission / RemovePermission, or a whole policy document).
extension EventBridgeService {
    func createEventBus(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        try EventsError.checkName(name, member: "name")
        let tags = try Self.tags(input["Tags"]?.listValue ?? [])
        let now = clock.now()
        let bus = EventBus(
            name: name, accountId: context.accountId, region: context.region,
            description: input.string("Description"), kmsKeyIdentifier: input.string("KmsKeyIdentifier"),
            deadLetterArn: input["DeadLetterConfig"]?.string("Arn"), tags: tags, created: now, modified: now)
        try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
            if name == "default" || s.buses[bus.arn] != nil {
                throw EventsError.alreadyExists("Event bus \(name) already exists.")
            }
            s.buses[bus.arn] = bus
            return ((), [s.write(bus)])
        }
        var out: [String: Value] = ["EventBusArn": .string(bus.arn)]
        if let d = bus.description { out["Description"] = .string(d) }
        if let k = bus.kmsKeyIdentifier { out["KmsKeyIdentifier"] = .string(k) }
        if let a = bus.deadLetterArn { out["DeadLetterConfig"] = ["Arn": .string(a)] }
        return .object(out)
    }

    func describeEventBus(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let ref = try Self.busRef(input.string("Name"), context)
        let now = clock.now()
        guard let bus = state.withLock({ $0.bus(ref, now: now) }) else { throw EventsError.busNotFound(ref.name) }
        var out: [String: Value] = [
            "Name": .string(bus.name), "Arn": .string(bus.arn),
            "CreationTime": .timestamp(bus.created), "LastModifiedTime": .timestamp(bus.modified),
        ]
        if let d = bus.description { out["Description"] = .string(d) }
        if let k = bus.kmsKeyIdentifier { out["KmsKeyIdentifier"] = .string(k) }
        if let a = bus.deadLetterArn { out["DeadLetterConfig"] = ["Arn": .string(a)] }
        if let p = bus.policy { out["Policy"] = .string(p) }
        return .object(out)
    }

    func updateEventBus(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try Self.busRef(input.string("Name"), context)
        let now = clock.now()
        let bus = try await mutate { (s: inout EventsState) throws(AWSError) -> (EventBus, [DurableWrite]) in
            guard var bus = s.bus(ref, now: now) else { throw EventsError.busNotFound(ref.name) }
            if let d = input.string("Description") { bus.description = d.isEmpty ? nil : d }
            if let k = input.string("KmsKeyIdentifier") { bus.kmsKeyIdentifier = k.isEmpty ? nil : k }
            if let dlq = input["DeadLetterConfig"] { bus.deadLetterArn = dlq.string("Arn") }
            bus.modified = now
            s.buses[bus.arn] = bus
            return (bus, [s.write(bus)])
        }
        var out: [String: Value] = ["Name": .string(bus.name), "Arn": .string(bus.arn)]
        if let d = bus.description { out["Description"] = .string(d) }
        if let k = bus.kmsKeyIdentifier { out["KmsKeyIdentifier"] = .string(k) }
        if let a = bus.deadLetterArn { out["DeadLetterConfig"] = ["Arn": .string(a)] }
        return .object(out)
    }

    /// Deleting a bus deletes its rules; the default bus cannot be deleted, and a bus that
    /// does not exist is deleted already (AWS answers success).
    func deleteEventBus(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        if name == "default" { throw EventsError.validation("Cannot delete event bus default.") }
        let ref = BusRef(accountId: context.accountId, region: context.region, name: name)
        try await mutate { (s: inout EventsState) -> ((), [DurableWrite]) in
            guard s.buses.removeValue(forKey: ref.arn) != nil else { return ((), []) }
            var writes: [DurableWrite] = [
                .delete(kind: BusRecord.kind, account: ref.accountId, region: ref.region, id: name),
            ]
            for rule in (s.rules.removeValue(forKey: ref.arn) ?? [:]).values {
                writes.append(.delete(kind: RuleRecord.kind, account: ref.accountId, region: ref.region,
                                      id: RuleRecord.id(rule)))
            }
            return ((), writes)
        }
        return .empty
    }

    func listEventBuses(_ input: Value, _ context: RequestContext) -> Value {
        let prefix = input.string("NamePrefix") ?? ""
        let now = clock.now()
        let all = state.withLock { s -> [EventBus] in
            _ = s.bus(BusRef(accountId: context.accountId, region: context.region, name: "default"), now: now)
            return s.buses.values.filter {
                $0.accountId == context.accountId && $0.region == context.region && $0.name.hasPrefix(prefix)
            }
        }.sorted { $0.name < $1.name }
        let (page, next) = Self.page(all, key: \.name, input)
        var out: [String: Value] = [
            "EventBuses": .list(page.map { bus in
                var o: [String: Value] = [
                    "Name": .string(bus.name), "Arn": .string(bus.arn),
                    "CreationTime": .timestamp(bus.created), "LastModifiedTime": .timestamp(bus.modified),
                ]
                if let d = bus.description { o["Description"] = .string(d) }
                if let p = bus.policy { o["Policy"] = .string(p) }
                return .object(o)
            }),
        ]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    /// Adds one statement (an account or `*` may put events, optionally only within an
    /// organisation), or replaces the whole policy with `Policy`.
    func putPermission(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try Self.busRef(input.string("EventBusName"), context)
        let now = clock.now()
        var newStatement: Value?
        var wholePolicy: String?
        if let policy = input.string("Policy") {
            guard case .object? = try? JSONReader.parse(Array(policy.utf8)) else {
                throw EventsError.validation("Parameter Policy is not valid.")
            }
            wholePolicy = policy
        } else {
            guard let sid = input.string("StatementId"), let principal = input.string("Principal"),
                let action = input.string("Action")
            else {
                throw EventsError.validation(
                    "Parameter(s) StatementId, Principal, Action must be specified unless Policy is specified.")
            }
            guard action == "events:PutEvents" else {
                throw EventsError.validation("Provided value in parameter 'action' is not supported.")
            }
            let isAccount = principal.count == 12 && principal.allSatisfy(\.isNumber)
            guard principal == "*" || isAccount else {
                throw EventsError.validation("Parameter Principal is not valid.")
            }
            var statement: [String: Value] = [
                "Sid": .string(sid), "Effect": "Allow", "Action": .string(action), "Resource": .string(ref.arn),
                "Principal": principal == "*" ? "*" : ["AWS": .string("arn:aws:iam::\(principal):root")],
            ]
            if let c = input["Condition"], let type = c.string("Type"), let key = c.string("Key"),
                let value = c.string("Value")
            {
                statement["Condition"] = [type: [key: .string(value)]]
            }
            newStatement = .object(statement)
        }
        try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
            guard var bus = s.bus(ref, now: now) else { throw EventsError.busNotFound(ref.name) }
            if let wholePolicy {
                bus.policy = wholePolicy
            } else if let newStatement {
                var statements = Self.statements(bus.policy)
                statements.removeAll { $0.string("Sid") == newStatement.string("Sid") }
                statements.append(newStatement)
                bus.policy = Self.policyText(statements)
            }
            bus.modified = now
            s.buses[bus.arn] = bus
            return ((), [s.write(bus)])
        }
        return .empty
    }

    func removePermission(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try Self.busRef(input.string("EventBusName"), context)
        let now = clock.now()
        let all = input.bool("RemoveAllPermissions") ?? false
        let sid = input.string("StatementId")
        try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
            guard var bus = s.bus(ref, now: now) else { throw EventsError.busNotFound(ref.name) }
            if all {
                bus.policy = nil
            } else {
                guard let sid else {
                    throw EventsError.validation("Parameter StatementId is not valid.")
                }
                var statements = Self.statements(bus.policy)
                let before = statements.count
                statements.removeAll { $0.string("Sid") == sid }
                guard statements.count < before else {
                    throw EventsError.notFound("Statement with the provided id does not exist.")
                }
                bus.policy = statements.isEmpty ? nil : Self.policyText(statements)
            }
            bus.modified = now
            s.buses[bus.arn] = bus
            return ((), [s.write(bus)])
        }
        return .empty
    }

    static func statements(_ policy: String?) -> [Value] {
        guard let policy, let doc = try? JSONReader.parse(Array(policy.utf8)) else { return [] }
        switch doc["Statement"] {
        case .list(let l)?: return l
        case .object(let o)?: return [.object(o)]
        default: return []
        }
    }

    static func policyText(_ statements: [Value]) -> String {
        var w = ByteWriter()
        JSONShapeCodec.writeGeneric(["Version": "2012-10-17", "Statement": .list(statements)], into: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// A bus named by name or ARN; an ARN of anything else is AWS's ValidationException.
    static func busRef(_ nameOrArn: String?, _ context: RequestContext) throws(AWSError) -> BusRef {
        guard let ref = BusRef.resolve(nameOrArn, context) else {
            throw EventsError.validation("Parameter \(nameOrArn ?? "") is not valid. Reason: Provided Arn is not in correct format.")
        }
        return ref
    }

    static func tags(_ list: [Value]) throws(AWSError) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        for tag in list {
            let key = tag.string("Key") ?? "", value = tag.string("Value") ?? ""
            if let i = out.firstIndex(where: { $0.key == key }) { out[i].value = value } else { out.append((key, value)) }
        }
        return out
    }

    /// One page of a sorted listing: `Limit` items (100 at most) after the `NextToken` key.
    static func page<T>(_ sorted: [T], key: (T) -> String, _ input: Value) -> ([T], String?) {
        let limit = min(max(input.int("Limit") ?? 100, 1), 100)
        let rest = input.string("NextToken").map { after in sorted.filter { key($0) > after } } ?? sorted
        let page = Array(rest.prefix(limit))
        return (page, rest.count > limit ? page.last.map(key) : nil)
    }
}
