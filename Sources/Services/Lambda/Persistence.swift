import Foundation
import SimfraCore
import SimfraProtocols

/// A function's durable record (id: its name, validated): `{"v":1,"latest":…,"versions":[…],
/// "lastVersion":n,"aliases":{…},"policies":{"<qualifier>":[…]},"tags":{…}}`, sealed as a whole
/// because environment variables hold secrets (AWS encrypts them under KMS). The zips are
/// files in the `CodeStore`, named by their hash.
enum FunctionRecord {
    static let kind = "function"
    static let version = 1

    static func aad(_ key: FunctionKey) -> String { "lambda/function/\(key.accountId)/\(key.region)/\(key.name)" }

    static func encode(_ f: LambdaFunction) -> [UInt8] {
        var doc: Value = [
            "v": .integer(Int64(version)), "latest": f.latest, "versions": .list(f.versions),
            "lastVersion": .integer(Int64(f.lastVersion)), "aliases": .object(f.aliases),
            "policies": .object(f.policies.mapValues { .list($0) }), "tags": .object(f.tags.mapValues { .string($0) }),
        ]
        if let r = f.reservedConcurrency { doc["reservedConcurrency"] = .integer(Int64(r)) }
        var w = ByteWriter()
        JSONShapeCodec.writeGeneric(doc, into: &w)
        return w.bytes
    }

    static func decode(_ r: DurableRecord, plaintext: [UInt8]) throws -> LambdaFunction {
        guard let doc = try? JSONReader.parse(plaintext), case .object = doc else { throw fail(r, "not a JSON object") }
        guard let v = doc.int("v") else { throw fail(r, "no version") }
        guard v <= version else { throw fail(r, "record version \(v) is newer than this Simfra understands (\(version))") }
        guard let latest = doc["latest"], case .object = latest else { throw fail(r, "no $LATEST configuration") }
        var f = LambdaFunction(key: FunctionKey(accountId: r.account, region: r.region, name: r.id), latest: latest)
        f.versions = doc["versions"]?.listValue ?? []
        f.lastVersion = doc.int("lastVersion") ?? 0
        f.aliases = doc["aliases"]?.objectValue ?? [:]
        for (q, l) in doc["policies"]?.objectValue ?? [:] { f.policies[q] = l.listValue ?? [] }
        f.tags = doc.stringMap("tags") ?? [:]
        f.reservedConcurrency = doc.int("reservedConcurrency")
        return f
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func fail(_ r: DurableRecord, _ why: String) -> Failure {
        Failure(description: "Lambda \(r.kind) record \(r.account)/\(r.region)/\(r.id) is unreadable: \(why)")
    }
}

extension LambdaService {
    public func restore() throws {
        var loaded: [LambdaFunction] = []
        for r in try records.loadAll() where r.kind == FunctionRecord.kind {
            let key = FunctionKey(accountId: r.account, region: r.region, name: r.id)
            let plain = try records.unseal(r.data, aad: FunctionRecord.aad(key))
            loaded.append(try FunctionRecord.decode(r, plaintext: plain))
        }
        state.withLock { s in
            for f in loaded { s.functions[f.key] = f }
        }
    }

    /// The function's record as it now is. Call under the lock; await the commit after.
    func persist(_ f: LambdaFunction) -> Commit {
        records.put(kind: FunctionRecord.kind, account: f.key.accountId, region: f.key.region, id: f.key.name,
                    data: records.seal(FunctionRecord.encode(f), aad: FunctionRecord.aad(f.key)))
    }

    /// Deleting or resetting an account removes its functions in every region, and their zips.
    public func removeAccount(_ accountId: String) async throws {
        let (commit, hashes) = state.withLock { s -> (Commit, Set<String>) in
            var writes: [DurableWrite] = []
            var hashes = Set<String>()
            for (k, f) in s.functions where k.accountId == accountId {
                s.functions[k] = nil
                hashes.formUnion(f.codeHashes)
                writes.append(.delete(kind: FunctionRecord.kind, account: k.accountId, region: k.region, id: k.name))
            }
            return (writes.isEmpty ? .done : records.apply(writes), hashes)
        }
        try await commit.wait()
        stopEnvironments { $0.split(separator: ":").dropFirst(4).first.map(String.init) == accountId }
        for sha in hashes { code.remove(account: accountId, sha256: sha) }
    }
}
