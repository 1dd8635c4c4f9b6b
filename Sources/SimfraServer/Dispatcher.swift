import Foundation
import SimfraCore
import SimfraModels
import SimfraPolicy
import SimfraProtocols
import Synchronization

/// The path every AWS request takes once its body is read: service detection, SigV4,
/// protocol decoding and validation, the handler, and encoding of the result or error.
final class Dispatcher: Sendable {
    let config: Config
    let registry: ServiceRegistry
    let detector: ServiceDetector
    let verifier = SigV4Verifier()
    let requestIds = RequestIDGenerator()
    let clock: any SimfraClock
    let log: Log
    /// Every account's root keys (the default account's from the config).
    let accounts: AccountRegistry
    private let providers: [any CredentialProvider]
    let authorizer: Authorizer
    let ready = Atomic<Bool>(false)

    init(config: Config, handlers: [any AWSService], accounts: AccountRegistry? = nil,
         providers: [any CredentialProvider] = [], directory: (any IdentityDirectory)? = nil,
         clock: any SimfraClock = SystemClock())
    {
        authorizer = Authorizer(directory: directory, clock: clock)
        self.config = config
        registry = ServiceRegistry(handlers: handlers)
        detector = ServiceDetector(registry: registry)
        self.clock = clock
        log = Log(level: config.logLevel)
        self.accounts = accounts ?? AccountRegistry(config: config, clock: clock)
        self.providers = providers
        hasStreamingHandlers = handlers.contains { $0 is any StreamingAWSService }
    }

    func credential(_ id: String) -> Credential? {
        if let c = accounts.credential(forAccessKeyId: id) { return c }
        for p in providers { if let c = p.credential(forAccessKeyId: id) { return c } }
        return nil
    }

    /// Whether any service reads bodies as streams; when none does the server skips the
    /// head-time check entirely.
    let hasStreamingHandlers: Bool

    /// Handles one AWS request; never throws: every failure becomes an AWS-shaped response.
    func handle(_ request: AWSRequest, endpoint: String) async -> AWSResponse {
        let requestId = requestIds.next()
        var response: AWSResponse
        switch prepare(request, endpoint: endpoint, requestId: requestId, bodyRead: true) {
        case .failure(let r): response = r.response
        case .success(let call): response = await call.run(body: nil)
        }
        response.headers.append(("x-amzn-RequestId", requestId))
        return response
    }

    /// For a request whose body has not been read: the prepared call if its operation streams
    /// its body, else nil (the server then buffers the body and calls `handle`).
    func streamingCall(_ request: AWSRequest, endpoint: String) -> Result<Call, Failure>? {
        // An unsigned request (anonymous access to a public bucket) is small or refused: it
        // takes the buffered path, which has no chunk signatures to check.
        if request.header("authorization") == nil, !request.rawQuery.contains("X-Amz-") { return nil }
        let scope = SigV4Parsed.peekScope(request)
        guard let detected = detector.detect(request, scopeService: scope?.service),
            let handler = detected.entry.handler as? any StreamingAWSService
        else { return nil }
        let wire = WireProtocol.detect(request, model: detected.entry.model)
        guard wire.isRest else { return nil }
        var routed = request
        if let bucket = detected.virtualBucket { routed.rawPath = Self.pathStyle(bucket, request.rawPath) }
        guard let resolved = try? detected.entry.codec(wire).resolve(routed), handler.streams(operation: resolved.operation.name)
        else { return nil }
        return prepare(request, endpoint: endpoint, requestId: requestIds.next(), bodyRead: false, resolvedHint: resolved)
    }

    struct Failure: Error {
        var response: AWSResponse
    }

    /// Everything checked and decoded; running it calls the handler and encodes the result.
    struct Call: Sendable {
        let handler: any AWSService
        let codec: ProtocolCodec
        let operation: SimfraModels.Operation
        let input: Value
        let context: RequestContext
        /// nil for an unsigned request the service accepts unsigned (never a streaming one).
        let verified: SigV4Verifier.Verified?
        let request: AWSRequest
        let extraHeaders: [(String, String)]
        let log: Log

        var requestId: String { context.requestId }

        func fail(_ e: AWSError) -> AWSResponse {
            var r = codec.encodeError(e, requestId: requestId)
            r.headers += extraHeaders
            r.headers += corsHeaders()
            return r
        }

        /// CORS (S3): Access-Control-* headers for a request with an Origin the bucket allows.
        func corsHeaders() -> [(String, String)] {
            guard let cors = handler as? any CORSService, let origin = request.header("origin"),
                let bucket = input["Bucket"]?.stringValue
            else { return [] }
            return cors.corsHeaders(bucket: bucket, origin: origin, method: request.method)
        }

