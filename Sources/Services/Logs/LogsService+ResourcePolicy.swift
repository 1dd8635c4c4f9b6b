import SimfraCore

/// CloudWatch Logs' resource policies are the account's (up to ten per region), each naming
/// the log groups it covers in its statements' `Resource`. They are how AWS services write to
/// a user's log groups (EventBridge targets, Route 53 query logs): the authoriser evaluates
/// every one of the owner's policies in the resource's region, matching `Resource` itself.
extension LogsService: ResourcePolicyService {
    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? {
        guard let key = Self.regionKey(of: arn) else { return nil }
        let documents = state.withLock { st in
            (st.policies[key] ?? [:]).values.sorted { $0.name < $1.name }.map(\.document)
        }
        guard let first = documents.first else { return nil }
        return ResourcePolicyDocument(document: first, ownerAccount: key.account, additionalDocuments: Array(documents.dropFirst()))
    }

    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        Self.regionKey(of: arn)?.account
    }

    /// `arn:aws:logs:<region>:<account>:…`
    static func regionKey(of arn: String) -> RegionKey? {
        let p = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard p.count == 6, p[0] == "arn", p[2] == "logs", !p[3].isEmpty, !p[4].isEmpty else { return nil }
        return RegionKey(account: String(p[4]), region: String(p[3]))
    }
}
