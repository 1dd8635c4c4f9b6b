import SimfraCore
import Synchronization

/// The temporary credentials STS has issued (`ASIA…` keys), as a `CredentialProvider` the
/// dispatcher consults when verifying signatures.
///
/// Transient by design: never persisted, so a restart ends every session (Simfra documents
/// it). Expired sessions stay for `retention` after their expiry so a client still holding
/// them is told `ExpiredToken` rather than that the key does not exist; past that they are
/// dropped lazily when a new session is added (no timer thread).
package final class SessionStore: CredentialProvider {
    /// How long an expired session is still recognised as expired.
    package static let retention: Double = 24 * 3600
    /// How often, at most, an insertion sweeps out sessions past their retention.
    static let sweepInterval: Double = 60

    private struct State {
        var byKey: [String: Credential] = [:]
        var nextSweep: Double = 0
    }

    private let clock: any SimfraClock
    private let state = Mutex(State())

    package init(clock: any SimfraClock) {
        self.clock = clock
    }

    package func credential(forAccessKeyId id: String) -> Credential? {
        guard id.hasPrefix("ASIA") else { return nil }
        return state.withLock { $0.byKey[id] }
    }

    /// The session behind a caller's access key, when the caller signed with temporary
    /// credentials (expired ones included: the signature check has already refused those).
    package func session(forAccessKeyId id: String) -> Credential? {
        credential(forAccessKeyId: id)
    }

    package func add(_ credential: Credential) {
        let now = clock.now()
        state.withLock { s in
            if now >= s.nextSweep {
                s.byKey = s.byKey.filter { ($0.value.expiration ?? .infinity) + Self.retention > now }
                s.nextSweep = now + Self.sweepInterval
            }
            s.byKey[credential.accessKeyId] = credential
        }
    }

    /// Ends every session of an account (the account was deleted or reset).
    package func removeAccount(_ accountId: String) {
        state.withLock { s in s.byKey = s.byKey.filter { $0.value.accountId != accountId } }
    }

    /// Sessions held, expired ones not yet swept included.
    package var count: Int { state.withLock { $0.byKey.count } }
}
