/// Who is calling, where, and under which request id. Built by the server after SigV4
/// verification and handed to the service handler.
public struct RequestContext: Sendable {
    public var requestId: String
    public var accountId: String
    public var region: String
    /// The caller as an ARN (root: `arn:aws:iam::<account>:root`).
    public var principalArn: String
    /// The caller's user id as GetCallerIdentity reports it (root: the account id).
    public var userId: String
    public var accessKeyId: String
    /// The service name from the request (botocore's, e.g. `sqs`).
    public var service: String
    public var operation: String
    /// The scheme and authority the client used (`http://localhost:4599`), for URLs in responses.
    public var endpoint: String
    /// Host header as sent (for virtual-host styles).
    public var host: String

    public init(
        requestId: String, accountId: String, region: String, principalArn: String, userId: String,
        accessKeyId: String, service: String, operation: String, endpoint: String, host: String
    ) {
        self.requestId = requestId
        self.accountId = accountId
        self.region = region
        self.principalArn = principalArn
        self.userId = userId
        self.accessKeyId = accessKeyId
        self.service = service
        self.operation = operation
        self.endpoint = endpoint
        self.host = host
    }
}
