import Foundation
import SimfraCore

/// OAuth client-credentials tokens for connections: the token request (a plain value, like
/// `ApiDestinationRequest`), reading the endpoint's answer, and the transient cache.
enum OAuthToken {
    /// The token request: the connection's authorization endpoint, called with its HttpMethod,
    /// the client id and secret as Basic authorization (RFC 6749 §2.3.1), and the connection's
    /// OAuthHttpParameters. Body parameters go form-encoded, with `grant_type=client_credentials`
    /// unless the connection names its own grant type.
    static func request(secret: [String: Any]) throws(AWSError) -> ApiDestinationRequest {
        let endpoint = secret["authorization_endpoint"] as? String ?? ""
        let method = (secret["http_method"] as? String ?? "POST").uppercased()
        let id = secret["client_id"] as? String ?? ""
        let clientSecret = secret["client_secret"] as? String ?? ""
        let params = secret["oauth_http_parameters"] as? [String: Any] ?? [:]
        var headers: [(String, String)] = [
            ("User-Agent", "Amazon/EventBridge/ApiDestinations"),
            ("Authorization", "Basic " + Data("\(id):\(clientSecret)".utf8).base64EncodedString()),
            ("Accept", "application/json"),
        ]
        var form = ApiDestinationRequest.pairs(params["BodyParameters"])
        if !form.contains(where: { $0.0 == "grant_type" }) { form.insert(("grant_type", "client_credentials"), at: 0) }
        var query = ApiDestinationRequest.pairs(params["QueryStringParameters"])
        let sendsBody = method != "GET" && method != "HEAD"
        // A GET has no body: its parameters (the grant type too) travel in the query string.
        if !sendsBody { query = form + query }
        if sendsBody { headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
        let taken = Set(headers.map { $0.0.lowercased() })
        headers += ApiDestinationRequest.pairs(params["HeaderParameters"]).filter { !taken.contains($0.0.lowercased()) }
        var url = endpoint
        if !query.isEmpty { url += (url.contains("?") ? "&" : "?") + encode(query) }
        return ApiDestinationRequest(method: method, url: url, headers: headers, body: sendsBody ? Array(encode(form).utf8) : [])
    }

    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map {
            ApiDestinationRequest.percentEncode($0.0, allowed: ApiDestinationRequest.queryAllowed) + "="
                + ApiDestinationRequest.percentEncode($0.1, allowed: ApiDestinationRequest.queryAllowed)
        }.joined(separator: "&")
    }

    /// The token and its lifetime in seconds (nil: the endpoint gave none) from a JSON answer.
    static func parse(_ body: [UInt8]) -> (token: String, expiresIn: Double?)? {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
            let token = o["access_token"] as? String, !token.isEmpty
        else { return nil }
        var expires: Double?
        if let n = o["expires_in"] as? NSNumber { expires = n.doubleValue }
        if let s = o["expires_in"] as? String { expires = Double(s) }
        return (token, expires)
    }

    static func failure(_ message: String, transient: Bool) -> AWSError {
        AWSError(code: "ApiDestinationInvocationFailed", message: message, status: transient ? 503 : 400)
    }
}

/// Tokens by connection ARN (transient: a restart fetches new ones). A token is reused until
/// 60 seconds before it expires, as EventBridge refreshes ahead of expiry; one with no
/// `expires_in` until the endpoint refuses it (401/407). Changing the connection drops it.
struct OAuthTokenCache: Sendable {
    struct Entry: Sendable, Equatable {
        var token: String
        var expires: Double?
        var connectionModified: Double
    }

    static let refreshAhead = 60.0
    var entries: [String: Entry] = [:]

    func token(_ connectionArn: String, modified: Double, now: Double) -> String? {
        guard let e = entries[connectionArn], e.connectionModified == modified else { return nil }
        if let expires = e.expires, now >= expires - Self.refreshAhead { return nil }
        return e.token
    }

    mutating func store(_ connectionArn: String, token: String, expiresIn: Double?, modified: Double, now: Double) {
        entries[connectionArn] = Entry(token: token, expires: expiresIn.map { now + $0 }, connectionModified: modified)
    }

    mutating func drop(_ connectionArn: String) { entries.removeValue(forKey: connectionArn) }
}
