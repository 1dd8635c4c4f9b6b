import SimfraCore

/// A connection: how API destinations authenticate. Its secret half (password, API key
/// value, OAuth client secret) lives in a Secrets Manager secret the connection creates as the
/// caller (`events!connection/<name>/<uuid>`), as AWS does; EventBridge keeps only the public
/// half.
struct Connection: Sendable {
    var name: String
    var accountId: String
    var region: String
    var uuid: String
    var description: String?
    var authorizationType: String
    /// `AuthParameters` with every secret value removed.
    var publicAuth: Value
    var secretArn: String
    var created: Double
    var modified: Double
    /// False after DeauthorizeConnection removed its authorization parameters, until an
    /// UpdateConnection gives it new ones; API destinations through it are not invoked.
    var authorized = true
    var lastAuthorized: Double? = nil

    var arn: String { "arn:aws:events:\(region):\(accountId):connection/\(name)/\(uuid)" }
    var state: String { authorized ? "AUTHORIZED" : "DEAUTHORIZED" }

    /// What Describe/List show of the given auth parameters: names, never secrets.
    static func publicPart(_ auth: Value) -> Value {
        var out: [String: Value] = [:]
        if let b = auth["BasicAuthParameters"] { out["BasicAuthParameters"] = ["Username": b["Username"] ?? ""] }
        if let k = auth["ApiKeyAuthParameters"] { out["ApiKeyAuthParameters"] = ["ApiKeyName": k["ApiKeyName"] ?? ""] }
        if let o = auth["OAuthParameters"] {
            var p: [String: Value] = [:]
            for key in ["AuthorizationEndpoint", "HttpMethod", "OAuthHttpParameters"] { p[key] = o[key] }
            if let c = o["ClientParameters"] { p["ClientParameters"] = ["ClientID": c["ClientID"] ?? ""] }
            out["OAuthParameters"] = .object(p.compactMapValues { $0 })
        }
        if let h = auth["InvocationHttpParameters"] { out["InvocationHttpParameters"] = h }
        return .object(out)
    }

    /// The secret's JSON, in the field names AWS's connection secrets use.
    static func secretString(_ auth: Value) -> String {
        var o: [String: Value] = [:]
        if let b = auth["BasicAuthParameters"] {
            o["username"] = b["Username"] ?? ""
            o["password"] = b["Password"] ?? ""
        }
        if let k = auth["ApiKeyAuthParameters"] {
            o["api_key_name"] = k["ApiKeyName"] ?? ""
            o["api_key_value"] = k["ApiKeyValue"] ?? ""
        }
        if let a = auth["OAuthParameters"] {
            o["client_id"] = a["ClientParameters"]?["ClientID"] ?? ""
            o["client_secret"] = a["ClientParameters"]?["ClientSecret"] ?? ""
            o["authorization_endpoint"] = a["AuthorizationEndpoint"] ?? ""
            o["http_method"] = a["HttpMethod"] ?? ""
            // Kept with the secret half so a token can be fetched from the secret alone, and
            // so UpdateConnection's merge (which starts from the secret) keeps them.
            if let h = a["OAuthHttpParameters"] { o["oauth_http_parameters"] = h }
        }
        if let h = auth["InvocationHttpParameters"] { o["invocation_http_parameters"] = h }
        return InputTransformer.json(.object(o))
    }

    func summary() -> [String: Value] {
        ["Name": .string(name), "ConnectionArn": .string(arn), "ConnectionState": .string(state),
         "AuthorizationType": .string(authorizationType), "CreationTime": .timestamp(created),
         "LastModifiedTime": .timestamp(modified), "LastAuthorizedTime": .timestamp(lastAuthorized ?? created)]
    }
}

/// An HTTP endpoint a rule may target, through a connection.
struct ApiDestination: Sendable {
    var name: String
    var accountId: String
    var region: String
    var uuid: String
    var description: String?
    var connectionArn: String
    var endpoint: String
    var httpMethod: String
    var rateLimit: Int
    var created: Double
    var modified: Double

    var arn: String { "arn:aws:events:\(region):\(accountId):api-destination/\(name)/\(uuid)" }

    func summary() -> [String: Value] {
        ["Name": .string(name), "ApiDestinationArn": .string(arn), "ApiDestinationState": "ACTIVE",
         "ConnectionArn": .string(connectionArn), "InvocationEndpoint": .string(endpoint), "HttpMethod": .string(httpMethod),
         "InvocationRateLimitPerSecond": .integer(Int64(rateLimit)), "CreationTime": .timestamp(created),
         "LastModifiedTime": .timestamp(modified)]
    }
}

enum ConnectionRecord {
    static let kind = "connection"

    static func encode(_ c: Connection) -> [UInt8] {
        var o: [String: Value] = [
            "v": 1, "uuid": .string(c.uuid), "type": .string(c.authorizationType), "auth": c.publicAuth,
            "secret": .string(c.secretArn), "created": .double(c.created), "modified": .double(c.modified),
        ]
        if let d = c.description { o["description"] = .string(d) }
        if !c.authorized { o["deauthorized"] = true }
        if let t = c.lastAuthorized { o["authorizedAt"] = .double(t) }
        return RecordJSON.write(.object(o))
    }

    static func decode(_ r: DurableRecord) throws -> Connection {
        let o = try RecordJSON.read(r, what: "connection")
        var c = Connection(
            name: r.id, accountId: r.account, region: r.region, uuid: o.string("uuid") ?? "", description: o.string("description"),
            authorizationType: o.string("type") ?? "", publicAuth: o["auth"] ?? .object([:]), secretArn: o.string("secret") ?? "",
            created: o["created"]?.doubleValue ?? 0, modified: o["modified"]?.doubleValue ?? 0)
        c.authorized = o["deauthorized"]?.boolValue != true
        c.lastAuthorized = o["authorizedAt"]?.doubleValue
        return c
    }
}

enum ApiDestinationRecord {
    static let kind = "api-destination"

    static func encode(_ a: ApiDestination) -> [UInt8] {
        var o: [String: Value] = [
            "v": 1, "uuid": .string(a.uuid), "connection": .string(a.connectionArn), "endpoint": .string(a.endpoint),
            "method": .string(a.httpMethod), "rate": .integer(Int64(a.rateLimit)), "created": .double(a.created),
            "modified": .double(a.modified),
        ]
        if let d = a.description { o["description"] = .string(d) }
        return RecordJSON.write(.object(o))
    }

    static func decode(_ r: DurableRecord) throws -> ApiDestination {
        let o = try RecordJSON.read(r, what: "API destination")
        return ApiDestination(
            name: r.id, accountId: r.account, region: r.region, uuid: o.string("uuid") ?? "", description: o.string("description"),
            connectionArn: o.string("connection") ?? "", endpoint: o.string("endpoint") ?? "", httpMethod: o.string("method") ?? "",
            rateLimit: o.int("rate") ?? 300, created: o["created"]?.doubleValue ?? 0, modified: o["modified"]?.doubleValue ?? 0)
    }
}
