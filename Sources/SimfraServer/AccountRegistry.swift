import SimfraCore
import SimfraProtocols
import Synchronization

/// The accounts this server hosts and their root keys: the default account from `Config`
/// (always present, keys from the environment) and every account made through
/// `POST /_simfra/accounts` (keys generated here, persisted with the secret sealed).
///
/// It is the credential provider for root keys: the dispatcher asks it on every signed
/// request, so a lookup is one dictionary read under a lock that is held for nothing else
/// but short bookkeeping.
final class AccountRegistry: CredentialProvider, Sendable {
    struct Account: Sendable, Equatable {
        let accountId: String
        let rootAccessKeyId: String
        let rootSecretAccessKey: String
        /// Seconds since the epoch.
        let createdAt: Double
        let isDefault: Bool
    }

    /// Why an admin operation on accounts was refused; the admin routes map each to a status.
    enum Failure: Error, Equatable {
        case invalidAccountId(String)
        case alreadyExists(String)
        case notFound(String)
        /// The default account lives as long as the server: its keys come from the config.
        case defaultAccount(String)
        /// A deletion of this account is under way.
        case busy(String)

        var message: String {
            switch self {
            case .invalidAccountId(let id): return "accountId must be a string of 12 digits, got '\(id)'"
            case .alreadyExists(let id): return "Account \(id) already exists"
            case .notFound(let id): return "Account \(id) does not exist"
            case .defaultAccount(let id):
                return "Account \(id) is the default account and cannot be deleted; POST /_simfra/accounts/\(id)/reset wipes its resources"
            case .busy(let id): return "Account \(id) is being deleted"
            }
        }
    }

    private struct State {
        var accounts: [String: Account] = [:]
        var byAccessKey: [String: Credential] = [:]
        /// Accounts whose deletion is under way: their keys no longer sign, their id is not
        /// yet free.
        var deleting: Set<String> = []
    }

    static let recordKind = "account"

    let defaultAccountId: String
    private let records: any DurableRecords
    private let clock: any SimfraClock
    private let state: Mutex<State>

    /// - Parameter records: the `accounts` records of the persistence store (memory-only
    ///   without a data dir).
    init(config: Config, records: any DurableRecords = MemoryOnlyRecords(), clock: any SimfraClock = SystemClock()) {
        defaultAccountId = config.defaultAccountId
        self.records = records
        self.clock = clock
        let root = Account(
            accountId: config.defaultAccountId, rootAccessKeyId: config.rootAccessKeyId,
            rootSecretAccessKey: config.rootSecretAccessKey, createdAt: clock.now().rounded(.down), isDefault: true)
        var s = State()
        Self.insert(root, into: &s)
        state = Mutex(s)
    }

    private static func insert(_ a: Account, into s: inout State) {
        s.accounts[a.accountId] = a
        s.byAccessKey[a.rootAccessKeyId] = .root(
            accessKeyId: a.rootAccessKeyId, secretAccessKey: a.rootSecretAccessKey, accountId: a.accountId)
    }

    // MARK: CredentialProvider

    func credential(forAccessKeyId id: String) -> Credential? {
        state.withLock { $0.byAccessKey[id] }
    }

    // MARK: Reading

    /// Every account, the default first, then by id.
    func list() -> [Account] {
        state.withLock { s in
            s.accounts.values.filter { !s.deleting.contains($0.accountId) }
        }.sorted { ($0.isDefault ? 0 : 1, $0.accountId) < ($1.isDefault ? 0 : 1, $1.accountId) }
    }

    func account(_ id: String) throws(Failure) -> Account {
        guard Self.isAccountId(id) else { throw .invalidAccountId(id) }
        return try state.withLock { s throws(Failure) -> Account in
            guard let a = s.accounts[id], !s.deleting.contains(id) else { throw .notFound(id) }
            return a
        }
    }

    // MARK: Changes

    /// Makes an account with fresh root keys; `accountId` nil picks an unused random one.
    /// Returns once the account is durable.
    func create(accountId: String?) async throws -> Account {
        if let id = accountId, !Self.isAccountId(id) { throw Failure.invalidAccountId(id) }
        let created = clock.now().rounded(.down)
        let (account, commit) = try state.withLock { s throws(Failure) -> (Account, Commit) in
            let id: String
            if let accountId {
                guard s.accounts[accountId] == nil else { throw .alreadyExists(accountId) }
                id = accountId
            } else {
                var candidate = Self.randomAccountId()
                while s.accounts[candidate] != nil { candidate = Self.randomAccountId() }
                id = candidate
            }
            var keyId = Self.randomAccessKeyId()
            while s.byAccessKey[keyId] != nil { keyId = Self.randomAccessKeyId() }
            let a = Account(accountId: id, rootAccessKeyId: keyId, rootSecretAccessKey: Self.randomSecretKey(),
                            createdAt: created, isDefault: false)
            Self.insert(a, into: &s)
            // Written under the lock so a create and a delete of one id reach the database in order.
            let commit = records.put(kind: Self.recordKind, account: id, region: "", id: id, data: encode(a))
            return (a, commit)
        }
        do {
            try await commit.wait()
        } catch {
            // Not durable: the client hears an error, so the account must not linger.
            state.withLock { s in
                if s.accounts[account.accountId] == account {
                    s.accounts[account.accountId] = nil
                    s.byAccessKey[account.rootAccessKeyId] = nil
                }
            }
            throw error
        }
        return account
    }

