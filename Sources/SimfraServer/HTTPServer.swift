#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import SimfraCore
import SimfraProtocols

/// HTTP/1.1 on SwiftNIO: keep-alive, pipelining (requests on a connection are answered in
/// order), `Expect: 100-continue`, chunked request bodies, HEAD, and 413 above the body limit.
///
/// Each connection is one task reading request parts from an `NIOAsyncChannel`, whose
/// inbound stream applies back-pressure: a body is only read as fast as it is consumed.
final class HTTPServer: Sendable {
    /// Largest request body buffered for a non-streaming operation. AWS's largest
    /// non-streaming requests (Lambda zip uploads, DynamoDB batches) stay below it.
    static let maxBufferedBody = 20 * 1024 * 1024

    let dispatcher: Dispatcher
    let admin: AdminRoutes
    let group: MultiThreadedEventLoopGroup
    let limits: ConnectionLimits
    let guardSettings: ConnectionGuard.Settings
    let trimmer: MemoryTrimmer

    /// - Parameter openFileLimit: the process's open-file limit, from which the default
    ///   connection cap is derived when `SIMFRA_MAX_CONNECTIONS` is not set.
    init(dispatcher: Dispatcher, admin: AdminRoutes, openFileLimit: Int) {
        self.dispatcher = dispatcher
        self.admin = admin
        // The singleton group, which `Simfra.useEventLoopsForConcurrency()` also makes the
        // Swift concurrency executor: a connection's task then runs on event-loop threads.
        group = MultiThreadedEventLoopGroup.singleton
        let config = dispatcher.config
        let most = ConnectionLimits.mostConnections(openFileLimit: openFileLimit)
        if let asked = config.maxConnections, asked > most {
            dispatcher.log(.warn, "SIMFRA_MAX_CONNECTIONS=\(asked) is more than the open-file limit (\(openFileLimit)) allows; using \(most) (raise `ulimit -n` for more)")
        }
        limits = ConnectionLimits(cap: min(config.maxConnections ?? ConnectionLimits.defaultCap(openFileLimit: openFileLimit), most))
        let requests = RequestCounter()
        guardSettings = ConnectionGuard.Settings(
            idleTimeout: .nanoseconds(Int64(config.idleTimeout * 1e9)),
            requestTimeout: .nanoseconds(Int64(config.requestTimeout * 1e9)),
            requestIds: dispatcher.requestIds, requests: requests)
        trimmer = MemoryTrimmer(requests: requests)
    }

    typealias Conn = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// An accepted connection: served, or over the cap (already answered and closing).
    enum Accepted: Sendable {
        case conn(Conn)
        case refused
    }

