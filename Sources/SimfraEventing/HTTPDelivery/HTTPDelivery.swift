import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Outbound HTTP calls the event services make on a user's behalf: SNS HTTP/S subscriptions
/// (confirmations and notifications), later EventBridge API destinations. One request, one
/// outcome; retrying is the caller's policy, not the client's.
///
/// A small HTTP/1.1 client on the server's own NIO event loops: FoundationNetworking's
/// URLSession would link libcurl and cost every Simfra process ~6 MiB of resident memory
/// for a path most never take. `https://` endpoints go through swift-nio-ssl, checked against
/// the trust store (`HTTPDelivery+TLS.swift`).
public enum HTTPDelivery {
    public enum Outcome: Sendable, Equatable {
        /// The endpoint answered with this status.
        case status(Int)
        /// No answer: refused connection, DNS failure, timeout, bad URL, failed TLS handshake.
        case unreachable(String)

        public var isSuccess: Bool { if case .status(let s) = self { (200..<300).contains(s) } else { false } }
    }

    public static let timeout = TimeAmount.seconds(15)

    public static func post(_ url: String, headers: [(String, String)], body: [UInt8]) async -> Outcome {
        await send(method: .POST, url, headers: headers, body: body)
    }

    public static func send(method: HTTPMethod, _ url: String, headers: [(String, String)], body: [UInt8]) async -> Outcome {
        switch await exchange(method: method, url, headers: headers, body: body, catcher: { StatusCatcher(promise: $0) }) {
        case .success(let status): return .status(status)
        case .failure(let failure): return .unreachable(failure.reason)
        }
    }

    struct Unreachable: Error {
        var reason: String
    }

    /// One request on its own connection; `catcher` settles the promise with what the caller
    /// wants from the answer (the status for deliveries, the whole response for fetches).
    static func exchange<Answer: Sendable>(
        method: HTTPMethod, _ url: String, headers: [(String, String)], body: [UInt8],
        catcher: @escaping @Sendable (Once<Answer>) -> any ChannelInboundHandler & Sendable
    ) async -> Result<Answer, Unreachable> {
        guard let target = Target(url) else { return .failure(Unreachable(reason: "not an http(s) URL: \(url)")) }
        var tls: NIOSSLClientHandler?
        if target.tls {
            do {
                tls = try tlsHandler(host: target.host)
            } catch {
                return .failure(Unreachable(reason: "\(error)"))
            }
        }
        let promise = Once(MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Answer.self))
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls) }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(catcher(promise))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: target.host, port: target.port).get()
        } catch {
            promise.fail(error)
            return .failure(Unreachable(reason: "cannot connect to \(target.host):\(target.port): \(error)"))
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
            let answer = try await promise.future.get()
            channel.close(promise: nil)
            return .success(answer)
        } catch {
            channel.close(promise: nil)
            let reason = describeTLSFailure(error, host: target.host, port: target.port) ?? "\(target.host):\(target.port): \(error)"
            return .failure(Unreachable(reason: reason))
        }
    }

    enum HTTPDeliveryError: Error, CustomStringConvertible {
        case timedOut, closedEarly
        var description: String {
            switch self {
            case .timedOut: return "no answer within \(HTTPDelivery.timeout.nanoseconds / 1_000_000_000) s"
            case .closedEarly: return "the connection closed before a response"
            }
        }
    }

    /// Scheme, host, port and path of an `http(s)://` URL.
    struct Target {
        var tls: Bool
        var host: String
        var port: Int
        var path: String
        var hostHeader: String

        init?(_ url: String) {
            let lower = url.lowercased()
            let rest: Substring
            if lower.hasPrefix("http://") {
                tls = false
                rest = url.dropFirst(7)
            } else if lower.hasPrefix("https://") {
                tls = true
                rest = url.dropFirst(8)
            } else {
                return nil
            }
            let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            var authority = rest[..<slash]
            path = slash == rest.endIndex ? "/" : (rest[slash] == "?" ? "/" : "") + String(rest[slash...])
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            hostHeader = String(authority)
            var portText: Substring?
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                if after.hasPrefix(":") { portText = after.dropFirst() }
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                portText = authority[authority.index(after: colon)...]
            } else {
                host = String(authority)
            }
            if let portText {
                guard let p = Int(portText), (1...65535).contains(p) else { return nil }
                port = p
            } else {
                port = tls ? 443 : 80
            }
            if host.isEmpty { return nil }
        }
    }
}

/// A promise completed at most once: the answer, the timeout, a closed connection and a
/// connect failure race to settle it.
final class Once<Answer: Sendable>: Sendable {
    private let promise: EventLoopPromise<Answer>
    private let settled = Mutex(false)

    init(_ promise: EventLoopPromise<Answer>) { self.promise = promise }

    var future: EventLoopFuture<Answer> { promise.futureResult }

    private func first() -> Bool { settled.withLock { done in defer { done = true }; return !done } }
    func succeed(_ v: Answer) { if first() { promise.succeed(v) } }
    func fail(_ e: Error) { if first() { promise.fail(e) } }
}

/// Completes the promise with the response status once the head arrives.
private final class StatusCatcher: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let promise: Once<Int>

    init(promise: Once<Int>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { promise.succeed(Int(head.status.code)) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(HTTPDelivery.HTTPDeliveryError.closedEarly)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !HTTPDelivery.isUncleanShutdown(error) { promise.fail(error) }
        context.close(promise: nil)
    }
}
