import SimfraCore

extension LambdaService {
    // MARK: Versions

    /// Publishes `$LATEST` as the next version, unless the newest version already has the same
    /// code and configuration (AWS then answers that version). Returns the version's configuration.
    static func publish(_ f: inout LambdaFunction, description: String?, partition: String, revision: String) -> Value {
        var v = f.latest
        if let last = f.versions.last, sameContent(last, f.latest) { return last }
        f.lastVersion += 1
        let number = String(f.lastVersion)
        v["Version"] = .string(number)
        v["FunctionArn"] = .string(f.key.arn(partition: partition, qualifier: number))
        if let description { v["Description"] = .string(description) }
        v["RevisionId"] = .string(revision)
        v["State"] = "Active"
        v["LastUpdateStatus"] = "Successful"
        f.versions.append(v)
        return v
    }

    /// Whether a version holds what `$LATEST` holds now (what changes with every update is ignored).
    static func sameContent(_ version: Value, _ latest: Value) -> Bool {
        guard case .object(var a) = version, case .object(var b) = latest else { return false }
        for k in ["Version", "FunctionArn", "RevisionId", "Description", "LastModified", "State", "LastUpdateStatus"] {
            a[k] = nil
            b[k] = nil
        }
        return a == b
    }

    func publishVersion(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try reference(input, context)
        guard ref.qualifier == nil else { throw FunctionReference.invalidName(input.string("FunctionName") ?? "") }
        let partition = Self.partition(context)
        let (commit, answer) = try state.withLock { s throws(AWSError) -> (Commit, Value) in
            var f = try function(ref, context, in: s)
            if let r = input.string("RevisionId"), r != f.latest.string("RevisionId") { throw LambdaError.revisionMismatch() }
            if let sha = input.string("CodeSha256"), sha != f.latest.lambdaCodeSha256 {
                throw LambdaError.invalid(
                    "CodeSHA256 (\(sha)) is different from current CodeSHA256 in $LATEST (\(f.latest.lambdaCodeSha256)). Please try again")
            }
            let count = f.versions.count
            let v = Self.publish(&f, description: input.string("Description"), partition: partition, revision: Self.newRevision())
            guard f.versions.count != count else { return (.done, v) }
            s.functions[ref.key] = f
            return (persist(f), v)
        }
        try await commit.wait()
        return answer
    }

    func listVersions(_ input: Value, _ context: RequestContext) throws -> Value {
        let ref = try reference(input, context)
        let items = try state.withLock { s throws(AWSError) -> [(key: String, value: Value)] in
            let f = try function(ref, context, in: s)
            // `$LATEST` first, then versions in number order (the marker compares padded numbers).
            var items: [(key: String, value: Value)] = [(key: "0000000000", value: f.latest)]
            for v in f.versions {
                items.append((key: String(repeating: "0", count: max(0, 10 - v.lambdaVersion.count)) + v.lambdaVersion, value: v))
            }
            return items
        }
        let (page, next) = try Self.page(items, marker: input.string("Marker"), maxItems: input.int("MaxItems"))
        var out: Value = ["Versions": .list(page)]
        if let next { out["NextMarker"] = .string(next) }
        return out
    }

    // MARK: Aliases

    func aliasArn(_ ref: FunctionReference, _ name: String, _ context: RequestContext) -> String {
        ref.key.arn(partition: Self.partition(context), qualifier: name)
    }

