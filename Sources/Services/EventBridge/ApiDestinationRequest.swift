import Foundation
import SimfraCore

/// The HTTP request an API destination target makes for one event: endpoint with `*`s filled,
/// query string, headers (AWS's own, the connection's authorization and parameters, the
/// target's parameters) and body. A plain value built from the destination, the connection's
/// secret and the target, so tests check it without a network.
struct ApiDestinationRequest: Equatable {
    var method: String
    var url: String
    var headers: [(String, String)]
    var body: [UInt8]

    static func == (a: Self, b: Self) -> Bool {
        a.method == b.method && a.url == b.url && a.body == b.body
            && a.headers.map { "\($0.0)\u{0}\($0.1)" } == b.headers.map { "\($0.0)\u{0}\($0.1)" }
    }

    /// Only endpoints on this machine are called: Simfra is a local cloud and must not reach
    /// out to the internet on an event's behalf.
    static func isLoopback(_ url: String) -> Bool {
        guard let host = host(of: url)?.lowercased() else { return false }
        if host == "localhost" || host == "::1" { return true }
        // 127.0.0.0/8, written as a dotted IPv4 literal (not a name that starts with "127.").
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    static func host(of url: String) -> String? {
        guard let scheme = url.range(of: "://") else { return nil }
        var authority = url[scheme.upperBound...]
        if let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { authority = authority[..<end] }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        if let colon = authority.lastIndex(of: ":") { return String(authority[..<colon]) }
        return authority.isEmpty ? nil : String(authority)
    }

    /// The connection secret's fields (`Connection.secretString`'s JSON).
    static func secretFields(_ text: String) -> [String: Any] {
        guard let data = text.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return [:]
        }
        return o
    }

    /// `[{Key, Value}]` of the connection's invocation parameters, as pairs.
    static func pairs(_ list: Any?) -> [(String, String)] {
        ((list as? [[String: Any]]) ?? []).compactMap { p in
            guard let k = p["Key"] as? String else { return nil }
            return (k, p["Value"] as? String ?? "")
        }
    }

    /// Builds the request; throws the reason no request can be made (a final failure).
    /// `bearer` is an OAuth access token already fetched for an OAuth connection.
    static func build(endpoint: String, method: String, authorizationType: String, secret: [String: Any],
                      target: Value, payload: String, bearer: String? = nil) throws(AWSError) -> ApiDestinationRequest
    {
        let http = target["HttpParameters"]
        // `*` in the endpoint take PathParameterValues in order.
        var url = ""
        var values = (http?.stringList("PathParameterValues") ?? [])[...]
        for ch in endpoint {
            if ch == "*" {
                guard let v = values.popFirst() else {
                    throw finalError("The API destination endpoint \(endpoint) has more '*' than the target's PathParameterValues.")
                }
                url += percentEncode(v, allowed: .urlPathAllowed)
            } else {
                url.append(ch)
            }
        }
        let invocation = secret["invocation_http_parameters"] as? [String: Any] ?? [:]
        // The connection's parameters win over the target's on the same name, as in AWS.
        var query: [(String, String)] = []
        let connectionQuery = pairs(invocation["QueryStringParameters"])
        let connectionQueryNames = Set(connectionQuery.map { $0.0.lowercased() })
        for (k, v) in (http?.stringMap("QueryStringParameters") ?? [:]).sorted(by: { $0.key < $1.key })
        where !connectionQueryNames.contains(k.lowercased()) {
            query.append((k, v))
        }
        query += connectionQuery
        var headers: [(String, String)] = [
            ("User-Agent", "Amazon/EventBridge/ApiDestinations"), ("Content-Type", "application/json; charset=utf-8"),
        ]
        switch authorizationType {
        case "API_KEY":
            if let name = secret["api_key_name"] as? String, !name.isEmpty {
                headers.append((name, secret["api_key_value"] as? String ?? ""))
            }
        case "BASIC":
            let user = secret["username"] as? String ?? ""
            let password = secret["password"] as? String ?? ""
            headers.append(("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()))
        case "OAUTH_CLIENT_CREDENTIALS":
            guard let bearer else { throw finalError("The connection's OAuth token could not be obtained.") }
            headers.append(("Authorization", "Bearer \(bearer)"))
        default:
            break
        }
        let connectionHeaders = pairs(invocation["HeaderParameters"])
        let taken = Set((headers + connectionHeaders).map { $0.0.lowercased() })
        for (k, v) in (http?.stringMap("HeaderParameters") ?? [:]).sorted(by: { $0.key < $1.key }) where !taken.contains(k.lowercased()) {
            headers.append((k, v))
        }
        headers += connectionHeaders
        if !query.isEmpty {
            let text = query.map { percentEncode($0.0, allowed: queryAllowed) + "=" + percentEncode($0.1, allowed: queryAllowed) }
                .joined(separator: "&")
            url += (url.contains("?") ? "&" : "?") + text
        }
        // Connection body parameters join a JSON object body; a body that is not an object
        // (a transformer's plain text) is sent as it is.
        var body = payload
        let bodyParams = pairs(invocation["BodyParameters"])
        if !bodyParams.isEmpty, let data = payload.data(using: .utf8),
            var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        {
            for (k, v) in bodyParams { object[k] = v }
            if let out = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                body = String(decoding: out, as: UTF8.self)
            }
        }
        let upper = method.uppercased()
        let bytes = upper == "GET" || upper == "HEAD" ? [] : Array(body.utf8)
        return ApiDestinationRequest(method: upper, url: url, headers: headers, body: bytes)
    }

    static let queryAllowed: CharacterSet = {
        var s = CharacterSet.alphanumerics
        s.insert(charactersIn: "-._~")
        return s
    }()

    static func percentEncode(_ s: String, allowed: CharacterSet) -> String {
        s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// A failure no retry can mend (bad configuration, a refused endpoint).
    static func finalError(_ message: String) -> AWSError { AWSError(code: "ApiDestinationInvocationFailed", message: message) }

    /// What an endpoint's answer means for the retry policy: 429 throttles and 5xx are retried,
    /// other statuses are final.
    static func error(status: Int, url: String) -> AWSError? {
        if (200..<300).contains(status) { return nil }
        let message = "The API destination endpoint \(url) answered HTTP \(status)."
        if status == 429 { return AWSError(code: "ThrottlingException", message: message, status: 429) }
        if status >= 500 { return AWSError(code: "ApiDestinationInvocationFailed", message: message, status: status) }
        return AWSError(code: "ApiDestinationInvocationFailed", message: message, status: status)
    }
}
