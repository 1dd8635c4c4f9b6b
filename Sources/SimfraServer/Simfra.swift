import Foundation
import NIOCore
import NIOPosix
import SimfraCore
import SimfraPersistence
import SimfraS3
import SimfraDynamoDB
import SimfraSQS
import SimfraSTS

/// The assembled server: built from a `Config`, started by the executable.
public final class Simfra: Sendable {
    public static let version = "0.1.0"

    let config: Config
    let dispatcher: Dispatcher
    let http: HTTPServer
    let store: PersistenceStore?
    let handlers: [any AWSService]

    /// Opens the data dir when one is configured (a wrong or malformed key, a corrupt or
    /// newer database: `StartupError`, nothing modified) and builds every service on it.
    public convenience init(config: Config) throws(StartupError) {
        let store = try Self.openStore(config)
        let dynamodb = DynamoDBService(records: Self.records(store, service: "dynamodb"), clock: SystemClock())
        // S3 bodies: `<dataDir>/s3/` with persistence; otherwise a private temp directory,
        // not fsynced (bodies are never held whole in memory).
        let s3: S3Service
        do {
            if let store, let dir = config.dataDir {
                s3 = S3Service(records: Self.records(store, service: "s3"), blobs: BlobStore(dataDir: dir))
            } else {
                let dir = try S3Service.makeTemporaryDirectory()
                s3 = S3Service(records: MemoryOnlyRecords(), blobs: BlobStore(dataDir: dir, durable: false),
                               temporaryDirectory: dir)
            }
        } catch {
            throw StartupError(description: "s3: cannot create the body directory: \(error)")
        }
        self.init(
            config: config,
            handlers: [
                STSService(), dynamodb, DynamoDBStreamsService(dynamodb: dynamodb),
                SQSService(records: Self.records(store, service: "sqs"), clock: SystemClock()),
                s3,
            ],
            store: store)
    }

    /// The durable-record view a stateful service is built with.
    static func records(_ store: PersistenceStore?, service: String) -> any DurableRecords {
        store.map { PersistentRecords(store: $0, service: service) } ?? MemoryOnlyRecords()
    }

    /// With an explicit set of handlers (tests register fakes).
    init(config: Config, handlers: [any AWSService], store: PersistenceStore? = nil) {
        self.config = config
        self.store = store
        self.handlers = handlers
        dispatcher = Dispatcher(config: config, handlers: handlers)
        let admin = AdminRoutes(dispatcher: dispatcher, store: store)
        http = HTTPServer(dispatcher: dispatcher, admin: admin)
    }

    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    static func openStore(_ config: Config) throws(StartupError) -> PersistenceStore? {
        guard let dir = config.dataDir else { return nil }
        do {
            return try PersistenceStore.open(dataDir: dir, keyHex: config.persistenceKey)
        } catch {
            throw StartupError(description: error.description)
        }
    }

    /// Rebuilds every stateful service from the store, in dependency order (IAM first, then
    /// KMS and EC2, then the rest), before the server reports healthy.
    func restoreServices() throws {
        let order = ["iam", "kms", "ec2"]
        let sorted = handlers.sorted {
            (order.firstIndex(of: $0.serviceName) ?? order.count) < (order.firstIndex(of: $1.serviceName) ?? order.count)
        }
        for case let s as any StatefulService in sorted { try s.restore() }
    }

    /// Flushes pending writes and closes the database (SIGTERM/SIGINT).
    public func shutdown() {
        for case let s3 as S3Service in handlers { s3.shutdown() }
        store?.close()
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
        // Health answers 503 and AWS requests get 503 until every service has loaded.
        try restoreServices()
        dispatcher.ready.store(true, ordering: .releasing)
        try await http.serve(channel)
    }
}
