import SimfraCore
import SimfraPolicy
import Synchronization

/// AWS Identity and Access Management: users, groups, roles, managed and inline policies,
/// access keys, login profiles, instance profiles, identity providers, account aliases and
/// the policy simulator. IAM is global: state is keyed by account only, records use region "".
///
/// Besides its API, the service is Simfra's identity directory: it resolves IAM access keys
/// to credentials (`CredentialProvider`) and callers to their assembled policies
/// (`IdentityDirectory`), from caches that every change to an account invalidates.
public final class IAMService: StatefulService, AccountScopedService, Sendable {
    public let serviceName = "iam"
    public var implementedOperations: Set<String> { Self.operations }

    let records: any DurableRecords
    let clock: any SimfraClock
    let state = Mutex(IAMState())

    public init(records: any DurableRecords, clock: any SimfraClock = SystemClock()) {
        self.records = records
        self.clock = clock
    }

    public func handle(operation: String, input: Value, context ctx: RequestContext) async throws -> Value {
        guard let handler = Self.handlers[operation] else {
            throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
        return try await handler(self)(input, ctx)
    }

    typealias Handler = @Sendable (IAMService) -> (Value, RequestContext) async throws -> Value

    static let operations = Set(handlers.keys)

    /// Every implemented operation and its handler, in one place.
    static let handlers: [String: Handler] = [
        // Users
        "CreateUser": { $0.createUser }, "GetUser": { $0.getUser }, "UpdateUser": { $0.updateUser },
        "DeleteUser": { $0.deleteUser }, "ListUsers": { $0.listUsers },
        "TagUser": { $0.tagUser }, "UntagUser": { $0.untagUser }, "ListUserTags": { $0.listUserTags },
        "PutUserPermissionsBoundary": { $0.putUserPermissionsBoundary },
        "DeleteUserPermissionsBoundary": { $0.deleteUserPermissionsBoundary },
        // Groups
        "CreateGroup": { $0.createGroup }, "GetGroup": { $0.getGroup }, "UpdateGroup": { $0.updateGroup },
        "DeleteGroup": { $0.deleteGroup }, "ListGroups": { $0.listGroups },
        "AddUserToGroup": { $0.addUserToGroup }, "RemoveUserFromGroup": { $0.removeUserFromGroup },
        "ListGroupsForUser": { $0.listGroupsForUser },
        // Roles
        "CreateRole": { $0.createRole }, "GetRole": { $0.getRole }, "UpdateRole": { $0.updateRole },
        "UpdateRoleDescription": { $0.updateRoleDescription }, "DeleteRole": { $0.deleteRole },
        "ListRoles": { $0.listRoles }, "UpdateAssumeRolePolicy": { $0.updateAssumeRolePolicy },
        "PutRolePermissionsBoundary": { $0.putRolePermissionsBoundary },
        "DeleteRolePermissionsBoundary": { $0.deleteRolePermissionsBoundary },
        "TagRole": { $0.tagRole }, "UntagRole": { $0.untagRole }, "ListRoleTags": { $0.listRoleTags },
        "CreateServiceLinkedRole": { $0.createServiceLinkedRole },
        "DeleteServiceLinkedRole": { $0.deleteServiceLinkedRole },
        "GetServiceLinkedRoleDeletionStatus": { $0.getServiceLinkedRoleDeletionStatus },
        // Managed policies
        "CreatePolicy": { $0.createPolicy }, "GetPolicy": { $0.getPolicy }, "DeletePolicy": { $0.deletePolicy },
        "ListPolicies": { $0.listPolicies }, "CreatePolicyVersion": { $0.createPolicyVersion },
        "GetPolicyVersion": { $0.getPolicyVersion }, "DeletePolicyVersion": { $0.deletePolicyVersion },
        "ListPolicyVersions": { $0.listPolicyVersions }, "SetDefaultPolicyVersion": { $0.setDefaultPolicyVersion },
        "TagPolicy": { $0.tagPolicy }, "UntagPolicy": { $0.untagPolicy }, "ListPolicyTags": { $0.listPolicyTags },
        "ListEntitiesForPolicy": { $0.listEntitiesForPolicy },
        // Attached and inline policies
        "AttachUserPolicy": { s in { try await s.attach(.user, $0, $1) } },
        "AttachGroupPolicy": { s in { try await s.attach(.group, $0, $1) } },
        "AttachRolePolicy": { s in { try await s.attach(.role, $0, $1) } },
        "DetachUserPolicy": { s in { try await s.detach(.user, $0, $1) } },
        "DetachGroupPolicy": { s in { try await s.detach(.group, $0, $1) } },
        "DetachRolePolicy": { s in { try await s.detach(.role, $0, $1) } },
        "ListAttachedUserPolicies": { s in { try s.listAttached(.user, $0, $1) } },
        "ListAttachedGroupPolicies": { s in { try s.listAttached(.group, $0, $1) } },
        "ListAttachedRolePolicies": { s in { try s.listAttached(.role, $0, $1) } },
        "PutUserPolicy": { s in { try await s.putInline(.user, $0, $1) } },
        "PutGroupPolicy": { s in { try await s.putInline(.group, $0, $1) } },
        "PutRolePolicy": { s in { try await s.putInline(.role, $0, $1) } },
        "GetUserPolicy": { s in { try s.getInline(.user, $0, $1) } },
        "GetGroupPolicy": { s in { try s.getInline(.group, $0, $1) } },
        "GetRolePolicy": { s in { try s.getInline(.role, $0, $1) } },
        "DeleteUserPolicy": { s in { try await s.deleteInline(.user, $0, $1) } },
        "DeleteGroupPolicy": { s in { try await s.deleteInline(.group, $0, $1) } },
        "DeleteRolePolicy": { s in { try await s.deleteInline(.role, $0, $1) } },
        "ListUserPolicies": { s in { try s.listInline(.user, $0, $1) } },
        "ListGroupPolicies": { s in { try s.listInline(.group, $0, $1) } },
        "ListRolePolicies": { s in { try s.listInline(.role, $0, $1) } },
        // Access keys and passwords
        "CreateAccessKey": { $0.createAccessKey }, "UpdateAccessKey": { $0.updateAccessKey },
        "DeleteAccessKey": { $0.deleteAccessKey }, "ListAccessKeys": { $0.listAccessKeys },
        "GetAccessKeyLastUsed": { $0.getAccessKeyLastUsed },
        "CreateLoginProfile": { $0.createLoginProfile }, "GetLoginProfile": { $0.getLoginProfile },
        "UpdateLoginProfile": { $0.updateLoginProfile }, "DeleteLoginProfile": { $0.deleteLoginProfile },
        // Instance profiles
        "CreateInstanceProfile": { $0.createInstanceProfile }, "GetInstanceProfile": { $0.getInstanceProfile },
        "DeleteInstanceProfile": { $0.deleteInstanceProfile }, "ListInstanceProfiles": { $0.listInstanceProfiles },
        "AddRoleToInstanceProfile": { $0.addRoleToInstanceProfile },
        "RemoveRoleFromInstanceProfile": { $0.removeRoleFromInstanceProfile },
        "ListInstanceProfilesForRole": { $0.listInstanceProfilesForRole },
        "TagInstanceProfile": { $0.tagInstanceProfile }, "UntagInstanceProfile": { $0.untagInstanceProfile },
        "ListInstanceProfileTags": { $0.listInstanceProfileTags },
        // Identity providers
        "CreateOpenIDConnectProvider": { $0.createOIDCProvider }, "GetOpenIDConnectProvider": { $0.getOIDCProvider },
        "DeleteOpenIDConnectProvider": { $0.deleteOIDCProvider },
        "ListOpenIDConnectProviders": { $0.listOIDCProviders },
        "AddClientIDToOpenIDConnectProvider": { $0.addClientID },
        "RemoveClientIDFromOpenIDConnectProvider": { $0.removeClientID },
        "UpdateOpenIDConnectProviderThumbprint": { $0.updateThumbprint },
        "TagOpenIDConnectProvider": { $0.tagOIDCProvider }, "UntagOpenIDConnectProvider": { $0.untagOIDCProvider },
        "ListOpenIDConnectProviderTags": { $0.listOIDCProviderTags },
        "CreateSAMLProvider": { $0.createSAMLProvider }, "GetSAMLProvider": { $0.getSAMLProvider },
        "UpdateSAMLProvider": { $0.updateSAMLProvider }, "DeleteSAMLProvider": { $0.deleteSAMLProvider },
        "ListSAMLProviders": { $0.listSAMLProviders }, "TagSAMLProvider": { $0.tagSAMLProvider },
        "UntagSAMLProvider": { $0.untagSAMLProvider }, "ListSAMLProviderTags": { $0.listSAMLProviderTags },
        // Credentials Simfra does not issue yet: their (empty) lists
        "ListMFADevices": { $0.listMFADevices }, "ListSigningCertificates": { $0.listSigningCertificates },
        "ListSSHPublicKeys": { $0.listSSHPublicKeys }, "ListServiceSpecificCredentials": { $0.listServiceSpecificCredentials },
        "ListVirtualMFADevices": { $0.listVirtualMFADevices }, "GetAccountPasswordPolicy": { $0.getAccountPasswordPolicy },
        // Account
        "CreateAccountAlias": { $0.createAccountAlias }, "DeleteAccountAlias": { $0.deleteAccountAlias },
        "ListAccountAliases": { $0.listAccountAliases }, "GetAccountSummary": { $0.getAccountSummary },
        "GetAccountAuthorizationDetails": { $0.getAccountAuthorizationDetails },
        // Policy simulator
        "SimulatePrincipalPolicy": { $0.simulatePrincipalPolicy }, "SimulateCustomPolicy": { $0.simulateCustomPolicy },
    ]

    // MARK: State access

    /// What one mutation changes besides its account's entities.
    struct Changes {
        var writes: [DurableWrite] = []
        /// Access keys created (id → lower-cased user name) or removed.
        var addedKeys: [(String, String)] = []
        var removedKeys: [String] = []
        var parsed: [(IAMState.PolicyCacheKey, Policy)] = []

        /// Validates a document and keeps the parsed form for the directory.
        mutating func parse(_ document: String, _ kind: Policy.Kind) throws(AWSError) {
            let p = try PolicyDocuments.parse(document, kind: kind)
            parsed.append((IAMState.PolicyCacheKey(kind: kind, document: document), p))
        }
    }

    /// Runs a change to one account under the lock and waits for its records to be durable.
    /// Bodies validate before they modify: a thrown error must leave the account unchanged.
    func mutate<R: Sendable>(_ account: String, _ body: (inout IAMAccount, inout Changes) throws -> R) async throws -> R {
        let (result, commit): (R, Commit) = try state.withLock { st in
            var a = st.accounts.removeValue(forKey: account) ?? IAMAccount()
            defer { st.accounts[account] = a }
            var ch = Changes()
            let r = try body(&a, &ch)
            for (id, user) in ch.addedKeys { st.accessKeys[id] = .init(account: account, user: user) }
            for id in ch.removedKeys {
                st.accessKeys[id] = nil
                st.keyLastUsed[id] = nil
            }
            for (k, p) in ch.parsed { st.parsed[k] = p }
            st.generations[account, default: 0] &+= 1
            return (r, ch.writes.isEmpty ? Commit.done : records.apply(ch.writes))
        }
        try await commit.wait()
        return result
    }

    func read<R>(_ account: String, _ body: (IAMAccount) throws -> R) throws -> R {
        try state.withLock { st in
            if let a = st.accounts[account] { return try body(a) }
            return try body(IAMAccount())
        }
    }

    func now() -> Double { clock.now() }

    // MARK: Accounts

    public func removeAccount(_ accountId: String) async throws {
        let commit: Commit = state.withLock { st in
            guard let a = st.accounts.removeValue(forKey: accountId) else { return .done }
            st.generations[accountId, default: 0] &+= 1
            for u in a.users.values {
                for k in u.accessKeys {
                    st.accessKeys[k.id] = nil
                    st.keyLastUsed[k.id] = nil
                }
            }
            st.callers = st.callers.filter { !$0.key.hasPrefix("arn:aws:iam::\(accountId):") }
            return records.apply(Self.deletions(of: a, account: accountId))
        }
        try await commit.wait()
    }
}
