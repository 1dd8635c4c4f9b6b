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
        guard destination.endpoint.lowercased().hasPrefix("http://") else {
            throw ApiDestinationRequest.finalError(
                "Simfra has no TLS client; the API destination endpoint \(destination.endpoint) was not called (use http:// on loopback).")
        }
        guard let connection = state.withLock({ $0.connections.values.first { $0.arn == destination.connectionArn } }) else {
            throw ApiDestinationRequest.finalError("The connection \(destination.connectionArn) of \(arn) does not exist.")
        }
        // The secret is read as the caller, through EventBridge (a forward access session),
        // as the connection's other secret operations are.
        let secret = try await invoker.invoke(InternalCall(
            service: "secretsmanager", operation: "GetSecretValue", input: ["SecretId": .string(connection.secretArn)],
            onBehalfOf: ctx, via: "events.amazonaws.com"))
        let fields = ApiDestinationRequest.secretFields(secret.string("SecretString") ?? "{}")
        if connection.authorizationType == "OAUTH_CLIENT_CREDENTIALS" {
            // The shared HTTP client reads only a response's status, so no token can be read.
            throw ApiDestinationRequest.finalError(
                "Simfra does not invoke API destinations with OAUTH_CLIENT_CREDENTIALS connections yet; \(destination.endpoint) was not called.")
        }
        let request = try ApiDestinationRequest.build(
            endpoint: destination.endpoint, method: destination.httpMethod, authorizationType: connection.authorizationType,
            secret: fields, target: target, payload: payload)
        let outcome = await HTTPDelivery.send(method: HTTPMethod(rawValue: request.method), request.url,
                                              headers: request.headers, body: request.body)
        switch outcome {
        case .status(let status):
            if let error = ApiDestinationRequest.error(status: status, url: request.url) { throw error }
        case .unreachable(let why):
            // Nothing answered (yet): worth retrying, as a 5xx is.
            throw AWSError(code: "ApiDestinationInvocationFailed", message: "The API destination endpoint was not reached: \(why)",
                           status: 503)
        }
    }
}
