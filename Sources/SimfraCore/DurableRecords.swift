/// Where a service keeps its durable records. Services never see SQL or files: they hand
/// over encoded records by (kind, account, region, id), and get them back at startup.
///
/// Write-through discipline: call `put`/`delete` while still holding the lock under which
/// memory changed (so two changes to one record reach the database in order), release the
/// lock, then `await` the returned commit before answering the client.
public protocol DurableRecords: Sendable {
    /// Whether writes go anywhere (false without `SIMFRA_DATA_DIR`).
    var isPersistent: Bool { get }
    func put(kind: String, account: String, region: String, id: String, data: [UInt8]) -> Commit
    func delete(kind: String, account: String, region: String, id: String) -> Commit
    /// Several writes committed atomically.
    func apply(_ writes: [DurableWrite]) -> Commit
    /// Every record of this service, ordered by kind, account, region, id (startup load).
    func loadAll() throws -> [DurableRecord]
    /// AES-256-GCM under the data dir's master key, bound to `aad` (the record identity and
    /// field name). Memory-only stores return the plaintext unchanged.
    func seal(_ plaintext: [UInt8], aad: String) -> [UInt8]
    func unseal(_ sealed: [UInt8], aad: String) throws -> [UInt8]
}

public enum DurableWrite: Sendable {
    case put(kind: String, account: String, region: String, id: String, data: [UInt8])
    case delete(kind: String, account: String, region: String, id: String)
}

public struct DurableRecord: Sendable {
    public var kind: String
    public var account: String
    public var region: String
    public var id: String
    public var data: [UInt8]

    public init(kind: String, account: String, region: String, id: String, data: [UInt8]) {
        self.kind = kind
        self.account = account
        self.region = region
        self.id = id
        self.data = data
    }
}

/// A pending commit: `await commit.wait()` returns once the write is durable.
public struct Commit: Sendable {
    private let waiter: @Sendable () async throws -> Void

    public init(_ waiter: @escaping @Sendable () async throws -> Void) { self.waiter = waiter }

    public static let done = Commit {}

    public func wait() async throws { try await waiter() }
}

/// Memory-only mode: nothing is written, nothing is loaded.
public struct MemoryOnlyRecords: DurableRecords {
    public init() {}
    public var isPersistent: Bool { false }
    public func put(kind: String, account: String, region: String, id: String, data: [UInt8]) -> Commit { .done }
    public func delete(kind: String, account: String, region: String, id: String) -> Commit { .done }
    public func apply(_ writes: [DurableWrite]) -> Commit { .done }
    public func loadAll() throws -> [DurableRecord] { [] }
    public func seal(_ plaintext: [UInt8], aad: String) -> [UInt8] { plaintext }
    public func unseal(_ sealed: [UInt8], aad: String) throws -> [UInt8] { sealed }
}

/// A service with durable state: at startup, before the server reports healthy, it rebuilds
/// its in-memory state from what its `DurableRecords` returns.
public protocol StatefulService: AWSService {
    func restore() throws
}
