import Foundation
import SimfraCore
import SimfraTestSupport
import Synchronization
import Testing

@testable import SimfraEvents

/// Answers GetSecretValue with a fixed connection secret and records every call.
final class SecretInvoker: ServiceInvoker {
    let calls = Mutex([InternalCall]())
    let secret: String

    init(secret: [String: Any]) {
        self.secret = String(decoding: try! JSONSerialization.data(withJSONObject: secret, options: [.sortedKeys]), as: UTF8.self)
    }

    func invoke(_ call: InternalCall) async throws -> Value {
        calls.withLock { $0.append(call) }
        switch call.operation {
        case "CreateSecret": return ["ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:events!connection/c-abc"]
        case "GetSecretValue": return ["SecretString": .string(secret)]
        default: return .empty
        }
    }

    var recorded: [InternalCall] { calls.withLock { $0 } }
}

/// OAUTH_CLIENT_CREDENTIALS connections (token request, answer, cache) and the connection
/// secret read as events.amazonaws.com, which is what lets a scheduled rule (no caller)
/// reach an API destination.
@Suite struct OAuthConnectionTests {
    let t0 = 1_700_000_000.0

    func header(_ r: ApiDestinationRequest, _ name: String) -> String? {
        r.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static var oauthSecret: [String: Any] { [
        "client_id": "id", "client_secret": "sec", "authorization_endpoint": "http://127.0.0.1:1/token", "http_method": "POST",
        "oauth_http_parameters": [
            "BodyParameters": [["Key": "scope", "Value": "a b", "IsValueSecret": false]],
            "HeaderParameters": [["Key": "X-Tenant", "Value": "t1"]],
            "QueryStringParameters": [["Key": "aud", "Value": "api"]],
        ],
    ] }

    @Test func tokenRequestPost() throws {
        let r = try OAuthToken.request(secret: Self.oauthSecret)
        #expect(r.method == "POST" && r.url == "http://127.0.0.1:1/token?aud=api")
        #expect(header(r, "Authorization") == "Basic " + Data("id:sec".utf8).base64EncodedString())
        #expect(header(r, "Content-Type") == "application/x-www-form-urlencoded")
        #expect(header(r, "X-Tenant") == "t1")
        #expect(String(decoding: r.body, as: UTF8.self) == "grant_type=client_credentials&scope=a%20b")
    }

    @Test func tokenRequestGetCarriesParametersInQuery() throws {
        var secret = Self.oauthSecret
        secret["http_method"] = "GET"
        secret["oauth_http_parameters"] = ["BodyParameters": [["Key": "grant_type", "Value": "custom"]]]
        let r = try OAuthToken.request(secret: secret)
        #expect(r.method == "GET" && r.body.isEmpty && r.url == "http://127.0.0.1:1/token?grant_type=custom")
        #expect(header(r, "Content-Type") == nil)
    }

    @Test func tokenAnswers() {
        #expect(OAuthToken.parse(Array(#"{"access_token":"tok","expires_in":3600}"#.utf8))! == ("tok", 3600))
        #expect(OAuthToken.parse(Array(#"{"access_token":"tok","expires_in":"60"}"#.utf8))! == ("tok", 60))
        #expect(OAuthToken.parse(Array(#"{"access_token":"tok"}"#.utf8))! == ("tok", nil))
        #expect(OAuthToken.parse(Array(#"{"error":"invalid_client"}"#.utf8)) == nil)
        #expect(OAuthToken.parse(Array("not json".utf8)) == nil)
    }

    @Test func cacheRefreshesAMinuteAheadAndOnChange() {
        var cache = OAuthTokenCache()
        cache.store("c", token: "tok", expiresIn: 120, modified: 1, now: t0)
        #expect(cache.token("c", modified: 1, now: t0 + 59) == "tok")
        #expect(cache.token("c", modified: 1, now: t0 + 60) == nil)
        // An updated connection (new credentials) does not reuse the old token.
        #expect(cache.token("c", modified: 2, now: t0) == nil)
        cache.store("c", token: "forever", expiresIn: nil, modified: 1, now: t0)
        #expect(cache.token("c", modified: 1, now: t0 + 1e6) == "forever")
        cache.drop("c")
        #expect(cache.token("c", modified: 1, now: t0) == nil)
    }

    @Test func bearerHeader() throws {
        let r = try ApiDestinationRequest.build(endpoint: "http://127.0.0.1:9/x", method: "POST", authorizationType: "OAUTH_CLIENT_CREDENTIALS",
                                                secret: Self.oauthSecret, target: ["Id": "t"], payload: "{}", bearer: "tok")
        #expect(header(r, "Authorization") == "Bearer tok")
    }

    /// A scheduled rule (no caller) reaches an OAuth API destination: the secret is read as
    /// events.amazonaws.com for the connection, whose creation gave the secret that policy.
    func scheduled(_ s: EventBridgeService, _ invoker: SecretInvoker) async throws -> String {
        let c = try await T.call(s, "CreateConnection", [
            "Name": "c", "AuthorizationType": "OAUTH_CLIENT_CREDENTIALS",
            "AuthParameters": ["OAuthParameters": [
                "ClientParameters": ["ClientID": "id", "ClientSecret": "sec"],
                "AuthorizationEndpoint": "http://127.0.0.1:1/token", "HttpMethod": "POST",
            ]],
        ])
        let connection = c.string("ConnectionArn") ?? ""
        let d = try await T.call(s, "CreateApiDestination", ["Name": "d", "ConnectionArn": .string(connection),
                                                             "InvocationEndpoint": "http://127.0.0.1:1/hook", "HttpMethod": "POST"])
        try await T.call(s, "PutRule", ["Name": "tick", "ScheduleExpression": "rate(1 minute)"])
        try await T.call(s, "PutTargets", ["Rule": "tick", "Targets": [
            ["Id": "api", "Arn": d["ApiDestinationArn"] ?? "", "RetryPolicy": ["MaximumRetryAttempts": 0]],
        ]])
        return connection
    }

    @Test func scheduledRuleReadsTheSecretAsEventBridge() async throws {
        let clock = ManualClock(t0)
        let s = EventBridgeService(clock: clock, retryDelay: { _ in 0.001 }, firesOnItsOwn: false)
        let invoker = SecretInvoker(secret: Self.oauthSecret)
        s.invoker.connect(invoker)
        let connection = try await scheduled(s, invoker)
        let policy = try #require(invoker.recorded.first { $0.operation == "PutResourcePolicy" })
        let text = try #require(policy.input.string("ResourcePolicy"))
        #expect(text.contains("events.amazonaws.com") && text.contains(connection) && text.contains("secretsmanager:GetSecretValue"))
        #expect(policy.via == "events.amazonaws.com" && policy.asService == nil)
        await s.fireDue(now: t0 + 30)
        await s.fireDue(now: t0 + 60)
        for _ in 0..<1000 where s.deliveryFailures.isEmpty { try? await Task.sleep(nanoseconds: 5_000_000) }
        let read = try #require(invoker.recorded.first { $0.operation == "GetSecretValue" })
        #expect(read.asService == "events.amazonaws.com" && read.sourceArn == connection && read.via == nil)
        #expect(read.onBehalfOf.accountId == "000000000000")
        // Nothing listens on the token endpoint: a delivery failure with that reason.
        let f = try #require(s.deliveryFailures.first)
        #expect(f.errorMessage.contains("OAuth authorization endpoint was not reached"))
    }

    @Test func cachedTokenSkipsTheTokenEndpoint() async throws {
        let clock = ManualClock(t0)
        let s = EventBridgeService(clock: clock, retryDelay: { _ in 0.001 }, firesOnItsOwn: false)
        let invoker = SecretInvoker(secret: Self.oauthSecret)
        s.invoker.connect(invoker)
        let connection = try await scheduled(s, invoker)
        s.oauthTokens.withLock { $0.store(connection, token: "tok", expiresIn: 3600, modified: t0, now: t0) }
        await s.fireDue(now: t0 + 30)
        await s.fireDue(now: t0 + 60)
        for _ in 0..<1000 where s.deliveryFailures.isEmpty { try? await Task.sleep(nanoseconds: 5_000_000) }
        let f = try #require(s.deliveryFailures.first)
        #expect(f.errorMessage.contains("API destination endpoint was not reached"))
    }
}
