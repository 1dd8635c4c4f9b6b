import SimfraCore
import Synchronization

/// A late-bound lookup of every signing key the server accepts (root keys, IAM access keys,
/// STS sessions), for `GetAccessKeyInfo`. STS is built before the dispatcher that owns that
/// lookup, so the server binds it afterwards; unbound, only STS's own sessions are known.
package final class AccessKeyResolver: Sendable {
    private let lookup = Mutex<(@Sendable (String) -> Credential?)?>(nil)

    package init() {}

    package func bind(_ resolve: @escaping @Sendable (String) -> Credential?) {
        lookup.withLock { $0 = resolve }
    }

    package func credential(forAccessKeyId id: String) -> Credential? {
        let resolve = lookup.withLock { $0 }
        return resolve?(id)
    }
}
