import SimfraCore

extension S3Service: AccountScopedService {
    /// Forgets every bucket the account owns, with every object version, delete marker and
    /// in-progress upload in it, in one atomic commit. The bodies are retired once it is
    /// durable: removed after the blob store's grace period, like any deleted body, so a live
    /// copy of the data directory stays consistent (or at the next start's sweep).
    public func removeAccount(_ accountId: String) async throws {
        let (commit, paths) = state.withLock { s -> (Commit, [String]) in
            var writes: [DurableWrite] = []
            var paths: [String] = []
            var owned: [String: Bucket] = [:]
            for b in s.buckets.values where b.owner == accountId { owned[b.name] = b }
            for b in owned.values {
                b.objects.forEach { key, versions in
                    for v in versions {
                        if records.isPersistent {
                            writes.append(.delete(kind: S3Records.objectKind, account: b.owner, region: b.region,
                                                  id: S3Records.objectID(bucket: b.name, key: key, versionId: v.versionId)))
                        }
                        if let p = v.blobPath { paths.append(p) }
                    }
                }
                writes.append(.delete(kind: S3Records.bucketKind, account: b.owner, region: b.region, id: b.name))
                s.buckets[b.name] = nil
            }
            // Uploads go with their bucket (an upload into a bucket of another account stays).
            for (id, u) in s.uploads {
                guard let b = owned[u.bucket] else { continue }
                s.uploads[id] = nil
                writes += Self.uploadRemoval(u, owner: b.owner, region: b.region)
                paths += u.parts.values.compactMap(\.blobPath)
            }
            if s.sseKeys.removeValue(forKey: accountId) != nil {
                writes.append(.delete(kind: Self.sseKeyKind, account: accountId, region: "", id: Self.sseKeyID))
            }
            return (writes.isEmpty ? .done : records.apply(writes), paths)
        }
        try await commit.wait()
        removeBodies(paths)
    }
}