    /// First step of a deletion: the account's keys stop signing at once (so nothing new is
    /// made in it while its resources are wiped) and its id stays taken until `finishDeletion`.
    func beginDeletion(_ id: String) throws(Failure) -> Account {
        guard Self.isAccountId(id) else { throw .invalidAccountId(id) }
        return try state.withLock { s throws(Failure) -> Account in
            guard let a = s.accounts[id] else { throw .notFound(id) }
            if a.isDefault { throw .defaultAccount(id) }
            guard s.deleting.insert(id).inserted else { throw .busy(id) }
            s.byAccessKey[a.rootAccessKeyId] = nil
            return a
        }
    }

    /// Removes the account and its record once every service has wiped it.
    func finishDeletion(_ a: Account) async throws {
        let commit = state.withLock { s -> Commit in
            s.deleting.remove(a.accountId)
            s.accounts[a.accountId] = nil
            return records.delete(kind: Self.recordKind, account: a.accountId, region: "", id: a.accountId)
        }
        try await commit.wait()
    }

    /// A wipe failed: the account stays, with its keys working again, so it can be retried.
    func abortDeletion(_ a: Account) {
        state.withLock { s in
            s.deleting.remove(a.accountId)
            if s.accounts[a.accountId] == a { Self.insert(a, into: &s) }
        }
    }

    // MARK: Persistence

    /// Loads the persisted accounts (before any service: every service's records belong to
    /// one of them). A record that cannot be read, or a secret that does not unseal, stops
    /// the start rather than dropping an account whose resources are still stored.
    func restore() throws {
        let loaded = try records.loadAll().filter { $0.kind == Self.recordKind }
        var accounts: [Account] = []
        for r in loaded {
            // A record of the configured default account (the default id changed between
            // starts) is kept on disk but the config's keys win.
            if r.id == defaultAccountId { continue }
            accounts.append(try decode(r))
        }
        state.withLock { s in
            for a in accounts { Self.insert(a, into: &s) }
        }
    }

    struct CorruptRecord: Error, CustomStringConvertible {
        var description: String
    }

    private static func secretAAD(_ id: String) -> String { "accounts/account/\(id)/rootSecretAccessKey" }

    /// `{"v":1,"rootAccessKeyId":"AKIA…","sealedSecret":"<base64>","createdAt":1700000000}`;
    /// the secret is sealed under the master key, bound to the account id.
    private func encode(_ a: Account) -> [UInt8] {
        let sealed = records.seal(Array(a.rootSecretAccessKey.utf8), aad: Self.secretAAD(a.accountId))
        var w = ByteWriter(capacity: 160)
        w.append("{\"v\":1,\"rootAccessKeyId\":")
        w.appendJSONString(a.rootAccessKeyId)
        w.append(",\"sealedSecret\":")
        w.appendJSONString(Base64.encode(sealed))
        w.append(",\"createdAt\":")
        w.append(double: a.createdAt)
        w.append("}")
        return w.bytes
    }

    private func decode(_ r: DurableRecord) throws -> Account {
        func fail(_ why: String) -> CorruptRecord {
            CorruptRecord(description: "account record \(r.id) is unreadable: \(why)")
        }
        guard Self.isAccountId(r.id), let doc = try? JSONReader.parse(r.data) else { throw fail("not a JSON object") }
        guard let v = doc["v"]?.intValue else { throw fail("no version") }
        guard v <= 1 else { throw fail("record version \(v) is newer than this Simfra understands (1)") }
        guard let keyId = doc["rootAccessKeyId"]?.stringValue, let sealedText = doc["sealedSecret"]?.stringValue,
            let sealed = Base64.decode(sealedText), let created = doc["createdAt"]?.doubleValue
        else { throw fail("missing members") }
        let secret = try records.unseal(sealed, aad: Self.secretAAD(r.id))
        return Account(accountId: r.id, rootAccessKeyId: keyId, rootSecretAccessKey: String(decoding: secret, as: UTF8.self),
                       createdAt: created, isDefault: false)
    }

    // MARK: Identifiers

    static func isAccountId(_ s: String) -> Bool {
        s.utf8.count == 12 && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    private static let digits = Array("0123456789".utf8)
    private static let upperAlnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
    /// The alphabet of AWS secret access keys (base64 characters).
    private static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static func random(_ count: Int, from alphabet: [UInt8]) -> String {
        var rng = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(alphabet.randomElement(using: &rng)!) }
        return String(decoding: out, as: UTF8.self)
    }

    /// 12 digits, never starting with 0 (so it is never confused with the default
    /// `000000000000` or read as a shorter number by tools that parse it).
    static func randomAccountId() -> String {
        random(1, from: Array("123456789".utf8)) + random(11, from: digits)
    }

    /// `AKIA` + 16 upper-case letters and digits, as AWS long-term keys look.
    static func randomAccessKeyId() -> String { "AKIA" + random(16, from: upperAlnum) }

    static func randomSecretKey() -> String { random(40, from: secretAlphabet) }
}
