import Foundation
import SimfraCore

extension LogsService {
    // MARK: Resource policies (account-level, for service principals such as Route 53 or EventBridge)

    func putResourcePolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("policyName") ?? "", doc = input.string("policyDocument") ?? ""
        guard (try? JSONSerialization.jsonObject(with: Data(doc.utf8))) is [String: Any] else {
            throw LogsError.invalidParameter("Invalid policy document")
        }
        let p = LogsResourcePolicy(name: name, document: doc, lastUpdatedTime: nowMillis, revisionId: UUID().uuidString.lowercased())
        let commit = try state.withLock { st -> Commit in
            if st.policies[Self.key(ctx)]?[name] == nil, (st.policies[Self.key(ctx)]?.count ?? 0) >= 10 { throw LogsError.limitExceeded() }
            st.policies[Self.key(ctx), default: [:]][name] = p
            return records.put(kind: LogsRecord.policy, account: ctx.accountId, region: ctx.region, id: name, data: LogsRecord.encode(p))
        }
        try await commit.wait()
        return ["resourcePolicy": Self.policyOutput(p), "revisionId": .string(p.revisionId)]
    }

    static func policyOutput(_ p: LogsResourcePolicy) -> Value {
        ["policyName": .string(p.name), "policyDocument": .string(p.document), "lastUpdatedTime": .integer(p.lastUpdatedTime),
         "policyScope": "ACCOUNT", "revisionId": .string(p.revisionId)]
    }

    func describeResourcePolicies(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let list = state.withLock { st in (st.policies[Self.key(ctx)] ?? [:]).values.sorted { $0.name < $1.name } }
        return ["resourcePolicies": .list(list.map(Self.policyOutput))]
    }

    func deleteResourcePolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("policyName") ?? ""
        let commit = try state.withLock { st -> Commit in
            guard st.policies[Self.key(ctx)]?.removeValue(forKey: name) != nil else { throw LogsError.policyNotFound(name) }
            return records.delete(kind: LogsRecord.policy, account: ctx.accountId, region: ctx.region, id: name)
        }
        try await commit.wait()
        return .empty
    }

    // MARK: Destinations (stored; the Kinesis/Firehose targets they name do not exist yet)

    static func destinationArn(_ ctx: RequestContext, _ name: String) -> String {
        "arn:aws:logs:\(ctx.region):\(ctx.accountId):destination:\(name)"
    }

    func destinationOutput(_ d: LogsDestination, _ ctx: RequestContext) -> Value {
        var o: [String: Value] = ["destinationName": .string(d.name), "targetArn": .string(d.targetArn), "roleArn": .string(d.roleArn),
                                  "arn": .string(Self.destinationArn(ctx, d.name)), "creationTime": .integer(d.creationTime)]
        if let p = d.accessPolicy { o["accessPolicy"] = .string(p) }
        return .object(o)
    }

    func putDestination(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("destinationName") ?? ""
        let now = nowMillis
        let (d, commit) = state.withLock { st -> (LogsDestination, Commit) in
            var d = st.destinations[Self.key(ctx)]?[name]
                ?? LogsDestination(name: name, targetArn: "", roleArn: "", accessPolicy: nil, creationTime: now, tags: [:])
            d.targetArn = input.string("targetArn") ?? ""
            d.roleArn = input.string("roleArn") ?? ""
            for (k, v) in input.stringMap("tags") ?? [:] { d.tags[k] = v }
            st.destinations[Self.key(ctx), default: [:]][name] = d
            return (d, records.put(kind: LogsRecord.destination, account: ctx.accountId, region: ctx.region, id: name, data: LogsRecord.encode(d)))
        }
        try await commit.wait()
        return ["destination": destinationOutput(d, ctx)]
    }

    func putDestinationPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("destinationName") ?? ""
        let commit = try state.withLock { st -> Commit in
            guard var d = st.destinations[Self.key(ctx)]?[name] else { throw LogsError.destinationNotFound() }
            d.accessPolicy = input.string("accessPolicy")
            st.destinations[Self.key(ctx)]?[name] = d
            return records.put(kind: LogsRecord.destination, account: ctx.accountId, region: ctx.region, id: name, data: LogsRecord.encode(d))
        }
        try await commit.wait()
        return .empty
    }

    func describeDestinations(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let limit = try Self.limit(input, default: 50, max: 50)
        let prefix = input.string("DestinationNamePrefix")
        let items = state.withLock { st in
            (st.destinations[Self.key(ctx)] ?? [:]).values.filter { prefix == nil || $0.name.hasPrefix(prefix!) }
                .sorted { $0.name < $1.name }.map { ($0.name, destinationOutput($0, ctx)) }
        }
        let (page, next) = try Self.page(items, token: input.string("nextToken"), limit: limit)
        var out: [String: Value] = ["destinations": .list(page)]
        if let next { out["nextToken"] = .string(next) }
        return .object(out)
    }

    func deleteDestination(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("destinationName") ?? ""
        let commit = try state.withLock { st -> Commit in
            guard st.destinations[Self.key(ctx)]?.removeValue(forKey: name) != nil else { throw LogsError.destinationNotFound() }
            return records.delete(kind: LogsRecord.destination, account: ctx.accountId, region: ctx.region, id: name)
        }
        try await commit.wait()
        return .empty
    }
}
