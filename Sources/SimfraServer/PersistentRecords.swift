import SimfraCore
import SimfraPersistence

/// One service's view of the persistence store: records under its own name.
struct PersistentRecords: DurableRecords {
    let store: PersistenceStore
    let service: String

    var isPersistent: Bool { true }

    private func key(_ kind: String, _ account: String, _ region: String, _ id: String) -> RecordKey {
        RecordKey(service: service, kind: kind, account: account, region: region, id: id)
    }

    private func commit(_ ops: [WriteOp]) -> Commit {
        let ticket = store.submit(ops)
        return Commit { try await ticket.wait() }
    }

    func put(kind: String, account: String, region: String, id: String, data: [UInt8]) -> Commit {
        commit([.put(key(kind, account, region, id), data)])
    }

    func delete(kind: String, account: String, region: String, id: String) -> Commit {
        commit([.delete(key(kind, account, region, id))])
    }

    func apply(_ writes: [DurableWrite]) -> Commit {
        commit(writes.map {
            switch $0 {
            case .put(let k, let a, let r, let i, let d): return .put(key(k, a, r, i), d)
            case .delete(let k, let a, let r, let i): return .delete(key(k, a, r, i))
            }
        })
    }

    func loadAll() throws -> [DurableRecord] {
        try store.loadAll(service: service).map {
            DurableRecord(kind: $0.0.kind, account: $0.0.account, region: $0.0.region, id: $0.0.id, data: $0.1)
        }
    }

    func seal(_ plaintext: [UInt8], aad: String) -> [UInt8] { store.seal(plaintext, aad: aad) }

    func unseal(_ sealed: [UInt8], aad: String) throws -> [UInt8] { try store.unseal(sealed, aad: aad) }
}