    /// Binds and returns the bound channel; `serve` runs the accept loop.
    func bind(host: String, port: Int) async throws -> NIOAsyncChannel<Accepted, Never> {
        let limits = limits
        let settings = guardSettings
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPauseHandler())
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // A client that half-closes after its request (netcat, some proxies) still gets the
            // answer: the request's end reaches the connection task before the stream finishes.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: host, port: port) { channel in
                channel.closeFuture.whenComplete { _ in limits.release() }
                guard limits.admit() else {
                    if limits.current > limits.cap + ConnectionLimits.refusalSlack, let listener = channel.parent {
                        // Refusals are piling up faster than they close: stop accepting for a
                        // moment (the kernel's backlog holds the rest) so descriptors never run
                        // out; libdispatch, under Swift's Task.sleep, traps when they do.
                        ConnectionLimits.pauseAccepting(listener)
                    }
                    // Over the cap: answered without reading the request, then closed.
                    let bytes = FrontEndError.slowDown.rawResponse(.restXml, requestId: settings.requestIds.next())
                    channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).whenComplete { _ in
                        channel.close(promise: nil)
                    }
                    return channel.eventLoop.makeSucceededFuture(.refused)
                }
                // No pipelining assistance: the connection task answers requests strictly in
                // order already, and the assistance switched read interest off and on again
                // around every request (two epoll_ctl calls each). NIO's error handler (a bare
                // 400) is replaced by the guard's AWS-shaped answers.
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let activity = ConnectionActivity()
                    try sync.addHandler(ReadActivityHandler(activity))
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
                    try sync.addHandler(ConnectionGuard(settings, activity: activity))
                    return .conn(try Conn(wrappingChannelSynchronously: channel))
                }
            }
    }

    func serve(_ server: NIOAsyncChannel<Accepted, Never>) async throws {
        trimmer.start(on: server.channel.eventLoop)
        defer { trimmer.stop() }
        try await withThrowingDiscardingTaskGroup { tasks in
            try await server.executeThenClose { inbound in
                for try await accepted in inbound {
                    guard case .conn(let conn) = accepted else { continue }
                    tasks.addTask { await self.handleConnection(conn) }
                }
            }
        }
    }

    /// Largest body a streaming operation may send (S3's 5 GiB single PUT, plus aws-chunked framing).
    static let maxStreamedBody = 5 * 1024 * 1024 * 1024 + 64 * 1024 * 1024

    /// Owns a connection's inbound iterator so a body stream can read from it and hand it back.
    final class PartReader {
        var iterator: NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator
        /// True once the current request's `.end` has been read.
        var bodyDone = false

        init(_ it: NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator) { iterator = it }

        func next() async throws -> HTTPServerRequestPart? { try await iterator.next() }

        /// The next body chunk of the current request, nil at its end.
        func nextBody() async throws -> ByteBuffer? {
            while !bodyDone {
                switch try await iterator.next() {
                case .body(let b)?: return b
                case .end?, nil: bodyDone = true
                case .head?: bodyDone = true
                }
            }
            return nil
        }
    }

    private func handleConnection(_ conn: Conn) async {
        let streaming = dispatcher.hasStreamingHandlers
        do {
            try await conn.executeThenClose { inbound, outbound in
                let reader = PartReader(inbound.makeAsyncIterator())
                let allocator = conn.channel.allocator
                let local = conn.channel.localAddress
                let remote = conn.channel.remoteAddress?.ipAddress
                while let part = try await reader.next() {
                    guard case .head(let head) = part else { continue }
                    reader.bodyDone = false
                    let keepAlive = head.isKeepAlive
                    let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
                    let expectContinue = head.headers.first(name: "expect")?.lowercased() == "100-continue"

                    if head.method == .OPTIONS, !head.uri.hasPrefix("/_simfra"),
                        let cors = dispatcher.registry.entries["s3"]?.handler as? any CORSService
                    {
                        // CORS preflight: unsigned, answered from the bucket's CORS configuration.
                        while try await reader.nextBody() != nil {}
                        let response = dispatcher.ready.load(ordering: .acquiring)
                            ? preflight(head, cors) : frontEndError(.init(status: 503, code: "ServiceUnavailable", message: "Simfra is starting"), head)
                        try await write(response, head: head, keepAlive: keepAlive, outbound, conn.channel)
                        if !keepAlive { return }
                        continue
                    }

                    if streaming, Self.mayStream(head), !Self.smallPlainBody(head, declared),
                        let call = streamingCall(head, local: local, remote: remote)
                    {
                        switch call {
                        case .failure(let f):
                            // Rejected before reading the body: answer and close rather than drain it.
                            try await write(f.response, head: head, keepAlive: false, outbound, conn.channel)
                            return
                        case .success(let call):
                            if let declared, declared > Self.maxStreamedBody {
                                try await write(frontEndError(.tooLarge(Self.maxStreamedBody), head), head: head, keepAlive: false, outbound, conn.channel)
                                return
                            }
                            if expectContinue {
                                try await outbound.write(.head(HTTPResponseHead(version: head.version, status: .continue)))
                            }
                            var total = 0
                            let body = VerifyingBodyStream(verified: call.verified!, request: call.request) {
                                guard let b = try await reader.nextBody() else { return nil }
                                total += b.readableBytes
                                if total > Self.maxStreamedBody {
                                    throw AWSError(code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed size", status: 400)
                                }
                                return Array(b.readableBytesView)
                            }
                            var response = await call.run(body: body)
                            response.headers.append(("x-amzn-RequestId", call.requestId))
                            // Whatever the handler left unread: drain a little, else close.
                            var leftover = 0
                            while !reader.bodyDone, leftover <= 1024 * 1024, let b = try await reader.nextBody() {
                                leftover += b.readableBytes
                            }
                            let reusable = keepAlive && reader.bodyDone
                            try await write(response, head: head, keepAlive: reusable, outbound, conn.channel)
                            if !reusable { return }
                            continue
                        }
                    }

                    if let declared, declared > Self.maxBufferedBody {
                        try await write(frontEndError(.tooLarge(Self.maxBufferedBody), head), head: head, keepAlive: false, outbound, conn.channel)
                        return
                    }
                    if expectContinue {
                        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: .continue)))
                    }
                    var body = allocator.buffer(capacity: declared ?? 0)
                    var tooLarge = false
                    while var chunk = try await reader.nextBody() {
                        if body.readableBytes + chunk.readableBytes > Self.maxBufferedBody {
                            tooLarge = true
                            continue
                        }
                        body.writeBuffer(&chunk)
                    }
                    if tooLarge {
                        try await write(frontEndError(.tooLarge(Self.maxBufferedBody), head), head: head, keepAlive: false, outbound, conn.channel)
                        return
                    }
                    let response = await respond(head, body: body, local: local, remote: remote)
                    try await write(response, head: head, keepAlive: keepAlive, outbound, conn.channel)
                    if !keepAlive { return }
                }
            }
        } catch {
            // Peer reset or a protocol error the pipeline already answered: nothing to do.
        }
    }

    /// An S3 CORS preflight: the bucket comes from a `bucket.s3.localhost` host or the path.
    private func preflight(_ head: HTTPRequestHead, _ cors: any CORSService) -> AWSResponse {
        let request = awsRequest(head, body: [])
        let host = request.header("host").map(ServiceDetector.stripPort) ?? ""
        var bucket = ""
        if host.hasSuffix(".localhost") {
            let labels = host.dropLast(".localhost".count).split(separator: ".").map(String.init)
            if let i = labels.firstIndex(of: "s3"), i > 0 { bucket = labels[0..<i].joined(separator: ".") }
        }
        if bucket.isEmpty {
            let seg = request.rawPath.split(separator: "/", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            bucket = URLEncoding.decode(seg, plusIsSpace: false) ?? seg
        }
        let requestId = dispatcher.requestIds.next()
        let p = cors.preflight(bucket: bucket, origin: request.header("origin"),
                               requestMethod: request.header("access-control-request-method"),
                               requestHeaders: request.header("access-control-request-headers"), requestId: requestId)
        return AWSResponse(status: p.status, headers: p.headers + [("x-amz-request-id", requestId)], body: p.body)
    }

    private func awsRequest(_ head: HTTPRequestHead, body: [UInt8], remote: String? = nil) -> AWSRequest {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(head.headers.count)
        for (n, v) in head.headers { headers.append((n.lowercased(), v)) }
        var r = AWSRequest(method: head.method.rawValue, uri: head.uri, headers: headers, body: body)
        r.remoteAddress = remote
        return r
    }

    private func endpoint(_ request: AWSRequest, _ local: SocketAddress?) -> String {
        "http://" + (request.header("host") ?? "\(local?.ipAddress ?? "127.0.0.1"):\(local?.port ?? 4599)")
    }

    /// Only REST uploads stream their body (S3 PutObject/UploadPart are PUTs); JSON and query
    /// requests are told apart by their headers, sparing them a second service detection.
    static func mayStream(_ head: HTTPRequestHead) -> Bool {
        switch head.method {
        case .PUT: return true
        case .POST:
            if head.headers.contains(name: "x-amz-target") { return false }
            return !(head.headers.first(name: "content-type") ?? "").hasPrefix("application/x-www-form-urlencoded")
        default: return false
        }
    }

    /// A small body with a declared length and no aws-chunked framing costs less buffered:
    /// one dispatch after it is read (it usually came in the head's packet) instead of a
    /// streaming call that is routed before the body and then fed chunk by chunk.
    static func smallPlainBody(_ head: HTTPRequestHead, _ declared: Int?) -> Bool {
        guard let declared, declared <= inlineStreamLimit else { return false }
        if (head.headers.first(name: "x-amz-content-sha256") ?? "").hasPrefix("STREAMING") { return false }
        return !(head.headers.first(name: "content-encoding") ?? "").contains("aws-chunked")
    }

    private func streamingCall(_ head: HTTPRequestHead, local: SocketAddress?, remote: String?) -> Result<Dispatcher.Call, Dispatcher.Failure>? {
        if head.uri.hasPrefix("/_simfra") { return nil }
        let request = awsRequest(head, body: [], remote: remote)
        return dispatcher.streamingCall(request, endpoint: endpoint(request, local))
    }

    private func respond(_ head: HTTPRequestHead, body: ByteBuffer, local: SocketAddress?, remote: String?) async -> AWSResponse {
        let request = awsRequest(head, body: body.readableBytes == 0 ? [] : Array(body.readableBytesView), remote: remote)
        if head.uri.hasPrefix("/_simfra/") || head.uri == "/_simfra" {
            return await admin.handle(request)
        }
        if let health = AdminRoutes.dynamoDBHealth(request, defaultRegion: dispatcher.config.defaultRegion) { return health }
        return await dispatcher.handle(request, endpoint: endpoint(request, local))
    }

    private func write(
        _ r: AWSResponse, head: HTTPRequestHead, keepAlive: Bool,
        _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, _ channel: any Channel
    ) async throws {
        let allocator = channel.allocator
        var headers = HTTPHeaders()
        headers.reserveCapacity(r.headers.count + 3)
        var hasLength = false
        for (k, v) in r.headers {
            if !hasLength && k.utf8.count == 14 && k.lowercased() == "content-length" { hasLength = true }
            headers.add(name: k, value: v)
        }
        // A stream of unknown length goes without one: NIO's encoder then sends it chunked.
        let unbounded = (r.stream?.length ?? 0) < 0
        if !hasLength && !unbounded { headers.add(name: "Content-Length", value: String(r.body.count)) }
        headers.add(name: "Server", value: "Simfra")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: r.status)
        let responseHead = HTTPResponseHead(version: head.version, status: status, headers: headers)
        if let stream = r.stream, head.method != .HEAD {
            if !unbounded, stream.length <= Self.inlineStreamLimit {
                // Small: gathered and sent with its head in one write (one TCP segment).
                var buffer = allocator.buffer(capacity: stream.length)
                while let chunk = try await stream.next() { buffer.writeBytes(chunk) }
                guard buffer.readableBytes == stream.length else { throw StreamShort() }
                try await outbound.write(contentsOf: [.head(responseHead), .body(.byteBuffer(buffer)), .end(nil)])
                return
            }
            if let file = (stream as? any FileResponseBody)?.takeFile() {
                try await sendFile(file.fd, offset: file.offset, length: stream.length, head: responseHead, channel)
                return
            }
            // Streamed payload: chunks go out as produced; the writer's back-pressure paces us.
            try await outbound.write(.head(responseHead))
            var sent = 0
            while let chunk = try await stream.next() {
                sent += chunk.count
                try await outbound.write(.body(.byteBuffer(allocator.buffer(bytes: chunk))))
            }
            guard unbounded || sent == stream.length else {
                // The body ended short of its Content-Length: the client must not take it as whole.
                throw StreamShort()
            }
            try await outbound.write(.end(nil))
        } else if head.method == .HEAD || r.body.isEmpty {
            try await outbound.write(contentsOf: [.head(responseHead), .end(nil)])
        } else {
            try await outbound.write(contentsOf: [
                .head(responseHead), .body(.byteBuffer(allocator.buffer(bytes: r.body))), .end(nil),
            ])
        }
    }

    struct StreamShort: Error {}

    /// Stream bodies up to this size are read whole and sent in the head's write.
    static let inlineStreamLimit = 64 * 1024

    /// A file range sent by the kernel (sendfile): no copy through user space. The writes go
    /// straight to the channel, after everything the async writer was given (each of its
    /// writes was awaited), so the future tells when the descriptor may be closed.
    private func sendFile(_ fd: Int32, offset: Int64, length: Int, head: HTTPResponseHead, _ channel: any Channel) async throws {
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
        defer { try? handle.close() }
        // A file shorter than its metadata says would leave the response short: close instead.
        var st = stat()
        guard fstat(fd, &st) == 0, Int64(st.st_size) >= offset + Int64(length) else { throw StreamShort() }
        let region = FileRegion(fileHandle: handle, readerIndex: Int(offset), endIndex: Int(offset) + length)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.write(HTTPServerResponsePart.body(.fileRegion(region)), promise: nil)
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
    }

    /// An error the HTTP layer answers itself, shaped after the request, with a request id.
    private func frontEndError(_ e: FrontEndError, _ head: HTTPRequestHead) -> AWSResponse {
        e.response(FrontEndError.Shape(head), requestId: dispatcher.requestIds.next())
    }
}
