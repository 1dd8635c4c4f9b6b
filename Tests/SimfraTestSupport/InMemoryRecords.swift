import SimfraCore
import Synchronization

/// Durable records kept in memory, so a unit test can restore a second service from what the
/// first one wrote. Sealing really transforms the bytes and binds the aad (a 4-byte FNV-1a tag
/// of it, checked on unseal), so a test sees that a sealed field never reaches a record as it
/// was, and that unsealing under another record's aad fails as the real sealer's does.
public final class InMemoryRecords: DurableRecords {
    private let rows = Mutex<[String: DurableRecord]>([:])

    public init() {}

    public var isPersistent: Bool { true }

    private static func key(_ kind: String, _ account: String, _ region: String, _ id: String) -> String {
        "\(kind)|\(account)|\(region)|\(id)"
    }

    public func put(kind: String, account: String, region: String, id: String, data: [UInt8]) -> Commit {
        let record = DurableRecord(kind: kind, account: account, region: region, id: id, data: data)
        rows.withLock { $0[Self.key(kind, account, region, id)] = record }
        return .done
    }

    public func delete(kind: String, account: String, region: String, id: String) -> Commit {
        rows.withLock { $0[Self.key(kind, account, region, id)] = nil }
        return .done
    }

    public func apply(_ writes: [DurableWrite]) -> Commit {
        for w in writes {
            switch w {
            case .put(let k, let a, let r, let i, let d): _ = put(kind: k, account: a, region: r, id: i, data: d)
            case .delete(let k, let a, let r, let i): _ = delete(kind: k, account: a, region: r, id: i)
            }
        }
        return .done
    }

    public func loadAll() throws -> [DurableRecord] {
        rows.withLock { Array($0.values) }.sorted {
            ($0.kind, $0.account, $0.region, $0.id) < ($1.kind, $1.account, $1.region, $1.id)
        }
    }

    public func seal(_ plaintext: [UInt8], aad: String) -> [UInt8] {
        Self.tag(aad) + plaintext.map { $0 ^ 0x5A }
    }

    public func unseal(_ sealed: [UInt8], aad: String) throws -> [UInt8] {
        guard sealed.count >= 4, Array(sealed.prefix(4)) == Self.tag(aad) else {
            throw AWSError.internalFailure("sealed under another aad")
        }
        return sealed.dropFirst(4).map { $0 ^ 0x5A }
    }

    /// How many records are stored.
    public var count: Int { rows.withLock { $0.count } }

    /// Every stored byte, for tests that look for a plaintext where none may be.
    public var allBytes: [UInt8] { rows.withLock { $0.values.flatMap(\.data) } }

    private static func tag(_ aad: String) -> [UInt8] {
        var h: UInt32 = 0x811C_9DC5
        for b in aad.utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return [UInt8(h >> 24), UInt8(truncatingIfNeeded: h >> 16), UInt8(truncatingIfNeeded: h >> 8), UInt8(truncatingIfNeeded: h)]
    }
}
