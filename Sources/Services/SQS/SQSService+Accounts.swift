import SimfraCore

extension SQSService: AccountScopedService {
    /// Deletes every queue of the account in every region as DeleteQueue does (parked long
    /// polls end, messages go), with its move tasks and deletion cooldowns, in one commit.
    /// Queues of other accounts that name one of these as their dead-letter queue keep the
    /// redrive policy, as in AWS when a dead-letter queue is deleted.
    public func removeAccount(_ accountId: String) async throws {
        let now = clock.now()
        let commit = state.withLock { st -> Commit in
            var writes: [DurableWrite] = []
            let keys = st.queues.keys.filter { $0.accountId == accountId }
            for key in keys {
                guard let q = st.queues.removeValue(forKey: key) else { continue }
                releaseWaiters(q)
                q.purge(now: now)
                writes.append(.delete(kind: QueueRecord.kind, account: key.accountId, region: key.region, id: key.name))
            }
            st.moveTasks = st.moveTasks.filter { QueueARN($0.key)?.accountId != accountId }
            st.recentlyDeleted = st.recentlyDeleted.filter { $0.key.accountId != accountId }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        try await commit.wait()
    }
}
