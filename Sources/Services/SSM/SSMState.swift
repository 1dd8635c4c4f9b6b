/// Every parameter, per account and region, keyed by normalized name (see `ParameterName`).
///
/// A parameter whose `Expiration` policy has passed is gone, as Parameter Store deletes it
/// then: every accessor taking `now` skips it, and the next write to the name (or a delete)
/// removes it for good. Nothing runs on a timer.
struct SSMState: Sendable {
    var scopes: [ScopeKey: [String: SSMParameter]] = [:]

    func parameter(_ scope: ScopeKey, _ key: String, now: Double) -> SSMParameter? {
        guard let p = scopes[scope]?[key], !p.isExpired(at: now) else { return nil }
        return p
    }

    /// Parameters of a scope in name order (stable pagination).
    func sorted(_ scope: ScopeKey, now: Double) -> [SSMParameter] {
        (scopes[scope] ?? [:]).values.filter { !$0.isExpired(at: now) }.sorted { $0.name < $1.name }
    }

    func count(_ scope: ScopeKey, tier: String) -> Int {
        (scopes[scope] ?? [:]).values.reduce(0) { $0 + ($1.latest.tier == tier ? 1 : 0) }
    }
}
