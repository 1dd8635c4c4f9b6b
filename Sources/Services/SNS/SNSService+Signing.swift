import SimfraCore

/// The per-region signing keys: made on first need, written through sealed before any
/// message signed with them leaves, and restored at startup so old signatures still verify.
extension SNSService {
    func signingKey(region: String) async throws -> SigningKey {
        let (key, commit) = try signingKeys.withLock { keys throws -> (SigningKey, Commit) in
            if let k = keys[region] { return (k, .done) }
            let k = try SigningKey.generate(region: region)
            keys[region] = k
            return (k, records.put(kind: SigningKey.kind, account: SigningKey.recordAccount, region: region,
                                   id: region, data: k.encode(records)))
        }
        try await commit.wait()
        return key
    }

    /// The PEM certificate served at `/_simfra/sns/<file name>` (unsigned, as AWS serves its own).
    public func certificatePEM(fileName: String) -> String? {
        signingKeys.withLock { keys in keys.values.first { $0.certificateFileName == fileName }?.certificatePEM }
    }

    static func certificateURL(_ key: SigningKey, endpoint: String) -> String {
        "\(endpoint)/_simfra/sns/\(key.certificateFileName)"
    }
}
