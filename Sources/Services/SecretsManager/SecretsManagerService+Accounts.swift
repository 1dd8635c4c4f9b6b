import SimfraCore

extension SecretsManagerService: AccountScopedService {
    /// Deletes every secret of the account in every region, with every version, in one commit.
    public func removeAccount(_ accountId: String) async throws {
        let commit = state.withLock { st -> Commit in
            var writes: [DurableWrite] = []
            for key in st.secrets.keys where key.account == accountId {
                for name in (st.secrets[key] ?? [:]).keys {
                    let ref = SecretRef(account: key.account, region: key.region, name: name)
                    writes.append(unpersist(ref))
                    st.scheduled[ref] = nil
                }
                st.secrets[key] = nil
            }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        try await commit.wait()
    }
}
