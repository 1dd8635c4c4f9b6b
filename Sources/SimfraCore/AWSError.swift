/// An error with the exact AWS code a client expects; codecs render it per protocol.
public struct AWSError: Error, Sendable, Equatable {
    public var code: String
    public var message: String
    public var status: Int
    /// `Sender` (client fault) or `Receiver` (server fault), used by the query protocols.
    public var senderFault: Bool
    /// Extra members of the error shape (e.g. DynamoDB's `Item`, S3's `BucketName`).
    public var extra: [String: Value]
    /// Extra HTTP headers to send with the error response.
    public var headers: [(String, String)]
    /// The awsQuery code of a query-compatible JSON service's error when its model no
    /// longer records it (SQS: `QueueDoesNotExist` is `AWS.SimpleQueueService.NonExistentQueue`).
    public var queryCode: String?

    public init(
        code: String, message: String, status: Int = 400, senderFault: Bool? = nil,
        extra: [String: Value] = [:], headers: [(String, String)] = [], queryCode: String? = nil
    ) {
        self.queryCode = queryCode
        self.code = code
        self.message = message
        self.status = status
        self.senderFault = senderFault ?? (status < 500)
        self.extra = extra
        self.headers = headers
    }

    public static func == (a: AWSError, b: AWSError) -> Bool {
        a.code == b.code && a.message == b.message && a.status == b.status
    }

    // Errors shared by every service.
    public static func notImplemented(service: String, operation: String) -> AWSError {
        AWSError(
            code: "NotImplemented",
            message: "The operation \(operation) of service \(service) is not implemented by Simfra",
            status: 501, senderFault: false)
    }

    public static func internalFailure(_ message: String) -> AWSError {
        AWSError(code: "InternalFailure", message: message, status: 500, senderFault: false)
    }

    public static func serviceUnavailable(_ message: String = "Simfra is starting") -> AWSError {
        AWSError(code: "ServiceUnavailable", message: message, status: 503, senderFault: false)
    }
}
