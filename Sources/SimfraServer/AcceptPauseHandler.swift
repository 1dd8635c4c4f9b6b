#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// On the listening channel: when `accept` fails for want of descriptors or memory, stop
/// watching the socket for a while.
///
/// NIO's `AcceptBackoffHandler` (which the bootstrap adds after this one) only delays the next
/// `read()`; after a failed accept the channel still has a read pending, so its interest in the
/// socket stays registered and epoll reports the waiting connection again at once: with the
/// descriptors used up the server spun at 100% CPU in accept4 -> EMFILE. Switching auto-read
/// off drops that interest; it comes back after `pause`, and the connections wait in the
/// kernel's backlog meanwhile.
final class AcceptPauseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    private let pause: TimeAmount
    private var paused = false

    init(pause: TimeAmount = .milliseconds(250)) { self.pause = pause }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let e = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(e.errnoCode), !paused {
            paused = true
            let pause = pause
            let channel = context.channel
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            channel.setOption(.autoRead, value: false).whenComplete { _ in
                channel.eventLoop.scheduleTask(in: pause) {
                    loopBound.value.paused = false
                    channel.setOption(.autoRead, value: true).whenComplete { _ in }
                }
            }
        }
        context.fireErrorCaught(error)
    }
}

@available(*, unavailable)
extension AcceptPauseHandler: Sendable {}
