import NIOHTTP1
import SimfraCore
import SimfraEventing

/// Delivering an event to an API destination target: the connection's secret is read from
/// Secrets Manager through the invoker, the request built by `ApiDestinationRequest`, and sent
/// with the shared `HTTPDelivery` client to a loopback http endpoint. Failures are thrown as
/// `AWSError`s so `deliver`'s retry policy and DLQ treat them like any other target's.
extension EventBridgeService {
    func invokeApiDestination(_ arn: String, payload: String, target: Value, rule: Rule, context: RequestContext) async throws {
        let p = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        let resource = p.count == 6 ? p[5].split(separator: "/") : []
        guard resource.count >= 2 else { throw ApiDestinationRequest.finalError("Target \(arn) is not a valid API destination ARN.") }
        var ctx = context
        ctx.accountId = String(p[4])
        ctx.region = String(p[3])
        let name = String(resource[1])
        guard let destination = state.withLock({ $0.apiDestinations[Self.key(ctx, name)] }), destination.arn == arn else {
            throw ApiDestinationRequest.finalError("The API destination \(arn) does not exist.")
        }
        guard ApiDestinationRequest.isLoopback(destination.endpoint) else {
            throw ApiDestinationRequest.finalError(
                "Simfra invokes API destinations only on loopback endpoints (127.0.0.1, ::1, localhost); \(destination.endpoint) was not called.")
        }
        guard let connection = state.withLock({ $0.connections.values.first { $0.arn == destination.connectionArn } }) else {
            throw ApiDestinationRequest.finalError("The connection \(destination.connectionArn) of \(arn) does not exist.")
        }
        guard connection.authorized else {
            throw ApiDestinationRequest.finalError(
                "The connection \(connection.arn) is deauthorized; UpdateConnection with authorization parameters authorizes it again.")
        }
        await pace(arn, perSecond: destination.rateLimit)
        // The secret is read as EventBridge itself, as AWS does through its service-linked
        // role: a scheduled rule's firing has no caller. The secret's policy (set when the
        // connection made it) allows events.amazonaws.com for this connection.
        let secret = try await invoker.invoke(InternalCall(
            service: "secretsmanager", operation: "GetSecretValue", input: ["SecretId": .string(connection.secretArn)],
            onBehalfOf: ctx, via: nil, asService: "events.amazonaws.com", sourceArn: connection.arn))
        let fields = ApiDestinationRequest.secretFields(secret.string("SecretString") ?? "{}")
        let oauth = connection.authorizationType == "OAUTH_CLIENT_CREDENTIALS"
        let bearer = oauth ? try await oauthToken(connection, fields) : nil
        let request = try ApiDestinationRequest.build(
            endpoint: destination.endpoint, method: destination.httpMethod, authorizationType: connection.authorizationType,
            secret: fields, target: target, payload: payload, bearer: bearer)
        let outcome = await HTTPDelivery.send(method: HTTPMethod(rawValue: request.method), request.url,
                                              headers: request.headers, body: request.body)
        switch outcome {
        case .status(let status):
            if oauth, status == 401 || status == 407 {
                // The token was refused: the next attempt fetches a new one (AWS refreshes on
                // these statuses, and advises a retry policy for it).
                oauthTokens.withLock { $0.drop(connection.arn) }
                throw OAuthToken.failure("The API destination endpoint \(request.url) answered HTTP \(status); the OAuth token is refreshed on retry.",
                                         transient: true)
            }
            if let error = ApiDestinationRequest.error(status: status, url: request.url) { throw error }
        case .unreachable(let why):
            // Nothing answered (yet): worth retrying, as a 5xx is.
            throw AWSError(code: "ApiDestinationInvocationFailed", message: "The API destination endpoint was not reached: \(why)",
                           status: 503)
        }
    }

    /// The connection's access token: the cached one while it has over a minute left, else
    /// a new one from the authorization endpoint (loopback only, as for endpoints; http or https).
    func oauthToken(_ connection: Connection, _ secret: [String: Any]) async throws -> String {
        if let token = oauthTokens.withLock({ $0.token(connection.arn, modified: connection.modified, now: clock.now()) }) {
            return token
        }
        let request = try OAuthToken.request(secret: secret)
        guard ApiDestinationRequest.isLoopback(request.url) else {
            throw OAuthToken.failure(
                "Simfra fetches OAuth tokens only from loopback endpoints (127.0.0.1, ::1, localhost); the authorization endpoint \(request.url) was not called.",
                transient: false)
        }
        switch await HTTPDelivery.fetch(method: HTTPMethod(rawValue: request.method), request.url, headers: request.headers, body: request.body) {
        case .unreachable(let why):
            throw OAuthToken.failure("The connection's OAuth authorization endpoint was not reached: \(why)", transient: true)
        case .response(let r):
            guard (200..<300).contains(r.status) else {
                throw OAuthToken.failure("The connection's OAuth authorization endpoint \(request.url) answered HTTP \(r.status).",
                                         transient: r.status == 429 || r.status >= 500)
            }
            guard let (token, expiresIn) = OAuthToken.parse(r.body) else {
                throw OAuthToken.failure("The connection's OAuth authorization endpoint \(request.url) answered without an access_token.",
                                         transient: false)
            }
            let now = clock.now()
            oauthTokens.withLock { $0.store(connection.arn, token: token, expiresIn: expiresIn, modified: connection.modified, now: now) }
            return token
        }
    }

    /// Holds an invocation until the destination's `InvocationRateLimitPerSecond` allows it:
    /// AWS queues what exceeds the rate rather than dropping it, so a burst is spread out.
    func pace(_ destination: String, perSecond rate: Int) async {
        guard rate > 0 else { return }
        let gap = Duration.nanoseconds(1_000_000_000 / Int64(rate))
        let now = ContinuousClock.now
        let start = invocationPacing.withLock { next in
            let slot = max(now, next[destination] ?? now)
            next[destination] = slot + gap
            return slot
        }
        if start > now { try? await Task.sleep(until: start, clock: .continuous) }
    }
}
