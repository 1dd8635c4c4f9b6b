import SimfraCore

extension DynamoDBService: AccountScopedService {
    /// Deletes every table of the account in every region with every item, and drops their
    /// streams (DynamoDB Streams reads the same state, so this covers it), in one commit.
    /// Deletion protection does not apply: the account itself is going.
    public func removeAccount(_ accountId: String) async throws {
        // Table keys are "<account>/<region>/<name>".
        let prefix = accountId + "/"
        let commit = state.withLock { s -> Commit in
            var writes: [DurableWrite] = []
            let keys = s.tables.keys.filter { $0.hasPrefix(prefix) }
            for key in keys {
                guard let t = s.tables.removeValue(forKey: key) else { continue }
                if records.isPersistent {
                    for (pk, entries) in t.store.partitions {
                        for e in entries { writes.append(itemWrite(t, (pk, e.sort), nil)) }
                    }
                }
                writes.append(.delete(kind: "table", account: t.account, region: t.region, id: t.name))
            }
            // Stream ARNs name their table's account: arn:aws:dynamodb:<region>:<account>:table/…
            s.streams = s.streams.filter { arn, _ in
                let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
                return parts.count < 5 || parts[4] != accountId
            }
            return persist(writes)
        }
        try await commit.wait()
    }
}
