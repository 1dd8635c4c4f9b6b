import SimfraCore

extension SSMService {
    /// A parameter as the read operations see it: the account's own, or a public one.
    func lookup(_ name: String, _ ctx: RequestContext) -> SSMParameter? {
        if ParameterName.isPublic(name) { return PublicParameters.parameter(name, region: ctx.region) }
        let now = clock.now()
        return state.withLock { $0.parameter(Self.scope(ctx), ParameterName.key(name), now: now) }
    }

    /// The version a reference selects; nil when the parameter does not exist. A selector
    /// naming no version or label of an existing parameter is `ParameterVersionNotFound`.
    func resolve(_ ref: ParameterName.Reference, _ ctx: RequestContext) throws(AWSError) -> (SSMParameter, ParameterVersion)? {
        guard let p = lookup(ref.name, ctx) else { return nil }
        guard let selector = ref.selector else { return (p, p.latest) }
        if let v = ref.version {
            guard let found = p.version(v) else { throw SSMError.versionNotFound(selector, p.name) }
            return (p, found)
        }
        guard let found = p.version(labelled: selector) else { throw SSMError.versionNotFound(selector, p.name) }
        return (p, found)
    }

    /// A SecureString's value: the stored ciphertext, or decrypted by KMS as the caller.
    func value(of v: ParameterVersion, _ p: SSMParameter, decrypt: Bool, _ ctx: RequestContext) async throws -> String {
        guard v.isSecure, decrypt else { return v.value }
        return try await secure.decrypt(v.value, arn: Self.arn(ctx, p.name), envelope: v.envelope, ctx: ctx)
    }

    /// The `Parameter` shape of GetParameter(s)/ByPath.
    func render(_ p: SSMParameter, _ v: ParameterVersion, selector: String?, decrypt: Bool, _ ctx: RequestContext) async throws -> Value {
        let shown = try await value(of: v, p, decrypt: decrypt, ctx)
        var o: [String: Value] = [
            "Name": .string(p.name), "Type": .string(v.type), "Value": .string(shown),
            "Version": .integer(v.version), "LastModifiedDate": .timestamp(v.lastModified),
            "ARN": .string(Self.arn(ctx, p.name)), "DataType": .string(v.dataType),
        ]
        if let s = selector { o["Selector"] = .string(":" + s) }
        return .object(o)
    }

    func getParameter(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        guard let ref = ParameterName.reference(input.string("Name") ?? ""), let found = try resolve(ref, ctx) else {
            throw SSMError.notFound()
        }
        let rendered = try await render(found.0, found.1, selector: ref.selector, decrypt: input.flag("WithDecryption"), ctx)
        return ["Parameter": rendered]
    }

    func getParameters(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        var seen: Set<String> = []
        var found: [Value] = []
        var invalid: [Value] = []
        let decrypt = input.flag("WithDecryption")
        for name in input.stringList("Names") ?? [] where seen.insert(name).inserted {
            guard let ref = ParameterName.reference(name) else {
                invalid.append(.string(name))
                continue
            }
            let resolved: (SSMParameter, ParameterVersion)?
            do { resolved = try resolve(ref, ctx) } catch { resolved = nil }
            guard let r = resolved else {
                invalid.append(.string(name))
                continue
            }
            found.append(try await render(r.0, r.1, selector: ref.selector, decrypt: decrypt, ctx))
        }
        return ["Parameters": .list(found), "InvalidParameters": .list(invalid)]
    }

    static let pathMessage =
        "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_."

    func getParametersByPath(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let path = (input.string("Path") ?? "").trimmingSpaces
        guard path.hasPrefix("/"), !path.contains("//"),
            path.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/_.-".contains($0)) })
        else { throw SSMError.validation(Self.pathMessage) }
        let filters = try ParameterFilters.parse(input["ParameterFilters"]?.listValue ?? [], byPath: true)
        let recursive = input.flag("Recursive")
        let prefix = path.hasSuffix("/") ? path : path + "/"
        let now = clock.now()
        let candidates = ParameterName.isPublic(prefix)
            ? PublicParameters.all(region: ctx.region, under: prefix)
            : state.withLock { $0.sorted(Self.scope(ctx), now: now) }
        let matching = candidates.filter { p in
            guard p.name.hasPrefix(prefix), p.name.count > prefix.count else { return false }
            if !recursive && p.name.dropFirst(prefix.count).contains("/") { return false }
            return ParameterFilters.matches(p, filters)
        }
        let (page, next) = try Self.page(matching, token: input.string("NextToken"), max: input.int("MaxResults") ?? 10)
        var out: [Value] = []
        let decrypt = input.flag("WithDecryption")
        for p in page { out.append(try await render(p, p.latest, selector: nil, decrypt: decrypt, ctx)) }
        var result: [String: Value] = ["Parameters": .list(out)]
        if let next { result["NextToken"] = .string(next) }
        return .object(result)
    }

