import SimfraCore

/// Deleting or resetting an account ends its temporary credentials: a session token the root
/// took before the wipe must not outlive the account's keys.
extension STSService: AccountScopedService {
    public func removeAccount(_ accountId: String) async throws {
        sessions.removeAccount(accountId)
    }
}
