import Foundation
import SimfraCore
import Testing

@testable import SimfraEvents

/// API destination targets: the request built from destination, connection secret and target
/// (auth headers, parameters and their precedence, `*` path values, body), the loopback-only
/// rule, and failures going through the retry policy with the secret read via the invoker.
@Suite struct ApiDestinationTests {
    func header(_ r: ApiDestinationRequest, _ name: String) -> String? {
        r.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    @Test func apiKeyRequestWithParameters() throws {
        let secret = ApiDestinationRequest.secretFields(Connection.secretString([
            "ApiKeyAuthParameters": ["ApiKeyName": "x-api-key", "ApiKeyValue": "k"],
            "InvocationHttpParameters": [
                "HeaderParameters": [["Key": "x-h", "Value": "conn", "IsValueSecret": false]],
                "QueryStringParameters": [["Key": "q", "Value": "conn val", "IsValueSecret": true]],
                "BodyParameters": [["Key": "extra", "Value": "1", "IsValueSecret": false]],
            ],
        ]))
        let target: Value = ["HttpParameters": [
            "PathParameterValues": ["a/b", "7"], "HeaderParameters": ["x-h": "target", "x-t": "t"],
            "QueryStringParameters": ["q": "target", "z": "1"],
        ]]
        let r = try ApiDestinationRequest.build(
            endpoint: "http://127.0.0.1:8080/x/*/y/*", method: "post", authorizationType: "API_KEY", secret: secret,
            target: target, payload: #"{"id":"e"}"#)
        #expect(r.method == "POST")
        // The connection's values win over the target's of the same name.
        #expect(r.url == "http://127.0.0.1:8080/x/a/b/y/7?z=1&q=conn%20val")
        #expect(header(r, "x-api-key") == "k" && header(r, "x-h") == "conn" && header(r, "x-t") == "t")
        #expect(r.headers.filter { $0.0 == "x-h" }.count == 1)
        #expect(header(r, "User-Agent") == "Amazon/EventBridge/ApiDestinations")
        #expect(header(r, "Content-Type")?.hasPrefix("application/json") == true)
        #expect(String(decoding: r.body, as: UTF8.self) == #"{"extra":"1","id":"e"}"#)
    }

    @Test func basicAuthAndMissingPathValues() throws {
        let secret = ApiDestinationRequest.secretFields(Connection.secretString(["BasicAuthParameters": ["Username": "user", "Password": "pass"]]))
        let r = try ApiDestinationRequest.build(endpoint: "http://localhost/h", method: "GET", authorizationType: "BASIC",
                                                secret: secret, target: [:], payload: "{}")
        #expect(header(r, "Authorization") == "Basic dXNlcjpwYXNz")
        #expect(r.body.isEmpty)
        #expect(throws: AWSError.self) {
            try ApiDestinationRequest.build(endpoint: "http://localhost/*", method: "POST", authorizationType: "BASIC",
                                            secret: secret, target: [:], payload: "{}")
        }
    }

    @Test func loopbackAndStatuses() {
        #expect(ApiDestinationRequest.isLoopback("http://127.0.0.1:9/x"))
        #expect(ApiDestinationRequest.isLoopback("http://[::1]:9/x"))
        #expect(ApiDestinationRequest.isLoopback("http://LOCALHOST/x"))
        #expect(!ApiDestinationRequest.isLoopback("http://example.com/x"))
        #expect(!ApiDestinationRequest.isLoopback("http://127.0.0.1.example.com/x"))
        #expect(!ApiDestinationRequest.isLoopback("http://user@example.com:80/"))
        #expect(ApiDestinationRequest.error(status: 204, url: "u") == nil)
        #expect(ApiDestinationRequest.error(status: 429, url: "u").map(RetryPolicy.isTransient) == true)
        #expect(ApiDestinationRequest.error(status: 503, url: "u").map(RetryPolicy.isTransient) == true)
        #expect(ApiDestinationRequest.error(status: 404, url: "u").map(RetryPolicy.isTransient) == false)
    }

    func destination(_ s: EventBridgeService, endpoint: String) async throws -> String {
        let c = try await T.call(s, "CreateConnection", ["Name": "c", "AuthorizationType": "BASIC",
                                                         "AuthParameters": ["BasicAuthParameters": ["Username": "u", "Password": "p"]]])
        let d = try await T.call(s, "CreateApiDestination", ["Name": "d", "ConnectionArn": c["ConnectionArn"] ?? "",
                                                             "InvocationEndpoint": .string(endpoint), "HttpMethod": "POST"])
        return d.string("ApiDestinationArn") ?? ""
    }

    @Test func nonLoopbackEndpointIsNotCalled() async throws {
        let s = EventBridgeService(firesOnItsOwn: false)
        let invoker = RecordingInvoker()
        s.invoker.connect(invoker)
        let arn = try await destination(s, endpoint: "http://example.com/hook")
        try await T.call(s, "PutRule", ["Name": "r", "EventPattern": #"{"source":["a"]}"#])
        try await T.call(s, "PutTargets", ["Rule": "r", "Targets": [["Id": "api", "Arn": .string(arn)]]])
        try await T.call(s, "PutEvents", ["Entries": [["Source": "a", "DetailType": "t", "Detail": "{}"]]])
        for _ in 0..<200 where s.deliveryFailures.isEmpty { try? await Task.sleep(nanoseconds: 5_000_000) }
        let f = try #require(s.deliveryFailures.first)
        #expect(f.targetArn == arn && f.errorMessage.contains("only on loopback endpoints"))
        #expect(!invoker.recorded.contains { $0.operation == "GetSecretValue" })
    }

    @Test func unreachableLoopbackIsRetriedThenRecorded() async throws {
        let s = EventBridgeService(retryDelay: { _ in 0.001 }, firesOnItsOwn: false)
        let invoker = RecordingInvoker()
        s.invoker.connect(invoker)
        // Port 1 on loopback: nothing listens, the connection is refused.
        let arn = try await destination(s, endpoint: "http://127.0.0.1:1/hook")
        try await T.call(s, "PutRule", ["Name": "r", "EventPattern": #"{"source":["a"]}"#])
        try await T.call(s, "PutTargets", ["Rule": "r", "Targets": [
            ["Id": "api", "Arn": .string(arn), "RetryPolicy": ["MaximumRetryAttempts": 2]],
        ]])
        try await T.call(s, "PutEvents", ["Entries": [["Source": "a", "DetailType": "t", "Detail": "{}"]]])
        for _ in 0..<1000 where s.deliveryFailures.isEmpty { try? await Task.sleep(nanoseconds: 5_000_000) }
        let f = try #require(s.deliveryFailures.first)
        #expect(f.errorCode == "ApiDestinationInvocationFailed" && f.errorMessage.contains("not reached"))
        let reads = invoker.recorded.filter { $0.operation == "GetSecretValue" }
        #expect(reads.count == 3)
        #expect(reads.allSatisfy { $0.asService == "events.amazonaws.com" && $0.via == nil && $0.service == "secretsmanager" })
    }
}
