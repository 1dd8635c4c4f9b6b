/// One AWS service's behaviour. The protocol codec has already parsed and validated the
/// input against the model; the handler returns the output shape as a `Value` (or throws an
/// `AWSError`), and the codec serialises it in the request's protocol.
public protocol AWSService: Sendable {
    /// botocore's service name (`sts`, `sqs`, `s3`…), which selects the model.
    var serviceName: String { get }
    /// Operations this handler implements; every other model operation answers 501.
    var implementedOperations: Set<String> { get }
    func handle(operation: String, input: Value, context: RequestContext) async throws -> Value
    /// Fills members the wire left implicit before the input is validated against the model
    /// (SQS's awsQuery clients post to the queue URL and may omit `QueueUrl`). `path` is the
    /// request path, percent-decoded.
    func prepareInput(operation: String, input: inout Value, path: String, context: RequestContext)
    /// Operations AWS serves without a signature: STS AssumeRoleWithWebIdentity/SAML, and S3
    /// requests that a bucket policy or ACL may make public (the authoriser then decides, with
    /// the caller anonymous: `RequestContext.principalArn == "anonymous"`, empty account).
    func acceptsUnsigned(operation: String) -> Bool
}

extension AWSService {
    public func prepareInput(operation: String, input: inout Value, path: String, context: RequestContext) {}
    public func acceptsUnsigned(operation: String) -> Bool { false }
}

/// A request body read as it arrives, for operations whose payload is a streaming blob
/// (S3 PutObject, UploadPart): a 5 GiB upload never sits in memory. The server has already
/// checked the signature; the stream verifies chunk signatures, the declared SHA-256 and
/// trailing checksums as the bytes pass, and throws an `AWSError` when one fails.
///
/// Not `Sendable`: it belongs to the one task serving the connection.
public protocol BodyStream: AnyObject {
    /// The next bytes of the decoded body, or nil once it has all been read.
    func next() async throws -> [UInt8]?
    /// The decoded length the client declared, when it did.
    var declaredLength: Int? { get }
    /// Trailing headers of an aws-chunked body (`x-amz-checksum-crc32: …`), once read to the end.
    var trailers: [String: String] { get }
}

/// A service with operations that read their payload as a stream.
public protocol StreamingAWSService: AWSService {
    /// Whether this operation reads its body as a `BodyStream` (its payload member is then
    /// absent from `input`).
    func streams(operation: String) -> Bool
    func handle(operation: String, input: Value, body: any BodyStream, context: RequestContext) async throws -> Value
}

/// A response body produced as it is sent (S3 GetObject of a 1 GiB object is read from disk
/// in chunks, never held whole).
public protocol ResponseBody: Sendable {
    /// Total bytes, sent as Content-Length; negative when not known in advance (an event
    /// stream such as Logs' StartLiveTail), which is then sent chunked.
    var length: Int { get }
    /// The next chunk, or nil at the end. Called repeatedly by one task.
    func next() async throws -> [UInt8]?
}

/// A response body that is a range of an open file, which the server may hand to the kernel
/// (sendfile) instead of copying it through user space.
public protocol FileResponseBody: ResponseBody {
    /// Hands the open file over: the caller sends `length` bytes from `offset` and closes
    /// `fd`. Nil once taken or once `next()` has been called.
    func takeFile() -> (fd: Int32, offset: Int64)?
}

/// What a streaming operation answers: the output shape's members (headers, status) and,
/// when the output payload is a streaming blob, the body to stream.
public struct StreamedOutput: Sendable {
    public var output: Value
    public var body: (any ResponseBody)?
    /// Overrides the operation's HTTP status (S3: 206 for a range, 304 for not-modified).
    public var status: Int?

    public init(output: Value, body: (any ResponseBody)?, status: Int? = nil) {
        self.output = output
        self.body = body
        self.status = status
    }
}

/// A service whose responses may stream their payload (S3 GetObject).
public protocol StreamingOutputService: AWSService {
    func streamsOutput(operation: String) -> Bool
    func handleStreamingOutput(operation: String, input: Value, context: RequestContext) async throws -> StreamedOutput
}

/// A response produced outside the protocol codecs (an S3 CORS preflight).
public struct RawResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A service that answers browser CORS: unsigned `OPTIONS` preflights, and the
/// `Access-Control-*` headers added to signed requests that carry an `Origin`.
public protocol CORSService: AWSService {
    func preflight(bucket: String, origin: String?, requestMethod: String?, requestHeaders: String?,
                   requestId: String) -> RawResponse
    func corsHeaders(bucket: String, origin: String, method: String) -> [(String, String)]
}
