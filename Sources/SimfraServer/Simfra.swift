import Foundation
import NIOCore
import NIOPosix
import SimfraCore
import SimfraSTS

/// The assembled server: built from a `Config`, started by the executable.
public final class Simfra: Sendable {
    public static let version = "0.1.0"

    let config: Config
    let dispatcher: Dispatcher
    let http: HTTPServer

    public convenience init(config: Config) {
        self.init(config: config, handlers: [STSService()])
    }

    /// With an explicit set of handlers (tests register fakes).
    init(config: Config, handlers: [any AWSService]) {
        self.config = config
        dispatcher = Dispatcher(config: config, handlers: handlers)
        let admin = AdminRoutes(dispatcher: dispatcher, persistenceEnabled: config.dataDir != nil)
        http = HTTPServer(dispatcher: dispatcher, admin: admin)
    }

    /// Makes NIO's event loops Swift concurrency's global executor. Without it every request
    /// hops from an event-loop thread to the cooperative pool and back, a thread wake-up each
    /// way. Must run before any task is created (first thing in `main`).
    @discardableResult
    public static func useEventLoopsForConcurrency() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// Binds, prints the start line, loads state, reports ready, then serves until the
    /// listening channel closes.
    public func run(onStarted: @Sendable (_ line: String, _ port: Int) -> Void) async throws {
        let channel = try await http.bind(host: config.host, port: config.port)
        let port = channel.channel.localAddress?.port ?? config.port
        let persistence = config.dataDir.map { "on, \($0)" } ?? "off"
        onStarted(
            "simfra \(Self.version) listening on http://\(config.host):\(port) (persistence: \(persistence), services: \(dispatcher.registry.implementedCount))", port)
        // Nothing to load yet: persistence (issue 3) loads state here before readiness.
        dispatcher.ready.store(true, ordering: .releasing)
        try await http.serve(channel)
    }
}