        /// - Parameter body: the body stream for a streaming operation, nil otherwise.
        func run(body: (any BodyStream)?) async -> AWSResponse {
            do {
                let output: Value
                var stream: (any ResponseBody)?
                var status: Int?
                if let body, let streaming = handler as? any StreamingAWSService {
                    output = try await streaming.handle(operation: operation.name, input: input, body: body, context: context)
                } else if let s = handler as? any StreamingOutputService, s.streamsOutput(operation: operation.name) {
                    let streamed = try await s.handleStreamingOutput(operation: operation.name, input: input, context: context)
                    output = streamed.output
                    stream = streamed.body
                    status = streamed.status
                } else {
                    output = try await handler.handle(operation: operation.name, input: input, context: context)
                }
                var r = codec.encodeOutput(output, operation, requestId: requestId)
                if let status { r.status = status }
                r.headers += extraHeaders
                r.headers += corsHeaders()
                if let stream {
                    r.stream = stream
                    r.body = []
                    r.headers.removeAll { $0.0.lowercased() == "content-length" }
                    if stream.length >= 0 {
                        r.headers.append(("Content-Length", String(stream.length)))
                    } else {
                        // An event stream: no length, sent chunked, typed as AWS types it.
                        r.headers.removeAll { $0.0.lowercased() == "content-type" }
                        r.headers.append(("Content-Type", "application/vnd.amazon.eventstream"))
                    }
                }
                return r
            } catch let e as AWSError {
                return fail(e)
            } catch {
                log(.error, "\(context.service).\(operation.name) failed: \(error)")
                return fail(.internalFailure("An internal error occurred"))
            }
        }
    }

