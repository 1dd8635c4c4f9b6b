import NIOCore
import NIOHTTP1
import NIOPosix

/// The Runtime API on a loopback port, one per execution environment, as AWS serves it at
/// `AWS_LAMBDA_RUNTIME_API`: `/2018-06-01/runtime/invocation/next`,
/// `…/invocation/{id}/response`, `…/invocation/{id}/error` and `…/init/error`.
enum RuntimeAPIServer {
    static func start(_ api: RuntimeAPI) async throws -> (channel: any Channel, port: Int) {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RuntimeAPIHandler(api: api))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return (channel, channel.localAddress?.port ?? 0)
    }
}

final class RuntimeAPIHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let prefix = "/2018-06-01/runtime/"
    let api: RuntimeAPI
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(api: RuntimeAPI) { self.api = api }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
        case .body(var buf):
            body += buf.readBytes(length: buf.readableBytes) ?? []
        case .end:
            guard let head else { return }
            self.head = nil
            route(context: context, head: head, body: body)
        }
    }

    private func route(context: ChannelHandlerContext, head: HTTPRequestHead, body: [UInt8]) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard path.hasPrefix(Self.prefix) else { return respond(context, head, 404, notFound) }
        let parts = path.dropFirst(Self.prefix.count).split(separator: "/").map(String.init)
        let first = parts.first ?? "", last = parts.last ?? ""
        switch (head.method, parts.count, first, last) {
        case (.GET, 2, "invocation", "next"):
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            api.next { invocation in
                loop.execute {
                    let (handler, context) = bound.value
                    handler.respond(context, head, 200, invocation.payload, headers: invocation.headers)
                }
            }
        case (.POST, 3, "invocation", "response"):
            let ok = api.complete(.response(body), requestId: parts[1])
            respond(context, head, ok ? 202 : 400, ok ? accepted : invalidId)
        case (.POST, 3, "invocation", "error"):
            let type = head.headers.first(name: "Lambda-Runtime-Function-Error-Type")
            let ok = api.complete(.error(body, type: type), requestId: parts[1])
            respond(context, head, ok ? 202 : 400, ok ? accepted : invalidId)
        case (.POST, 2, "init", "error"):
            api.initFailed(body)
            respond(context, head, 202, accepted)
        default:
            respond(context, head, 404, notFound)
        }
    }

    private let accepted = Array(#"{"status":"OK"}"#.utf8)
    private let notFound = Array(#"{"errorMessage":"Not found","errorType":"NotFound"}"#.utf8)
    private let invalidId = Array(#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#.utf8)

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: Int, _ body: [UInt8],
                         headers extra: [(String, String)] = [])
    {
        var headers = HTTPHeaders(extra)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: status), headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
