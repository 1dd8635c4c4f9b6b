import SimfraCore

extension SSMService {
    func deleteParameter(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let scope = Self.scope(ctx)
        let now = clock.now()
        let commit = try state.withLock { st throws(AWSError) -> Commit in
            let key = ParameterName.key(name.trimmingSpaces)
            guard let p = st.scopes[scope]?.removeValue(forKey: key) else { throw SSMError.notFound(name) }
            let commit = unpersist(p.name, scope)
            if p.isExpired(at: now) {
                // Already gone for clients; removed for good now.
                return Commit { try await commit.wait(); throw SSMError.notFound(name) }
            }
            return commit
        }
        try await commit.wait()
        return .empty
    }

    func deleteParameters(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let scope = Self.scope(ctx)
        var deleted: [Value] = []
        var invalid: [Value] = []
        let now = clock.now()
        let commit = state.withLock { st -> Commit in
            var writes: [DurableWrite] = []
            var seen: Set<String> = []
            for name in input.stringList("Names") ?? [] where seen.insert(name).inserted {
                let key = ParameterName.key(name.trimmingSpaces)
                if let p = st.scopes[scope]?.removeValue(forKey: key) {
                    writes.append(.delete(kind: ParameterRecord.kind, account: scope.account, region: scope.region, id: key))
                    if p.isExpired(at: now) { invalid.append(.string(name)) } else { deleted.append(.string(name)) }
                } else {
                    invalid.append(.string(name))
                }
            }
            return writes.isEmpty ? .done : records.apply(writes)
        }
        try await commit.wait()
        return ["DeletedParameters": .list(deleted), "InvalidParameters": .list(invalid)]
    }

    /// A label: at most 100 characters of letters, digits, `.`, `-` and `_`, not starting
    /// with a digit or with `aws`/`ssm` (case-insensitive).
    static func isValidLabel(_ l: String) -> Bool {
        let lower = l.lowercased()
        guard !l.isEmpty, l.count <= 100, !lower.hasPrefix("aws"), !lower.hasPrefix("ssm"),
            let first = l.first, !first.isNumber
        else { return false }
        return l.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }
    }

    func labelParameterVersion(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let labels = input.stringList("Labels") ?? []
        let scope = Self.scope(ctx)
        let now = clock.now()
        let (version, invalid, commit) = try state.withLock { st throws(AWSError) -> (Int64, [String], Commit) in
            let key = ParameterName.key(name.trimmingSpaces)
            guard var p = st.parameter(scope, key, now: now) else { throw SSMError.notFound(name) }
            let number = input["ParameterVersion"]?.intValue ?? p.latest.version
            guard let index = p.versions.firstIndex(where: { $0.version == number }) else {
                throw SSMError.versionNotFound(String(number), p.name)
            }
            let valid = labels.filter(Self.isValidLabel)
            let invalid = labels.filter { !Self.isValidLabel($0) }
            var merged = p.versions[index].labels
            for l in valid where !merged.contains(l) { merged.append(l) }
            if merged.count > 10 { throw SSMError.labelLimit }
            // A label names one version: attaching it here moves it from any other.
            for i in p.versions.indices where i != index {
                p.versions[i].labels.removeAll { valid.contains($0) }
            }
            p.versions[index].labels = merged
            st.scopes[scope]![key] = p
            return (number, invalid, valid.isEmpty ? .done : persist(p, scope))
        }
        try await commit.wait()
        return ["InvalidLabels": .list(invalid.map(Value.string)), "ParameterVersion": .integer(version)]
    }

    func unlabelParameterVersion(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = input.string("Name") ?? ""
        let labels = input.stringList("Labels") ?? []
        let scope = Self.scope(ctx)
        let now = clock.now()
        let (removed, invalid, commit) = try state.withLock { st throws(AWSError) -> ([String], [String], Commit) in
            let key = ParameterName.key(name.trimmingSpaces)
            guard var p = st.parameter(scope, key, now: now) else { throw SSMError.notFound(name) }
            let number = input["ParameterVersion"]?.intValue ?? 0
            guard let index = p.versions.firstIndex(where: { $0.version == number }) else {
                throw SSMError.versionNotFound(String(number), p.name)
            }
            var removed: [String] = []
            var invalid: [String] = []
            for l in labels {
                if let i = p.versions[index].labels.firstIndex(of: l) {
                    p.versions[index].labels.remove(at: i)
                    removed.append(l)
                } else if !invalid.contains(l) {
                    invalid.append(l)
                }
            }
            st.scopes[scope]![key] = p
            return (removed, invalid, removed.isEmpty ? .done : persist(p, scope))
        }
        try await commit.wait()
        return ["RemovedLabels": .list(removed.map(Value.string)), "InvalidLabels": .list(invalid.map(Value.string))]
    }

    // MARK: Tags (ResourceType Parameter; ResourceId is the name or the parameter ARN)

    private func taggedKey(_ input: Value) throws(AWSError) -> String {
        guard input.string("ResourceType") == "Parameter" else {
            // Documents, maintenance windows… are not implemented here, so none exists.
            throw SSMError.invalidResourceId
        }
        guard let ref = ParameterName.reference(input.string("ResourceId") ?? ""), ref.selector == nil else {
            throw SSMError.invalidResourceId
        }
        return ParameterName.key(ref.name)
    }

    func addTags(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let key = try taggedKey(input)
        let scope = Self.scope(ctx)
        let tags = input.tagList("Tags")
        let now = clock.now()
        let commit = try state.withLock { st throws(AWSError) -> Commit in
            guard var p = st.parameter(scope, key, now: now) else { throw SSMError.invalidResourceId }
            var next = p
            for t in tags { next.setTag(t.key, t.value) }
            if next.tags.count > 50 { throw SSMError.tooManyTags }
            p = next
            st.scopes[scope]![key] = p
            return persist(p, scope)
        }
        try await commit.wait()
        return .empty
    }

    func removeTags(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let key = try taggedKey(input)
        let scope = Self.scope(ctx)
        let keys = Set(input.stringList("TagKeys") ?? [])
        let now = clock.now()
        let commit = try state.withLock { st throws(AWSError) -> Commit in
            guard var p = st.parameter(scope, key, now: now) else { throw SSMError.invalidResourceId }
            p.tags.removeAll { keys.contains($0.key) }
            st.scopes[scope]![key] = p
            return persist(p, scope)
        }
        try await commit.wait()
        return .empty
    }

    func listTags(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let key = try taggedKey(input)
        let scope = Self.scope(ctx)
        let now = clock.now()
        guard let p = state.withLock({ $0.parameter(scope, key, now: now) }) else { throw SSMError.invalidResourceId }
        return ["TagList": .list(p.tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })]
    }
}
