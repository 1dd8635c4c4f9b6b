import Foundation
import SimfraCore

/// Connections (their secrets kept in Secrets Manager, created and changed as the caller via
/// EventBridge) and API destinations. Invoking one is in EventBridgeService+ApiDestinationDelivery.
extension EventBridgeService {
    static func key(_ context: RequestContext, _ name: String) -> String { "\(context.accountId)|\(context.region)|\(name)" }

    static func connectionNotFound(_ name: String) -> AWSError {
        EventsError.notFound("Failed to describe the connection(s). Connection '\(name)' does not exist.")
    }

    static func destinationNotFound(_ name: String) -> AWSError {
        EventsError.notFound("Failed to describe the api-destination(s). An api-destination '\(name)' does not exist.")
    }

    private func secrets(_ op: String, _ input: Value, _ context: RequestContext) async throws -> Value {
        try await invoker.invoke(InternalCall(service: "secretsmanager", operation: op, input: input, onBehalfOf: context,
                                              via: "events.amazonaws.com"))
    }

    func createConnection(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        try EventsError.checkName(name, member: "name")
        let auth = input["AuthParameters"] ?? .object([:])
        let key = Self.key(context, name)
        if state.withLock({ $0.connections[key] != nil }) {
            throw EventsError.alreadyExists("Connection \(name) already exists.")
        }
        let uuid = UUID().uuidString.lowercased()
        let secret = try await secrets("CreateSecret", [
            "Name": .string("events!connection/\(name)/\(uuid)"), "SecretString": .string(Connection.secretString(auth)),
            "ClientRequestToken": .string(UUID().uuidString.lowercased()),
        ], context)
        let now = clock.now()
        let arn = "arn:aws:events:\(context.region):\(context.accountId):connection/\(name)/\(uuid)"
        do {
            // AWS reads the secret through EventBridge's service-linked role, so a delivery
            // with no caller (a scheduled rule's) still can. Here the secret's own policy lets
            // events.amazonaws.com read it, for this connection only.
            _ = try await secrets("PutResourcePolicy", [
                "SecretId": .string(secret.string("ARN") ?? ""), "ResourcePolicy": .string(Self.secretPolicy(connection: arn, account: context.accountId)),
            ], context)
        } catch {
            _ = try? await secrets("DeleteSecret", ["SecretId": .string(secret.string("ARN") ?? ""), "ForceDeleteWithoutRecovery": true], context)
            throw error
        }
        let connection = Connection(
            name: name, accountId: context.accountId, region: context.region, uuid: uuid,
            description: input.string("Description"), authorizationType: input.string("AuthorizationType") ?? "",
            publicAuth: Connection.publicPart(auth), secretArn: secret.string("ARN") ?? "", created: now, modified: now)
        do {
            try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
                if s.connections[key] != nil { throw EventsError.alreadyExists("Connection \(name) already exists.") }
                s.connections[key] = connection
                return ((), [.put(kind: ConnectionRecord.kind, account: connection.accountId, region: connection.region,
                                  id: name, data: ConnectionRecord.encode(connection))])
            }
        } catch {
            // Lost a race for the name: the secret made for it goes again.
            _ = try? await secrets("DeleteSecret", ["SecretId": .string(connection.secretArn), "ForceDeleteWithoutRecovery": true], context)
            throw error
        }
        return ["ConnectionArn": .string(connection.arn), "ConnectionState": "AUTHORIZED",
                "CreationTime": .timestamp(now), "LastModifiedTime": .timestamp(now)]
    }

    /// The connection secret's resource policy: EventBridge (as its service principal, on
    /// this connection's behalf) may read it.
    static func secretPolicy(connection arn: String, account: String) -> String {
        InputTransformer.json([
            "Version": "2012-10-17",
            "Statement": [[
                "Sid": "EventBridgeApiDestinations", "Effect": "Allow", "Principal": ["Service": "events.amazonaws.com"],
                "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                "Condition": ["StringEquals": ["aws:SourceAccount": .string(account)], "ArnEquals": ["aws:SourceArn": .string(arn)]],
            ]],
        ])
    }

    func describeConnection(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("Name") ?? ""
        guard let c = state.withLock({ $0.connections[Self.key(context, name)] }) else { throw Self.connectionNotFound(name) }
        var o = c.summary()
        o["AuthParameters"] = c.publicAuth
        o["SecretArn"] = .string(c.secretArn)
        if let d = c.description { o["Description"] = .string(d) }
        return .object(o)
    }

    func listConnections(_ input: Value, _ context: RequestContext) -> Value {
        let prefix = input.string("NamePrefix") ?? ""
        let wanted = input.string("ConnectionState")
        let all = state.withLock { s in
            s.connections.values.filter {
                $0.accountId == context.accountId && $0.region == context.region && $0.name.hasPrefix(prefix)
                    && (wanted == nil || wanted == $0.state)
            }
        }.sorted { $0.name < $1.name }
        let (page, next) = Self.page(all, key: \.name, input)
        var out: [String: Value] = ["Connections": .list(page.map { .object($0.summary()) })]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    /// New auth parameters are merged over the secret's current values (a new username keeps
    /// the password), then written as a new secret version.
    func updateConnection(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let key = Self.key(context, name)
        guard var c = state.withLock({ $0.connections[key] }) else { throw Self.connectionNotFound(name) }
        if let auth = input["AuthParameters"] {
            let current = try await secrets("GetSecretValue", ["SecretId": .string(c.secretArn)], context)
            var merged = Self.authFromSecret(current.string("SecretString") ?? "{}")
            for (k, v) in auth.objectValue ?? [:] {
                if case .object(var inner) = merged[k] ?? .null, let fresh = v.objectValue {
                    for (ik, iv) in fresh {
                        if case .object(var deeper) = inner[ik] ?? .null, let more = iv.objectValue {
                            for (dk, dv) in more { deeper[dk] = dv }
                            inner[ik] = .object(deeper)
                        } else {
                            inner[ik] = iv
                        }
                    }
                    merged[k] = .object(inner)
                } else {
                    merged[k] = v
                }
            }
            try await writeSecret(c, auth: .object(merged), context)
            c.publicAuth = Connection.publicPart(.object(merged))
            // New authorization parameters authorize a deauthorized connection again.
            c.authorized = true
            c.lastAuthorized = clock.now()
        }
        if let d = input.string("Description") { c.description = d }
        if let t = input.string("AuthorizationType") { c.authorizationType = t }
        c.modified = clock.now()
        let updated = c
        try await replace(updated, key: key)
        return Self.changeAnswer(updated)
    }

    /// The auth parameters a connection secret holds, in the API's member names.
    static func authFromSecret(_ text: String) -> [String: Value] {
        guard let data = text.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var auth: [String: Value] = [:]
        func s(_ k: String) -> Value { .string(o[k] as? String ?? "") }
        if o["username"] != nil { auth["BasicAuthParameters"] = ["Username": s("username"), "Password": s("password")] }
        if o["api_key_name"] != nil { auth["ApiKeyAuthParameters"] = ["ApiKeyName": s("api_key_name"), "ApiKeyValue": s("api_key_value")] }
        if o["client_id"] != nil {
            var oauth: [String: Value] = [
                "ClientParameters": ["ClientID": s("client_id"), "ClientSecret": s("client_secret")],
                "AuthorizationEndpoint": s("authorization_endpoint"), "HttpMethod": s("http_method"),
            ]
            if let h = o["oauth_http_parameters"] { oauth["OAuthHttpParameters"] = Self.value(h) }
            auth["OAuthParameters"] = .object(oauth)
        }
        // Not credentials, but kept in the secret: an update of the credentials alone keeps them.
        if let h = o["invocation_http_parameters"] { auth["InvocationHttpParameters"] = Self.value(h) }
        return auth
    }

    /// A JSONSerialization object as a `Value` (the secret's parameter lists).
    static func value(_ any: Any) -> Value {
        switch any {
        case let s as String: return .string(s)
        // The parameter lists hold strings and `IsValueSecret` booleans only, no numbers.
        case let b as Bool: return .bool(b)
        case let l as [Any]: return .list(l.map(value))
        case let o as [String: Any]: return .object(o.mapValues(value))
        default: return .null
        }
    }

    /// Removes the connection's authorization parameters (the secret keeps only the invocation
    /// parameters, which are not credentials), as AWS does so a connection can be reused with new
    /// ones; until UpdateConnection gives them, its API destinations are not invoked.
    func deauthorizeConnection(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let key = Self.key(context, name)
        guard var c = state.withLock({ $0.connections[key] }) else { throw Self.connectionNotFound(name) }
        var kept: [String: Value] = [:]
        if let h = c.publicAuth["InvocationHttpParameters"] { kept["InvocationHttpParameters"] = h }
        try await writeSecret(c, auth: .object(kept), context)
        c.publicAuth = .object(kept)
        c.authorized = false
        c.modified = clock.now()
        let updated = c
        try await replace(updated, key: key)
        oauthTokens.withLock { $0.drop(updated.arn) }
        return Self.changeAnswer(updated, state: "DEAUTHORIZING")
    }

    /// A new version of the connection's secret holding `auth`.
    private func writeSecret(_ c: Connection, auth: Value, _ context: RequestContext) async throws {
        _ = try await secrets("PutSecretValue", ["SecretId": .string(c.secretArn),
                                                 "SecretString": .string(Connection.secretString(auth)),
                                                 "ClientRequestToken": .string(UUID().uuidString.lowercased())], context)
    }

    /// Stores a changed connection, which must still exist (a concurrent delete wins).
    private func replace(_ c: Connection, key: String) async throws {
        try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
            guard s.connections[key] != nil else { throw Self.connectionNotFound(c.name) }
            s.connections[key] = c
            return ((), [.put(kind: ConnectionRecord.kind, account: c.accountId, region: c.region, id: c.name,
                              data: ConnectionRecord.encode(c))])
        }
    }

    /// What Update/Deauthorize/DeleteConnection answer: the summary without name and type.
    static func changeAnswer(_ c: Connection, state: String? = nil) -> Value {
        var o = c.summary()
        if let state { o["ConnectionState"] = .string(state) }
        o.removeValue(forKey: "Name")
        o.removeValue(forKey: "AuthorizationType")
        return .object(o)
    }

    func deleteConnection(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let key = Self.key(context, name)
        let c = try await mutate { (s: inout EventsState) throws(AWSError) -> (Connection, [DurableWrite]) in
            guard let c = s.connections.removeValue(forKey: key) else { throw Self.connectionNotFound(name) }
            return (c, [.delete(kind: ConnectionRecord.kind, account: c.accountId, region: c.region, id: name)])
        }
        _ = try? await secrets("DeleteSecret", ["SecretId": .string(c.secretArn), "ForceDeleteWithoutRecovery": true], context)
        return Self.changeAnswer(c, state: "DELETING")
    }

    // MARK: API destinations

    func createApiDestination(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        try EventsError.checkName(name, member: "name")
        let connection = input.string("ConnectionArn") ?? ""
        let now = clock.now()
        let d = ApiDestination(
            name: name, accountId: context.accountId, region: context.region, uuid: UUID().uuidString.lowercased(),
            description: input.string("Description"), connectionArn: connection,
            endpoint: input.string("InvocationEndpoint") ?? "", httpMethod: input.string("HttpMethod") ?? "",
            rateLimit: input.int("InvocationRateLimitPerSecond") ?? 300, created: now, modified: now)
        let key = Self.key(context, name)
        try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
            guard s.connections.values.contains(where: { $0.arn == connection }) else {
                throw Self.connectionNotFound(connection.split(separator: "/").dropLast().last.map(String.init) ?? connection)
            }
            if s.apiDestinations[key] != nil { throw EventsError.alreadyExists("An api-destination '\(name)' already exists.") }
            s.apiDestinations[key] = d
            return ((), [.put(kind: ApiDestinationRecord.kind, account: d.accountId, region: d.region, id: name,
                              data: ApiDestinationRecord.encode(d))])
        }
        return ["ApiDestinationArn": .string(d.arn), "ApiDestinationState": "ACTIVE", "CreationTime": .timestamp(now),
                "LastModifiedTime": .timestamp(now)]
    }

    func describeApiDestination(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("Name") ?? ""
        guard let d = state.withLock({ $0.apiDestinations[Self.key(context, name)] }) else { throw Self.destinationNotFound(name) }
        var o = d.summary()
        if let desc = d.description { o["Description"] = .string(desc) }
        return .object(o)
    }

    func updateApiDestination(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let key = Self.key(context, name)
        let now = clock.now()
        let d = try await mutate { (s: inout EventsState) throws(AWSError) -> (ApiDestination, [DurableWrite]) in
            guard var d = s.apiDestinations[key] else { throw Self.destinationNotFound(name) }
            if let c = input.string("ConnectionArn") {
                guard s.connections.values.contains(where: { $0.arn == c }) else {
                    throw Self.connectionNotFound(c.split(separator: "/").dropLast().last.map(String.init) ?? c)
                }
                d.connectionArn = c
            }
            if let v = input.string("Description") { d.description = v }
            if let v = input.string("InvocationEndpoint") { d.endpoint = v }
            if let v = input.string("HttpMethod") { d.httpMethod = v }
            if let v = input.int("InvocationRateLimitPerSecond") { d.rateLimit = v }
            d.modified = now
            s.apiDestinations[key] = d
            return (d, [.put(kind: ApiDestinationRecord.kind, account: d.accountId, region: d.region, id: name,
                             data: ApiDestinationRecord.encode(d))])
        }
        return ["ApiDestinationArn": .string(d.arn), "ApiDestinationState": "ACTIVE", "CreationTime": .timestamp(d.created),
                "LastModifiedTime": .timestamp(d.modified)]
    }

    func deleteApiDestination(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let key = Self.key(context, name)
        try await mutate { (s: inout EventsState) throws(AWSError) -> ((), [DurableWrite]) in
            guard let d = s.apiDestinations.removeValue(forKey: key) else { throw Self.destinationNotFound(name) }
            return ((), [.delete(kind: ApiDestinationRecord.kind, account: d.accountId, region: d.region, id: name)])
        }
        return .empty
    }

    func listApiDestinations(_ input: Value, _ context: RequestContext) -> Value {
        let prefix = input.string("NamePrefix") ?? ""
        let connection = input.string("ConnectionArn")
        let all = state.withLock { s in
            s.apiDestinations.values.filter {
                $0.accountId == context.accountId && $0.region == context.region && $0.name.hasPrefix(prefix)
                    && (connection == nil || $0.connectionArn == connection)
            }
        }.sorted { $0.name < $1.name }
        let (page, next) = Self.page(all, key: \.name, input)
        var out: [String: Value] = ["ApiDestinations": .list(page.map { .object($0.summary()) })]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }
}