    /// - Parameter resolvedHint: the operation already resolved for this request (the
    ///   streaming check routes before the body is read), so it is not routed twice.
    private func prepare(
        _ original: AWSRequest, endpoint: String, requestId: String, bodyRead: Bool,
        resolvedHint: ProtocolCodec.Resolved? = nil
    ) -> Result<Call, Failure> {
        // Parse the signature once: its scope also tells the service. A SigV2 request (S3
        // only) has no scope; detection then falls back to S3.
        let v2 = SigV2Parsed.parse(original)
        let parsedAuth = v2 != nil ? .failure(.missing) : Result { () throws(SigV4Failure) in try SigV4Parsed.parse(original) }
        let scopeService: String?
        switch parsedAuth {
        case .success(let p): scopeService = p.service
        case .failure: scopeService = SigV4Parsed.peekScope(original)?.service
        }
        guard let detected = detector.detect(original, scopeService: scopeService) else {
            return .failure(Failure(response: unknownService(original, scopeService, requestId: requestId)))
        }
        let entry = detected.entry
        let model = entry.model
        let wire = WireProtocol.detect(original, model: model)
        let codec = entry.codec(wire)
        let isS3 = entry.name == "s3"
        var extraHeaders: [(String, String)] = []
        if isS3 {
            extraHeaders.append(("x-amz-request-id", requestId))
            extraHeaders.append(("x-amz-id-2", Self.hostId(requestId)))
        }
        func fail(_ e: AWSError) -> Result<Call, Failure> {
            var r = codec.encodeError(e, requestId: requestId)
            r.headers += extraHeaders
            return .failure(Failure(response: r))
        }
        guard ready.load(ordering: .acquiring) else { return fail(.serviceUnavailable()) }

        // Signature. An unsigned request may still be served when the operation accepts it
        // (S3 on a public bucket, STS web-identity calls): that is known once it is routed.
        var verified: SigV4Verifier.Verified?
        var unsigned = false
        do {
            if let v2, isS3 {
                verified = try verifier.verifyV2(original, parsed: v2, now: clock.now(), region: config.defaultRegion,
                                                 virtualHostBucket: detected.virtualBucket, lookup: credential)
            } else {
                let parsed = try parsedAuth.get()
                verified = try verifier.verify(
                    original, parsed: parsed, now: clock.now(), s3Style: isS3 || entry.name == "s3control",
                    bodyHashKnown: bodyRead, signingName: entry.facts.signingName, lookup: credential)
            }
        } catch .missing where v2 == nil && bodyRead {
            unsigned = true
        } catch {
            log(.debug, "auth failed for \(entry.name): \(error)")
            return fail(AuthErrors.error(error, service: entry.name, wire: wire,
                                         queryCompatible: model.metadata.awsQueryCompatible))
        }

        // aws-chunked bodies must declare their decoded length, checked before any byte of
        // the body is read or stored (streamed or buffered alike).
        if let verified, AWSChunkedDecoder.isChunked(payloadHash: verified.payloadHash) {
            do {
                _ = try BodyDecoding.decodedContentLength(original)
            } catch {
                return fail(error)
            }
        }

        // Body encodings the signature covered, undone now that it checked out. S3 keeps
        // Content-Encoding as object metadata and never inflates.
        var request = original
        if bodyRead, let verified {
            do {
                try BodyDecoding.decode(&request, verified: verified, inflateGzip: !isS3)
            } catch {
                return fail(error)
            }
        }
        if let bucket = detected.virtualBucket { request.rawPath = Self.pathStyle(bucket, request.rawPath) }

        let resolved: ProtocolCodec.Resolved
        var input: Value
        do {
            if let hint = resolvedHint { resolved = hint } else { resolved = try codec.resolve(request) }
            input = try codec.decodeUnvalidated(request, resolved)
        } catch {
            return fail(error)
        }
        let op = resolved.operation
        if unsigned, entry.handler?.acceptsUnsigned(operation: op.name) != true {
            return fail(AuthErrors.error(.missing, service: entry.name, wire: wire,
                                         queryCompatible: model.metadata.awsQueryCompatible))
        }
        guard let handler = entry.handler, handler.implementedOperations.contains(op.name) else {
            return fail(.notImplemented(service: entry.name, operation: op.name))
        }
        let cred = verified?.credential
        let context = RequestContext(
            requestId: requestId, accountId: cred?.accountId ?? "", region: verified?.parsed.region ?? config.defaultRegion,
            principalArn: cred?.principalArn ?? "anonymous", userId: cred?.userId ?? "", accessKeyId: cred?.accessKeyId ?? "",
            service: entry.name, operation: op.name, endpoint: endpoint,
            host: original.header("host") ?? "")
        handler.prepareInput(operation: op.name, input: &input, path: request.path, context: context)
        do {
            try codec.validate(input, op)
        } catch {
            return fail(error)
        }
        if let denial = authorizer.authorize(
            handler, operation: op.name, input: input, context: context, credential: cred,
            // Simfra stands in for AWS's HTTPS endpoints: the common "deny unless
            // aws:SecureTransport" statement of production stacks must not lock users out.
            sourceIp: original.remoteAddress, secureTransport: true)
        {
            return fail(AccessDenied.error(denial.message, service: entry.name, wire: wire,
                                           queryCompatible: model.metadata.awsQueryCompatible))
        }
        if !bodyRead, let inRef = op.input, let payload = model.shape(inRef)?.payload {
            // The payload arrives through the stream, not the input.
            input[payload] = nil
        }
        return .success(Call(handler: handler, codec: codec, operation: op, input: input, context: context,
                             verified: verified, request: original, extraHeaders: extraHeaders, log: log))
    }

    /// Virtual-host style (`bucket.s3.localhost/key`) routed as path style (`/bucket/key`).
    static func pathStyle(_ bucket: String, _ rawPath: String) -> String {
        "/" + URLEncoding.encode(bucket) + (rawPath == "/" ? "" : rawPath)
    }

    /// A 4xx in a shape the client can parse: JSON for JSON-looking requests, else XML.
    private func unknownService(_ r: AWSRequest, _ scopeService: String?, requestId: String) -> AWSResponse {
        let name = scopeService ?? r.header("x-amz-target") ?? "unknown"
        let message = "Simfra does not know the service '\(name)'"
        if r.header("x-amz-target") != nil || (r.header("content-type") ?? "").contains("json") {
            var w = ByteWriter()
            w.append("{\"__type\":\"UnknownServiceException\",\"message\":")
            w.appendJSONString(message)
            w.append("}")
            return AWSResponse(status: 400, headers: [("Content-Type", "application/x-amz-json-1.1"),
                                                      ("x-amzn-ErrorType", "UnknownServiceException")], body: w.bytes)
        }
        var w = ByteWriter()
        w.append("<ErrorResponse><Error><Type>Sender</Type><Code>UnknownService</Code><Message>")
        w.appendXMLEscaped(message)
        w.append("</Message></Error><RequestId>")
        w.append(requestId)
        w.append("</RequestId></ErrorResponse>")
        return AWSResponse(status: 400, headers: [("Content-Type", "text/xml")], body: w.bytes)
    }

    /// S3's `x-amz-id-2`: an opaque base64 token; derived from the request id, no RNG.
    static func hostId(_ requestId: String) -> String {
        Base64.encode(requestId + requestId)
    }
}
