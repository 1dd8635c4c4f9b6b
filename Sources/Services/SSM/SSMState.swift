/// Every parameter, per account and region, keyed by normalized name (see `ParameterName`).
struct SSMState: Sendable {
    var scopes: [ScopeKey: [String: SSMParameter]] = [:]

    func parameter(_ scope: ScopeKey, _ key: String) -> SSMParameter? { scopes[scope]?[key] }

    /// Parameters of a scope in name order (stable pagination).
    func sorted(_ scope: ScopeKey) -> [SSMParameter] {
        (scopes[scope] ?? [:]).values.sorted { $0.name < $1.name }
    }

    func count(_ scope: ScopeKey, tier: String) -> Int {
        (scopes[scope] ?? [:]).values.reduce(0) { $0 + ($1.latest.tier == tier ? 1 : 0) }
    }
}
