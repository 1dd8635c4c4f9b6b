import SimfraCore

/// One function: its `$LATEST` configuration, its published versions, aliases, resource
/// policies (one per qualifier, as in AWS: the unqualified function, each version and alias
/// has its own) and tags.
///
/// Configurations are kept in the very shape `GetFunctionConfiguration` answers
/// (`FunctionConfiguration` of the model), so what is stored, persisted and returned is one
/// value; typed accessors below read what running the function needs.
struct LambdaFunction: Sendable {
    var key: FunctionKey
    var latest: Value
    /// Published versions by number, in publication order.
    var versions: [Value] = []
    /// Version numbers are never reused, even after a version is deleted.
    var lastVersion = 0
    var aliases: [String: Value] = [:]
    /// Policy statements per qualifier ("" for the unqualified function).
    var policies: [String: [Value]] = [:]
    var tags: [String: String] = [:]
    /// `ReservedConcurrentExecutions` (PutFunctionConcurrency); nil when unreserved.
    var reservedConcurrency: Int?

    func version(_ number: String) -> Value? { versions.first { $0.string("Version") == number } }

    /// The configuration a qualifier names: none or `$LATEST`, a version number, or an alias
    /// (which names a version). Nil when it names nothing.
    func configuration(qualifier: String?) -> Value? {
        guard let q = qualifier, q != "$LATEST" else { return latest }
        if FunctionKey.isVersionNumber(q) { return version(q) }
        guard let alias = aliases[q], let v = alias.string("FunctionVersion") else { return nil }
        return v == "$LATEST" ? latest : version(v)
    }

    /// Every stored zip's hash (`$LATEST` and the versions), so an unreferenced zip can go.
    var codeHashes: Set<String> {
        Set(([latest] + versions).compactMap { $0.string("CodeSha256") })
    }
}

/// Typed reads of a stored `FunctionConfiguration`.
extension Value {
    var lambdaRuntime: String? { string("Runtime") }
    var lambdaHandler: String? { string("Handler") }
    var lambdaRole: String { string("Role") ?? "" }
    var lambdaTimeout: Int { int("Timeout") ?? 3 }
    var lambdaMemory: Int { int("MemorySize") ?? 128 }
    var lambdaVersion: String { string("Version") ?? "$LATEST" }
    var lambdaCodeSha256: String { string("CodeSha256") ?? "" }
    var lambdaEnvironment: [String: String] { self["Environment"]?.stringMap("Variables") ?? [:] }
}
