import Foundation
import NIOCore
import NIOPosix
import SimfraCore
import SimfraEventing
import SimfraPersistence
import SimfraPolicy
import SimfraS3
import SimfraCloudWatch
import SimfraDynamoDB
import SimfraEvents
import SimfraIAM
import SimfraKMS
import SimfraLambda
import SimfraLogs
import SimfraSNS
import SimfraScheduler
import SimfraSQS
import SimfraSecretsManager
import SimfraSSM
import SimfraSTS
import Synchronization

/// The assembled server: built from a `Config`, started by the executable.
public final class Simfra: Sendable {
    public static let version = "0.1.0"

    let config: Config
    let dispatcher: Dispatcher
    let http: HTTPServer
    let store: PersistenceStore?
    let handlers: [any AWSService]
    /// Outbound messages (SNS email/SMS, HTTP confirmations) captured for `/_simfra/inbox`.
    let inbox: Inbox

    /// Opens the data dir when one is configured (a wrong or malformed key, a corrupt or
    /// newer database: `StartupError`, nothing modified) and builds every service on it.
    public convenience init(config: Config) throws(StartupError) {
        if let file = config.tlsCAFile {
            do {
                try HTTPDelivery.trustAlso(pemFile: file)
            } catch {
                throw StartupError(description: "SIMFRA_TLS_CA_FILE: \(error.description)")
            }
        }
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
        let iam = IAMService(records: Self.records(store, service: "iam"), clock: SystemClock())
        let sts = STSService(directory: iam, clock: SystemClock())
        let inbox = Inbox()
        // Lambda's zips: `<dataDir>/lambda/code/` with persistence, else a private temp directory.
        let lambda: LambdaService
        do {
            lambda = try LambdaService(records: Self.records(store, service: "lambda"),
                                       codeDirectory: config.dataDir.map { URL(fileURLWithPath: $0).appendingPathComponent("lambda/code") })
        } catch {
            throw StartupError(description: "lambda: cannot create the code directory: \(error)")
        }
        self.init(
            config: config,
            handlers: [
                iam, sts, KMSService(records: Self.records(store, service: "kms"), clock: SystemClock()), dynamodb, DynamoDBStreamsService(dynamodb: dynamodb),
                SQSService(records: Self.records(store, service: "sqs"), clock: SystemClock()),
                SNSService(records: Self.records(store, service: "sns"), inbox: inbox),
                SchedulerService(records: Self.records(store, service: "scheduler"), clock: SystemClock()),
                EventBridgeService(records: Self.records(store, service: "events"), clock: SystemClock()),
                s3,
                SecretsManagerService(records: Self.records(store, service: "secretsmanager"), clock: SystemClock()),
                SSMService(records: Self.records(store, service: "ssm"), clock: SystemClock()),
                LogsService(records: Self.records(store, service: "logs"), clock: SystemClock()),
                CloudWatchService(records: Self.records(store, service: "cloudwatch"), clock: SystemClock()),
                lambda,
            ],
            store: store, inbox: inbox)
    }

    /// The durable-record view a stateful service is built with.
    static func records(_ store: PersistenceStore?, service: String) -> any DurableRecords {
        store.map { PersistentRecords(store: $0, service: service) } ?? MemoryOnlyRecords()
    }