    /// Alias names are not all digits and not `$LATEST`: 1–128 of letters, digits, `-`, `_`.
    static func isAliasName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 128 && !FunctionKey.isVersionNumber(s)
            && s.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
            }
    }

    func putAlias(_ input: Value, _ context: RequestContext, creating: Bool) async throws -> Value {
        let ref = try reference(input, context)
        let name = input.string("Name") ?? ""
        guard Self.isAliasName(name) else {
            throw LambdaError.validation(
                "1 validation error detected: Value '\(name)' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
        }
        let arn = aliasArn(ref, name, context)
        let (commit, answer) = try state.withLock { s throws(AWSError) -> (Commit, Value) in
            var f = try function(ref, context, in: s)
            var alias: Value
            if creating {
                guard f.aliases[name] == nil else { throw LambdaError.conflict("Alias already exists: \(arn)") }
                alias = ["AliasArn": .string(arn), "Name": .string(name), "Description": ""]
            } else {
                guard let a = f.aliases[name] else { throw LambdaError.aliasNotFound(arn) }
                if let r = input.string("RevisionId"), r != a.string("RevisionId") { throw LambdaError.revisionMismatch() }
                alias = a
            }
            if let version = input.string("FunctionVersion") {
                guard version == "$LATEST" || f.version(version) != nil else {
                    throw LambdaError.functionNotFound(ref.key.arn(partition: Self.partition(context), qualifier: version))
                }
                alias["FunctionVersion"] = .string(version)
            }
            if let d = input.string("Description") { alias["Description"] = .string(d) }
            if let routing = input["RoutingConfig"] {
                let weights = routing["AdditionalVersionWeights"]?.objectValue ?? [:]
                for (v, w) in weights {
                    guard f.version(v) != nil else {
                        throw LambdaError.invalid("Version \(v) does not exist for function \(ref.key.name).")
                    }
                    guard let d = w.doubleValue, d >= 0, d <= 1 else {
                        throw LambdaError.invalid("Invalid weight for version \(v): it must be between 0.0 and 1.0.")
                    }
                    if v == alias.string("FunctionVersion") {
                        throw LambdaError.invalid("Version \(v) is the alias's primary version and cannot have an additional weight.")
                    }
                }
                if weights.isEmpty {
                    alias["RoutingConfig"] = nil
                } else {
                    alias["RoutingConfig"] = .object(["AdditionalVersionWeights": .object(weights)])
                }
            }
            alias["RevisionId"] = .string(Self.newRevision())
            f.aliases[name] = alias
            s.functions[ref.key] = f
            return (persist(f), alias)
        }
        try await commit.wait()
        return answer
    }

    func getAlias(_ input: Value, _ context: RequestContext) throws -> Value {
        let ref = try reference(input, context)
        let name = input.string("Name") ?? ""
        return try state.withLock { s throws(AWSError) -> Value in
            guard let a = try function(ref, context, in: s).aliases[name] else {
                throw LambdaError.aliasNotFound(aliasArn(ref, name, context))
            }
            return a
        }
    }

    func deleteAlias(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try reference(input, context)
        let name = input.string("Name") ?? ""
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            var f = try function(ref, context, in: s)
            // AWS answers success for an alias that does not exist.
            guard f.aliases.removeValue(forKey: name) != nil else { return .done }
            f.policies[name] = nil
            s.functions[ref.key] = f
            return persist(f)
        }
        try await commit.wait()
        return .empty
    }

    func listAliases(_ input: Value, _ context: RequestContext) throws -> Value {
        let ref = try reference(input, context)
        let version = input.string("FunctionVersion")
        let items = try state.withLock { s throws(AWSError) -> [(key: String, value: Value)] in
            try function(ref, context, in: s).aliases
                .filter { version == nil || $0.value.string("FunctionVersion") == version }
                .map { (key: $0.key, value: $0.value) }.sorted { $0.key < $1.key }
        }
        let (page, next) = try Self.page(items, marker: input.string("Marker"), maxItems: input.int("MaxItems"))
        var out: Value = ["Aliases": .list(page)]
        if let next { out["NextMarker"] = .string(next) }
        return out
    }
}

extension LambdaService {
    /// Reserved concurrency, stored (invocations are not yet throttled by it).
    func concurrency(_ operation: String, _ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try reference(input, context)
        if operation == "GetFunctionConcurrency" {
            let r = try state.withLock { s throws(AWSError) in try function(ref, context, in: s).reservedConcurrency }
            guard let r else { return .empty }
            return ["ReservedConcurrentExecutions": .integer(Int64(r))]
        }
        let value = operation == "PutFunctionConcurrency" ? input.int("ReservedConcurrentExecutions") : nil
        if let v = value, v > 900 {
            throw LambdaError.invalid(
                "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].")
        }
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            var f = try function(ref, context, in: s)
            f.reservedConcurrency = value
            s.functions[ref.key] = f
            return persist(f)
        }
        try await commit.wait()
        guard let value else { return .empty }
        return .object(["ReservedConcurrentExecutions": .integer(Int64(value))])
    }
}
