import SimfraCore

/// OpenID Connect and SAML identity providers.
extension IAMService {
    static func noSuchOIDC(_ arn: String) -> AWSError {
        IAMError.noSuchEntity("OpenIDConnect Provider not found for arn \(arn)")
    }

    static func noSuchSAML(_ arn: String) -> AWSError {
        IAMError.noSuchEntity("SAMLProvider not found for arn \(arn)")
    }

    /// The URL key of an OIDC provider ARN of `account`.
    static func oidcKey(_ arn: String, _ account: String) -> String? {
        let prefix = "arn:aws:iam::\(account):oidc-provider/"
        return arn.hasPrefix(prefix) ? String(arn.dropFirst(prefix.count)) : nil
    }

    static func samlKey(_ arn: String, _ account: String) -> String? {
        let prefix = "arn:aws:iam::\(account):saml-provider/"
        return arn.hasPrefix(prefix) ? String(arn.dropFirst(prefix.count)) : nil
    }

    func modifyOIDC(_ arn: String, _ ctx: RequestContext, _ body: (inout OIDCProvider) throws -> Void) async throws -> Value {
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard let key = Self.oidcKey(arn, account), var p = a.oidcProviders[key] else { throw Self.noSuchOIDC(arn) }
            try body(&p)
            a.oidcProviders[key] = p
            ch.writes.append(write(p, account))
            return .empty
        }
    }

    func createOIDCProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let raw = input.required("Url")
        guard raw.hasPrefix("https://"), raw.count > "https://".count else {
            throw IAMError.invalidInput("Invalid Open ID Connect Provider URL")
        }
        var url = String(raw.dropFirst("https://".count))
        while url.hasSuffix("/") { url.removeLast() }
        let clients = input.stringList("ClientIDList") ?? []
        let thumbprints = input.stringList("ThumbprintList") ?? []
        if thumbprints.count > 5 { throw IAMError.invalidInput("Thumbprint list must contain fewer than 5 entries.") }
        let tags = try Validation.tags(input)
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard a.oidcProviders[url] == nil else { throw IAMError.alreadyExists("Provider with url \(raw) already exists.") }
            let p = OIDCProvider(url: url, clientIds: clients, thumbprints: thumbprints, created: now, tags: tags)
            a.oidcProviders[url] = p
            ch.writes.append(write(p, account))
            var out: [String: Value] = ["OpenIDConnectProviderArn": .string(p.arn(account))]
            if !tags.isEmpty { out["Tags"] = tags.values }
            return .object(out)
        }
    }

    func getOIDCProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("OpenIDConnectProviderArn")
        let account = ctx.accountId
        return try read(account) { a in
            guard let key = Self.oidcKey(arn, account), let p = a.oidcProviders[key] else { throw Self.noSuchOIDC(arn) }
            var out: [String: Value] = [
                "Url": .string(p.url), "ClientIDList": .list(p.clientIds.map(Value.string)),
                "ThumbprintList": .list(p.thumbprints.map(Value.string)), "CreateDate": .timestamp(p.created),
            ]
            if !p.tags.isEmpty { out["Tags"] = p.tags.values }
            return .object(out)
        }
    }

    func deleteOIDCProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("OpenIDConnectProviderArn")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard let key = Self.oidcKey(arn, account), a.oidcProviders[key] != nil else { throw Self.noSuchOIDC(arn) }
            a.oidcProviders[key] = nil
            ch.writes.append(Self.delete(IAMRecordKind.oidcProvider, account, key))
            return .empty
        }
    }

    func listOIDCProviders(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let account = ctx.accountId
        return try read(account) { a in
            ["OpenIDConnectProviderList": .list(a.oidcProviders.keys.sorted().map { ["Arn": .string(a.oidcProviders[$0]!.arn(account))] })]
        }
    }

    func addClientID(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let id = input.required("ClientID")
        return try await modifyOIDC(input.required("OpenIDConnectProviderArn"), ctx) { p in
            if !p.clientIds.contains(id) { p.clientIds.append(id) }
        }
    }

    func removeClientID(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let id = input.required("ClientID")
        return try await modifyOIDC(input.required("OpenIDConnectProviderArn"), ctx) { p in
            p.clientIds.removeAll { $0 == id }
        }
    }

    func updateThumbprint(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let list = input.stringList("ThumbprintList") ?? []
        if list.count > 5 { throw IAMError.invalidInput("Thumbprint list must contain fewer than 5 entries.") }
        return try await modifyOIDC(input.required("OpenIDConnectProviderArn"), ctx) { p in p.thumbprints = list }
    }

    func tagOIDCProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let tags = try Validation.tags(input)
        return try await modifyOIDC(input.required("OpenIDConnectProviderArn"), ctx) { p in
            try Validation.merge(tags, into: &p.tags)
        }
    }

    func untagOIDCProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let keys = input.stringList("TagKeys") ?? []
        return try await modifyOIDC(input.required("OpenIDConnectProviderArn"), ctx) { p in
            Validation.untag(keys, from: &p.tags)
        }
    }

    func listOIDCProviderTags(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("OpenIDConnectProviderArn")
        let account = ctx.accountId
        return try read(account) { a in
            guard let key = Self.oidcKey(arn, account), let p = a.oidcProviders[key] else { throw Self.noSuchOIDC(arn) }
            return try Self.tagPage(p.tags, input)
        }
    }

    // MARK: SAML

    /// `validUntil` of SAML metadata: a year after upload unless the document says otherwise.
    static func samlValidUntil(_ metadata: String, now: Double) -> Double {
        now + 365 * 86400
    }

    func createSAMLProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.required("Name")
        try Validation.name(name, member: "name")
        let metadata = input.required("SAMLMetadataDocument")
        guard metadata.contains("EntityDescriptor") else {
            throw IAMError.invalidInput("Could not parse metadata")
        }
        let tags = try Validation.tags(input)
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard a.samlProviders[name] == nil else {
                throw IAMError.alreadyExists("SAMLProvider named \(name) already exists")
            }
            let p = SAMLProvider(name: name, metadata: metadata, created: now, validUntil: Self.samlValidUntil(metadata, now: now), tags: tags)
            a.samlProviders[name] = p
            ch.writes.append(write(p, account))
            var out: [String: Value] = ["SAMLProviderArn": .string(p.arn(account))]
            if !tags.isEmpty { out["Tags"] = tags.values }
            return .object(out)
        }
    }

    func getSAMLProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("SAMLProviderArn")
        let account = ctx.accountId
        return try read(account) { a in
            guard let key = Self.samlKey(arn, account), let p = a.samlProviders[key] else { throw Self.noSuchSAML(arn) }
            var out: [String: Value] = [
                "SAMLMetadataDocument": .string(p.metadata), "CreateDate": .timestamp(p.created),
                "ValidUntil": .timestamp(p.validUntil),
            ]
            if !p.tags.isEmpty { out["Tags"] = p.tags.values }
            return .object(out)
        }
    }

    func updateSAMLProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("SAMLProviderArn")
        let metadata = input.string("SAMLMetadataDocument")
        let now = now()
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard let key = Self.samlKey(arn, account), var p = a.samlProviders[key] else { throw Self.noSuchSAML(arn) }
            if let metadata {
                guard metadata.contains("EntityDescriptor") else { throw IAMError.invalidInput("Could not parse metadata") }
                p.metadata = metadata
                p.validUntil = Self.samlValidUntil(metadata, now: now)
            }
            a.samlProviders[key] = p
            ch.writes.append(write(p, account))
            return ["SAMLProviderArn": .string(arn)]
        }
    }

    func deleteSAMLProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("SAMLProviderArn")
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard let key = Self.samlKey(arn, account), a.samlProviders[key] != nil else { throw Self.noSuchSAML(arn) }
            a.samlProviders[key] = nil
            ch.writes.append(Self.delete(IAMRecordKind.samlProvider, account, key))
            return .empty
        }
    }

    func listSAMLProviders(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let account = ctx.accountId
        return try read(account) { a in
            [
                "SAMLProviderList": .list(a.samlProviders.keys.sorted().map { k in
                    let p = a.samlProviders[k]!
                    return ["Arn": .string(p.arn(account)), "ValidUntil": .timestamp(p.validUntil), "CreateDate": .timestamp(p.created)]
                })
            ]
        }
    }

    func modifySAML(_ arn: String, _ ctx: RequestContext, _ body: (inout SAMLProvider) throws -> Void) async throws -> Value {
        let account = ctx.accountId
        return try await mutate(account) { a, ch in
            guard let key = Self.samlKey(arn, account), var p = a.samlProviders[key] else { throw Self.noSuchSAML(arn) }
            try body(&p)
            a.samlProviders[key] = p
            ch.writes.append(write(p, account))
            return .empty
        }
    }

    func tagSAMLProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let tags = try Validation.tags(input)
        return try await modifySAML(input.required("SAMLProviderArn"), ctx) { p in try Validation.merge(tags, into: &p.tags) }
    }

    func untagSAMLProvider(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let keys = input.stringList("TagKeys") ?? []
        return try await modifySAML(input.required("SAMLProviderArn"), ctx) { p in Validation.untag(keys, from: &p.tags) }
    }

    func listSAMLProviderTags(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let arn = input.required("SAMLProviderArn")
        let account = ctx.accountId
        return try read(account) { a in
            guard let key = Self.samlKey(arn, account), let p = a.samlProviders[key] else { throw Self.noSuchSAML(arn) }
            return try Self.tagPage(p.tags, input)
        }
    }
}