    /// With an explicit set of handlers (tests register fakes).
    init(config: Config, handlers: [any AWSService], store: PersistenceStore? = nil,
         providers: [any CredentialProvider] = [], inbox: Inbox = Inbox())
    {
        self.config = config
        self.inbox = inbox
        self.store = store
        self.handlers = handlers
        let accounts = AccountRegistry(config: config, records: Self.records(store, service: "accounts"))
        // IAM's access keys and STS's temporary credentials sign requests to every service;
        // IAM answers the authoriser's questions about callers; STS in turn resolves every
        // key (root, IAM, session) for GetAccessKeyInfo through the dispatcher.
        let sts = handlers.lazy.compactMap { $0 as? STSService }.first
        var keys = providers + handlers.compactMap { $0 as? any CredentialProvider }
        if let sts { keys.append(sts.sessions) }
        let directory = handlers.lazy.compactMap { $0 as? any IdentityDirectory }.first
        let dispatcher = Dispatcher(config: config, handlers: handlers, accounts: accounts, providers: keys,
                                    directory: directory)
        sts?.accessKeys.bind { [weak dispatcher] id in dispatcher?.credential(id) }
        for case let s as any InvokingService in handlers { s.invoker.connect(WeakInvoker(dispatcher: dispatcher)) }
        // Services' own metrics (AWS/SQS…, Logs metric filters) go to the CloudWatch service.
        if let cloudwatch = handlers.lazy.compactMap({ $0 as? any MetricSink }).first {
            for case let s as any MetricPublishingService in handlers {
                s.metrics.connect(cloudwatch, flushEvery: config.metricsFlushSeconds)
            }
        }
        self.dispatcher = dispatcher
        let admin = AdminRoutes(dispatcher: dispatcher, store: store, inbox: inbox)
        http = HTTPServer(dispatcher: dispatcher, admin: admin, openFileLimit: ConnectionLimits.raiseOpenFileLimit())
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

    /// Rebuilds the accounts, then every stateful service from the store, in dependency order
    /// (IAM first, then KMS and EC2, then the rest), before the server reports healthy.
    func restoreServices() throws {
        try lifecycle.withLock { state in
            guard state == .created else { return }
            state = .restoring
            // Accounts first: every other record belongs to one of them.
            try dispatcher.accounts.restore()
            let order = ["iam", "kms", "ec2"]
            let sorted = handlers.sorted {
                (order.firstIndex(of: $0.serviceName) ?? order.count) < (order.firstIndex(of: $1.serviceName) ?? order.count)
            }
            for case let s as any StatefulService in sorted { try s.restore() }
            state = .running
        }
    }

    private enum Lifecycle { case created, restoring, running, stopped }

    /// Held while services load and while shutting down, so a signal during a long load waits
    /// for it rather than closing the database under it (no AWS request has been served yet,
    /// so nothing is lost by waiting).
    private let lifecycle = Mutex(Lifecycle.created)

    /// Flushes pending writes and closes the database (SIGTERM/SIGINT). Runs once; later
    /// calls return at once.
    public func shutdown() {
        lifecycle.withLock { state in
            guard state != .stopped else { return }
            state = .stopped
            dispatcher.ready.store(false, ordering: .releasing)
            for case let s3 as S3Service in handlers { s3.shutdown() }
            store?.close()
        }
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
    ///
    /// Requests are served while the services load: health answers 503 `{"status":"starting"}`
    /// and AWS requests 503 `ServiceUnavailable` until loading is done. The load runs on NIO's
    /// blocking pool, never on an event loop (that would stall every connection on it).
    /// A busy port throws `PortInUse`.
    public func run(onStarted: @Sendable (_ line: String, _ port: Int) -> Void) async throws {
        let channel: NIOAsyncChannel<HTTPServer.Accepted, Never>
        do {
            channel = try await http.bind(host: config.host, port: config.port)
        } catch let e as IOError where e.errnoCode == EADDRINUSE {
            throw PortInUse(port: config.port)
        }
        let port = channel.channel.localAddress?.port ?? config.port
        let persistence = config.dataDir.map { "on, \($0)" } ?? "off"
        onStarted(
            "simfra \(Self.version) listening on http://\(config.host):\(port) (persistence: \(persistence), services: \(dispatcher.registry.implementedCount))", port)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.http.serve(channel) }
            do {
                try await NIOThreadPool.singleton.runIfActive { try self.restoreServices() }
            } catch {
                // Stop serving: the executable reports the error and exits.
                try? await channel.channel.close()
                group.cancelAll()
                throw error
            }
            if lifecycle.withLock({ $0 == .running }) {
                dispatcher.ready.store(true, ordering: .releasing)
            }
            try await group.waitForAll()
        }
    }

    /// The configured port is taken by another process.
    public struct PortInUse: Error, CustomStringConvertible {
        public var port: Int
        public var description: String { "port \(port) is in use" }
    }
}
