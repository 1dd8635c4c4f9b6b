import Foundation
import NIOCore
import SimfraCore
import SimfraSTS

/// The assembled server: built from a `Config`, started by the executable.
public final class Simfra: Sendable {
    public static let version = "0.1.0"

    let config: Config
    let dispatcher: Dispatcher
    let http: HTTPServer

    public init(config: Config) {
        self.config = config
        let handlers: [any AWSService] = [STSService()]
        dispatcher = Dispatcher(config: config, handlers: handlers)
        let admin = AdminRoutes(dispatcher: dispatcher, persistenceEnabled: config.dataDir != nil)
        http = HTTPServer(dispatcher: dispatcher, admin: admin, threads: System.coreCount)
    }

    /// Binds, prints the start line, loads state, reports ready, then serves until the
    /// listening channel closes.
    public func run(onStarted: @Sendable (String) -> Void) async throws {
        let channel = try await http.bind(host: config.host, port: config.port)
        let port = channel.channel.localAddress?.port ?? config.port
        let persistence = config.dataDir.map { "on, \($0)" } ?? "off"
        onStarted(
            "simfra \(Self.version) listening on http://\(config.host):\(port) (persistence: \(persistence), services: \(dispatcher.registry.implementedCount))")
        // Nothing to load yet: persistence (issue 3) loads state here before readiness.
        dispatcher.ready.store(true, ordering: .releasing)
        try await http.serve(channel)
    }
}
