import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A call whose answer is read, not only its status: EventBridge fetches OAuth tokens with it.
/// Kept beside `send` rather than replacing it so SNS's deliveries still settle on the
/// response head and never wait for a body they ignore.
extension HTTPDelivery {
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var body: [UInt8]

        public init(status: Int, body: [UInt8]) {
            self.status = status
            self.body = body
        }
    }

    public enum FetchOutcome: Sendable, Equatable {
        case response(Response)
        case unreachable(String)
    }

    /// Larger answers are cut off: a token response is a few hundred bytes, and the server
    /// must not buffer whatever a misbehaving endpoint streams.
    public static let bodyLimit = 1 << 20

    public static func fetch(method: HTTPMethod, _ url: String, headers: [(String, String)], body: [UInt8]) async -> FetchOutcome {
        guard let target = Target(url) else { return .unreachable("not an http(s) URL: \(url)") }
        if target.tls { return .unreachable("HTTPS needs TLS, which this Simfra does not include") }
        let promise = OnceResponse(MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Response.self))
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCatcher(promise: promise))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: target.host, port: target.port).get()
        } catch {
            promise.fail(error)
            return .unreachable("cannot connect to \(target.host):\(target.port): \(error)")
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target.path)
        head.headers.add(name: "Host", value: target.hostHeader)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(HTTPDeliveryError.timedOut)
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        do {
            let response = try await promise.future.get()
            channel.close(promise: nil)
            return .response(response)
        } catch {
            channel.close(promise: nil)
            return .unreachable("\(target.host):\(target.port): \(error)")
        }
    }
}

/// `Once` for a whole response.
final class OnceResponse: Sendable {
    private let promise: EventLoopPromise<HTTPDelivery.Response>
    private let settled = Mutex(false)

    init(_ promise: EventLoopPromise<HTTPDelivery.Response>) { self.promise = promise }

    var future: EventLoopFuture<HTTPDelivery.Response> { promise.futureResult }

    private func first() -> Bool { settled.withLock { done in defer { done = true }; return !done } }
    func succeed(_ v: HTTPDelivery.Response) { if first() { promise.succeed(v) } }
    func fail(_ e: Error) { if first() { promise.fail(e) } }
}

/// Collects the status and body, completing the promise at the response's end (or when the
/// server closes after the head, as a `Connection: close` answer without length may).
private final class ResponseCatcher: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let promise: OnceResponse
    var status: Int?
    var body: [UInt8] = []

    init(promise: OnceResponse) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(let buffer):
            let room = HTTPDelivery.bodyLimit - body.count
            if room > 0 { body += buffer.readableBytesView.prefix(room) }
        case .end:
            if let status { promise.succeed(HTTPDelivery.Response(status: status, body: body)) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let status {
            promise.succeed(HTTPDelivery.Response(status: status, body: body))
        } else {
            promise.fail(HTTPDelivery.HTTPDeliveryError.closedEarly)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
