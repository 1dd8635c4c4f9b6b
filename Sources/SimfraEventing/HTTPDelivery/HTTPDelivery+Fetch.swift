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
        switch await exchange(method: method, url, headers: headers, body: body, catcher: { ResponseCatcher(promise: $0) }) {
        case .success(let response): return .response(response)
        case .failure(let failure): return .unreachable(failure.reason)
        }
    }
}

/// Collects the status and body, completing the promise at the response's end (or when the
/// server closes after the head, as a `Connection: close` answer without length may).
private final class ResponseCatcher: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let promise: Once<HTTPDelivery.Response>
    var status: Int?
    var body: [UInt8] = []

    init(promise: Once<HTTPDelivery.Response>) { self.promise = promise }

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
        if HTTPDelivery.isUncleanShutdown(error) {
            // The answer's end or the close that follows settles it.
            context.close(promise: nil)
            return
        }
        promise.fail(error)
        context.close(promise: nil)
    }
}
