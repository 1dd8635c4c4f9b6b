import SimfraCore

/// Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.
extension KMSService {
    /// `alias/` then letters, digits, `/`, `_`, `-` (and `:`, which AWS's pattern admits);
    /// `alias/aws/` is reserved for AWS-managed keys.
    static func validateAliasName(_ name: String) throws {
        guard name.hasPrefix("alias/") else {
            throw KMSError.validation(
                "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
        }
        let rest = name.dropFirst("alias/".count)
        let ok = !rest.isEmpty && rest.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "/") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ":")
        }
        guard ok else {
            throw KMSError.constraint(name, at: "aliasName", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
        }
        if name.hasPrefix("alias/aws/") {
            throw KMSError.notAuthorized("Cannot create or change an alias with the reserved prefix alias/aws/.")
        }
    }

    /// An alias's target must be a customer-managed key named by id or ARN, not an alias.
    private func aliasTarget(_ st: inout KMSState, _ input: Value, _ ctx: RequestContext,
                             _ writes: inout [DurableWrite]) throws -> KMSKey
    {
        let id = input.string("TargetKeyId") ?? ""
        if case .alias = try KeyIdentifier.parse(id, ctx) {
            throw KMSError.validation("Aliases must refer to keys. Not aliases")
        }
        let ref = try resolve(&st, id, ctx, &writes)
        let key = st.keys[ref]!
        guard ref.account == ctx.accountId else { throw KMSError.keyNotFound(ref.arn) }
        if key.manager == "AWS" {
            throw KMSError.notAuthorized("Cannot point an alias at an AWS managed key.")
        }
        if key.state == .pendingDeletion { throw KMSError.pendingDeletion(key.arn) }
        return key
    }

    func createAlias(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("AliasName") ?? ""
        try Self.validateAliasName(name)
        return try await mutate { st, writes in
            let key = try aliasTarget(&st, input, ctx, &writes)
            let aref = AliasRef(account: ctx.accountId, region: ctx.region, name: name)
            if st.aliases[aref] != nil {
                throw KMSError.alreadyExists("An alias with the name \(aref.arn) already exists")
            }
            let now = clock.now()
            let alias = KMSAlias(ref: aref, targetKeyId: key.keyId, created: now, updated: now)
            st.aliases[aref] = alias
            writes.append(aliasWrite(alias))
            return .empty
        }
    }

    func updateAlias(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("AliasName") ?? ""
        try Self.validateAliasName(name)
        return try await mutate { st, writes in
            let aref = AliasRef(account: ctx.accountId, region: ctx.region, name: name)
            guard var alias = st.aliases[aref] else { throw KMSError.aliasNotFound(aref.arn) }
            let key = try aliasTarget(&st, input, ctx, &writes)
            // The new key must do what the old one did (same usage, both symmetric or not),
            // so code using the alias keeps working.
            if let old = st.keys[KeyRef(account: aref.account, region: aref.region, keyId: alias.targetKeyId)],
                old.keyUsage != key.keyUsage || old.isSymmetric != key.isSymmetric
            {
                throw KMSError.validation(
                    "\(key.arn) key usage is \(key.keyUsage) and key spec is \(key.keySpec), which is not compatible with the key the alias refers to (\(old.keyUsage), \(old.keySpec)).")
            }
            alias.targetKeyId = key.keyId
            alias.updated = clock.now()
            st.aliases[aref] = alias
            writes.append(aliasWrite(alias))
            return .empty
        }
    }

    func deleteAlias(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("AliasName") ?? ""
        try Self.validateAliasName(name)
        return try await mutate { st, writes in
            let aref = AliasRef(account: ctx.accountId, region: ctx.region, name: name)
            guard st.aliases.removeValue(forKey: aref) != nil else { throw KMSError.aliasNotFound(aref.arn) }
            writes.append(.delete(kind: AliasRecord.kind, account: aref.account, region: aref.region, id: aref.name))
            return .empty
        }
    }

    func listAliases(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try await mutate { st, writes in
            var filter: String?
            if let id = input.string("KeyId") {
                // Only a key id or key ARN filters; the key must exist.
                if case .alias = try KeyIdentifier.parse(id, ctx) { throw KMSError.invalidArn("Invalid arn \(id)") }
                filter = try resolve(&st, id, ctx, &writes).keyId
            }
            let all = st.aliases.values
                .filter { $0.ref.account == ctx.accountId && $0.ref.region == ctx.region }
                .filter { filter == nil || $0.targetKeyId == filter }
                .sorted { $0.ref.name < $1.ref.name }
            let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.ref.name, $0) })
            let page = try Pagination.page(all.map(\.ref.name), input)
            return Pagination.output("Aliases", page.items.map { n in
                let a = byName[n]!
                return [
                    "AliasName": .string(n), "AliasArn": .string(a.ref.arn), "TargetKeyId": .string(a.targetKeyId),
                    "CreationDate": .timestamp(a.created), "LastUpdatedDate": .timestamp(a.updated),
                ]
            }, next: page.next)
        }
    }
}