    /// One page of name-sorted parameters after the token's name. Tokens are opaque to
    /// clients: the base64 of the last name returned.
    static func page(_ items: [SSMParameter], token: String?, max: Int) throws(AWSError) -> ([SSMParameter], String?) {
        var start = 0
        if let token, !token.isEmpty {
            guard let raw = Base64.decode(token), let last = String(validating: raw, as: UTF8.self) else {
                throw SSMError.invalidNextToken
            }
            start = items.firstIndex { $0.name > last } ?? items.count
        }
        let end = min(items.count, start + Swift.max(1, max))
        let page = Array(items[start..<end])
        let next = end < items.count ? page.last.map { Base64.encode($0.name) } : nil
        return (page, next)
    }

    func getParameterHistory(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        guard let ref = ParameterName.reference(name), ref.selector == nil, let p = lookup(ref.name, ctx) else {
            throw SSMError.notFound(name)
        }
        var start = 0
        if let token = input.string("NextToken"), !token.isEmpty {
            guard let raw = Base64.decode(token), let s = String(validating: raw, as: UTF8.self), let n = Int(s), n >= 0 else {
                throw SSMError.invalidNextToken
            }
            start = min(n, p.versions.count)
        }
        let end = min(p.versions.count, start + (input.int("MaxResults") ?? 50))
        let decrypt = input.flag("WithDecryption")
        var out: [Value] = []
        for v in p.versions[start..<end] {
            var o = Self.metadata(p, v, ctx)
            let shown = try await value(of: v, p, decrypt: decrypt, ctx)
            o["Value"] = .string(shown)
            o["Labels"] = .list(v.labels.map(Value.string))
            o["ARN"] = nil
            out.append(.object(o))
        }
        var result: [String: Value] = ["Parameters": .list(out)]
        if end < p.versions.count { result["NextToken"] = .string(Base64.encode(String(end))) }
        return .object(result)
    }

    /// The `ParameterMetadata` shape (DescribeParameters), shared with the history entries.
    static func metadata(_ p: SSMParameter, _ v: ParameterVersion, _ ctx: RequestContext) -> [String: Value] {
        var o: [String: Value] = [
            "Name": .string(p.name), "ARN": .string(arn(ctx, p.name)), "Type": .string(v.type),
            "LastModifiedDate": .timestamp(v.lastModified), "LastModifiedUser": .string(v.lastModifiedUser),
            "Version": .integer(v.version), "Tier": .string(v.tier), "DataType": .string(v.dataType),
            "Policies": .list(v.policies.map { (x: ParameterPolicy) -> Value in
                ["PolicyText": .string(x.text), "PolicyType": .string(x.type), "PolicyStatus": "Pending"]
            }),
        ]
        if let k = v.keyId { o["KeyId"] = .string(k) }
        if let d = v.description { o["Description"] = .string(d) }
        if let a = v.allowedPattern { o["AllowedPattern"] = .string(a) }
        return o
    }

    func describeParameters(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let legacy = input["Filters"]?.listValue ?? []
        let filterList = input["ParameterFilters"]?.listValue ?? []
        if !legacy.isEmpty && !filterList.isEmpty {
            throw SSMError.validation("You can use either Filters or ParameterFilters in a single request.")
        }
        let filters = try ParameterFilters.parse(filterList, byPath: false) + ParameterFilters.legacy(legacy)
        // `Shared`: parameters other accounts shared with this one through RAM; sharing is
        // not implemented, so there are none.
        if input.flag("Shared") { return ["Parameters": []] }
        let now = clock.now()
        let matching = state.withLock { $0.sorted(Self.scope(ctx), now: now) }.filter { ParameterFilters.matches($0, filters) }
        let (page, next) = try Self.page(matching, token: input.string("NextToken"), max: input.int("MaxResults") ?? 50)
        let items = page.map { (p: SSMParameter) -> Value in .object(Self.metadata(p, p.latest, ctx)) }
        var result: [String: Value] = ["Parameters": .list(items)]
        if let next { result["NextToken"] = .string(next) }
        return .object(result)
    }
}
