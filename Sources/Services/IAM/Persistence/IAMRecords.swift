import Foundation
import SimfraCore

/// IAM's durable records: one per entity, region "" (IAM is global), the entity as JSON.
/// Users are keyed by their unique id (renames keep the record), providers by URL or name.
/// Access key secrets and passwords are sealed with the data dir's key, bound to the key id
/// or user id, and never reach the database in plain text.
///
/// ```json
/// {"name":"alice","id":"AIDA…","path":"/","created":1700000000,
///  "accessKeys":[{"id":"AKIA…","secret":"<base64 of sealed bytes>","status":"Active",…}],…}
/// ```
enum IAMRecordKind {
    static let user = "user"
    static let group = "group"
    static let role = "role"
    static let policy = "policy"
    static let instanceProfile = "instance-profile"
    static let oidcProvider = "oidc-provider"
    static let samlProvider = "saml-provider"
    static let alias = "account-alias"
}

struct IAMRecordError: Error, CustomStringConvertible {
    var description: String
}

extension IAMService {
    static func encode<T: Encodable>(_ v: T) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        // Encoding plain structs of strings and numbers cannot fail.
        return Array((try? e.encode(v)) ?? Data())
    }

    static func keyAAD(_ account: String, _ keyId: String) -> String { "iam/\(account)/access-key/\(keyId)/secret" }
    static func passwordAAD(_ account: String, _ userId: String) -> String { "iam/\(account)/user/\(userId)/password" }

    func write(_ u: IAMUser, _ account: String) -> DurableWrite {
        var sealed = u
        for i in sealed.accessKeys.indices {
            let s = records.seal(Array(sealed.accessKeys[i].secret.utf8), aad: Self.keyAAD(account, sealed.accessKeys[i].id))
            sealed.accessKeys[i].secret = Base64.encode(s)
        }
        if let p = sealed.loginProfile {
            sealed.loginProfile?.password = Base64.encode(records.seal(Array(p.password.utf8), aad: Self.passwordAAD(account, u.id)))
        }
        return .put(kind: IAMRecordKind.user, account: account, region: "", id: u.id, data: Self.encode(sealed))
    }

    func write(_ g: IAMGroup, _ account: String) -> DurableWrite {
        .put(kind: IAMRecordKind.group, account: account, region: "", id: g.id, data: Self.encode(g))
    }

    func write(_ r: IAMRole, _ account: String) -> DurableWrite {
        .put(kind: IAMRecordKind.role, account: account, region: "", id: r.id, data: Self.encode(r))
    }

    func write(_ p: ManagedPolicy, _ account: String) -> DurableWrite {
        .put(kind: IAMRecordKind.policy, account: account, region: "", id: p.id, data: Self.encode(p))
    }

    func write(_ p: InstanceProfile, _ account: String) -> DurableWrite {
        .put(kind: IAMRecordKind.instanceProfile, account: account, region: "", id: p.id, data: Self.encode(p))
    }

    func write(_ p: OIDCProvider, _ account: String) -> DurableWrite {
        .put(kind: IAMRecordKind.oidcProvider, account: account, region: "", id: p.url, data: Self.encode(p))
    }

    func write(_ p: SAMLProvider, _ account: String) -> DurableWrite {
        .put(kind: IAMRecordKind.samlProvider, account: account, region: "", id: p.name, data: Self.encode(p))
    }

    static func delete(_ kind: String, _ account: String, _ id: String) -> DurableWrite {
        .delete(kind: kind, account: account, region: "", id: id)
    }

    static func deletions(of a: IAMAccount, account: String) -> [DurableWrite] {
        var w: [DurableWrite] = []
        w += a.users.values.map { delete(IAMRecordKind.user, account, $0.id) }
        w += a.groups.values.map { delete(IAMRecordKind.group, account, $0.id) }
        w += a.roles.values.map { delete(IAMRecordKind.role, account, $0.id) }
        w += a.policies.values.map { delete(IAMRecordKind.policy, account, $0.id) }
        w += a.instanceProfiles.values.map { delete(IAMRecordKind.instanceProfile, account, $0.id) }
        w += a.oidcProviders.values.map { delete(IAMRecordKind.oidcProvider, account, $0.url) }
        w += a.samlProviders.values.map { delete(IAMRecordKind.samlProvider, account, $0.name) }
        if a.alias != nil { w.append(delete(IAMRecordKind.alias, account, "alias")) }
        return w
    }

    // MARK: Startup

    public func restore() throws {
        let loaded = try records.loadAll()
        let d = JSONDecoder()
        var accounts: [String: IAMAccount] = [:]
        var keys: [String: IAMState.AccessKeyOwner] = [:]
        func fail(_ r: DurableRecord, _ why: String) -> IAMRecordError {
            IAMRecordError(description: "IAM \(r.kind) record \(r.account)/\(r.id) is unreadable: \(why)")
        }
        func decode<T: Decodable>(_ t: T.Type, _ r: DurableRecord) throws -> T {
            do { return try d.decode(t, from: Data(r.data)) } catch { throw fail(r, "\(error)") }
        }
        func unseal(_ s: String, _ aad: String, _ r: DurableRecord) throws -> String {
            guard let b = Base64.decode(s) else { throw fail(r, "a sealed field is not base64") }
            do {
                return String(decoding: try records.unseal(b, aad: aad), as: UTF8.self)
            } catch {
                throw fail(r, "a sealed field cannot be opened with this key: \(error)")
            }
        }
        for r in loaded {
            var a = accounts[r.account] ?? IAMAccount()
            switch r.kind {
            case IAMRecordKind.user:
                var u = try decode(IAMUser.self, r)
                for i in u.accessKeys.indices {
                    u.accessKeys[i].secret = try unseal(u.accessKeys[i].secret, Self.keyAAD(r.account, u.accessKeys[i].id), r)
                    keys[u.accessKeys[i].id] = .init(account: r.account, user: u.name.lowercased())
                }
                if let p = u.loginProfile {
                    u.loginProfile?.password = try unseal(p.password, Self.passwordAAD(r.account, u.id), r)
                }
                a.users[u.name.lowercased()] = u
            case IAMRecordKind.group:
                let g = try decode(IAMGroup.self, r)
                a.groups[g.name.lowercased()] = g
            case IAMRecordKind.role:
                let x = try decode(IAMRole.self, r)
                a.roles[x.name.lowercased()] = x
            case IAMRecordKind.policy:
                let p = try decode(ManagedPolicy.self, r)
                a.policies[p.name.lowercased()] = p
            case IAMRecordKind.instanceProfile:
                let p = try decode(InstanceProfile.self, r)
                a.instanceProfiles[p.name.lowercased()] = p
            case IAMRecordKind.oidcProvider:
                let p = try decode(OIDCProvider.self, r)
                a.oidcProviders[p.url] = p
            case IAMRecordKind.samlProvider:
                let p = try decode(SAMLProvider.self, r)
                a.samlProviders[p.name] = p
            case IAMRecordKind.alias:
                a.alias = String(decoding: r.data, as: UTF8.self)
            default:
                throw fail(r, "unknown record kind")
            }
            accounts[r.account] = a
        }
        state.withLock { st in
            st.accounts = accounts
            st.accessKeys = keys
            st.callers = [:]
            st.generations = [:]
        }
    }
}
