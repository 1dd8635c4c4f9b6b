import NIOCore
import NIOHTTP1
import SimfraCore
import SimfraProtocols

/// What one connection's two guard handlers share. Both run on the connection's event loop.
final class ConnectionActivity {
    /// Last time a byte arrived or a response finished: the clock of both timeouts.
    var lastProgress = NIODeadline.now()
    /// Bytes arrived since the last request ended: a request head may be half-sent.
    var pendingBytes = false
    /// The bytes being decoded, only while the decoder runs on them: when it refuses them,
    /// their header lines say which service's error shape the client reads.
    var decoding: ByteBuffer?
}

/// Sits before the HTTP decoder and notes that bytes arrived, so a half-sent head (which the
/// decoder holds back) still counts as progress and is told apart from an idle connection.
final class ReadActivityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let activity: ConnectionActivity

    init(_ activity: ConnectionActivity) { self.activity = activity }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        activity.lastProgress = .now()
        activity.pendingBytes = true
        activity.decoding = unwrapInboundIn(data)
        context.fireChannelRead(data)
        activity.decoding = nil
    }
}

/// After the HTTP codec, in place of NIO's protocol error handler (which answered a bare 400):
/// - malformed HTTP gets an AWS-shaped error document with a request id, then the connection
///   closes (after the response in flight, if a request is being answered);
/// - a request that makes no progress for `requestTimeout` gets S3's 400 `RequestTimeout`; the
///   connection task sees the same error on its body stream, so a streamed upload stops and its
///   temp file is removed;
/// - a keep-alive connection idle between requests for `idleTimeout` is closed.
/// A request whose body has been read is being handled (a long poll may wait 20 s): no timer.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Settings: Sendable {
        var idleTimeout: TimeAmount
        var requestTimeout: TimeAmount
        var requestIds: RequestIDGenerator
        /// Counts request heads (the memory trimmer watches it to know the server went quiet).
        var requests: RequestCounter
    }

    private enum Phase { case idle, receiving, handling }

    private let settings: Settings
    private let activity: ConnectionActivity
    private var phase = Phase.idle
    private var responseOpen = false
    /// The error shape for the current request: worked out from its head only when an error
    /// is answered (reading the scope out of Authorization on every request cost a few µs).
    private var lastHead: HTTPRequestHead?
    private var rawShape: FrontEndError.Shape?
    private var shape: FrontEndError.Shape {
        rawShape ?? lastHead.map { FrontEndError.Shape($0) } ?? .restXml
    }
    /// A protocol error that arrived while a response was owed: sent after that response.
    private var deferred: FrontEndError?
    /// The peer's input ended mid-request while a response was owed: close after it.
    private var closeAfterResponse = false
    private var closing = false
    private var timer: RepeatedTask?

    init(_ settings: Settings, activity: ConnectionActivity) {
        self.settings = settings
        self.activity = activity
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimer(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    private func startTimer(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        // Checked a few times per timeout: cheaper than rescheduling a deadline on every read.
        let tick = TimeAmount.nanoseconds(max(20_000_000, min(settings.idleTimeout, settings.requestTimeout).nanoseconds / 4))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in
            let (handler, context) = loopBound.value
            handler.check(context)
        }
    }

    private func check(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        let quiet = NIODeadline.now() - activity.lastProgress
        switch phase {
        case .handling:
            return
        case .receiving:
            if quiet >= settings.requestTimeout { timedOut(context) }
        case .idle:
            if activity.pendingBytes {
                if quiet >= settings.requestTimeout { timedOut(context) }
            } else if quiet >= settings.idleTimeout {
                closing = true
                context.close(promise: nil)
            }
        }
    }

    private func timedOut(_ context: ChannelHandlerContext) {
        let error = FrontEndError.requestTimeout
        // The connection task's body stream fails with the same error: an upload in progress
        // stops and cleans up instead of waiting for bytes that will not come.
        context.fireErrorCaught(AWSError(code: error.code, message: error.message, status: error.status))
        if responseOpen {
            closing = true
            context.close(promise: nil)
        } else {
            answerAndClose(context, error)
        }
    }

    private func answerAndClose(_ context: ChannelHandlerContext, _ error: FrontEndError) {
        closing = true
        var r = error.response(shape, requestId: settings.requestIds.next())
        r.headers.append(("Content-Length", String(r.body.count)))
        r.headers.append(("Server", "Simfra"))
        r.headers.append(("Connection", "close"))
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: r.status),
                                    headers: HTTPHeaders(r.headers))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: r.body)))), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            phase = .receiving
            lastHead = head
            rawShape = nil
            settings.requests.increment()
            if head.method == .CONNECT, !closing {
                refuseTunnel(context)
                return
            }
        case .body:
            break
        case .end:
            phase = .handling
            activity.pendingBytes = false
        }
        context.fireChannelRead(data)
    }

    /// No AWS endpoint is a proxy: a CONNECT gets 405 and the connection closes. Written as raw
    /// bytes below the HTTP encoder, which would send a response to CONNECT without its body
    /// (a tunnel follows it) and leave a client reading the error waiting.
    private func refuseTunnel(_ context: ChannelHandlerContext) {
        closing = true
        let bytes = FrontEndError.methodNotAllowed.rawResponse(shape, requestId: settings.requestIds.next())
        guard let raw = try? context.pipeline.syncOperations.context(handlerType: ReadActivityHandler.self) else {
            context.close(promise: nil)
            return
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        raw.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: bytes))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let parse = error as? HTTPParserError, !closing {
            if let answer = FrontEndError.parser(parse) {
                if phase != .receiving, let raw = activity.decoding { rawShape = FrontEndError.Shape(raw: raw) }
                if responseOpen || phase == .handling {
                    // A response is owed for the request before the garbage: it goes first.
                    deferred = answer
                } else {
                    answerAndClose(context, answer)
                }
            } else if responseOpen || phase == .handling {
                // The peer ended mid-request (e.g. half-closed after a pipelined fragment):
                // the request before it is still answered, then the connection closes. The
                // error stops here: passed on, it would end the connection task's streams
                // before that answer is written.
                closeAfterResponse = true
                return
            } else {
                closing = true
                context.close(promise: nil)
            }
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.status.code >= 200 { responseOpen = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            responseOpen = false
            activity.lastProgress = .now()
            if phase == .handling { phase = .idle }
            if closeAfterResponse, deferred == nil, !closing {
                // Close once the end is on the wire (it is flushed after this write).
                closing = true
                let written = promise ?? context.eventLoop.makePromise()
                context.write(data, promise: written)
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                written.futureResult.whenComplete { _ in loopBound.value.close(promise: nil) }
                return
            }
            context.write(data, promise: promise)
            if let deferred, !closing {
                self.deferred = nil
                answerAndClose(context, deferred)
            }
        }
    }
}

@available(*, unavailable)
extension ConnectionGuard: Sendable {}

@available(*, unavailable)
extension ReadActivityHandler: Sendable {}
