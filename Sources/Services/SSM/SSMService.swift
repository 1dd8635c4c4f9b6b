import SimfraCore
import Synchronization

/// AWS Systems Manager Parameter Store: String, StringList and SecureString parameters with
/// full version histories, labels, tiers, policies and tags, and the public `/aws/service/…`
/// parameters every account reads. SecureString values are encrypted by KMS through the
/// invoker, as the caller. The other Systems Manager APIs (documents, Run Command, sessions…)
/// are not implemented and answer 501.
///
/// State lives in memory under one `Mutex`; every parameter is written through to `records`
/// (one record per parameter, SecureString ciphertexts sealed once more).
public final class SSMService: StatefulService, InvokingService, Sendable {
    public let serviceName = "ssm"
    public let implementedOperations: Set<String> = [
        "PutParameter", "GetParameter", "GetParameters", "GetParametersByPath", "DeleteParameter",
        "DeleteParameters", "DescribeParameters", "GetParameterHistory", "LabelParameterVersion",
        "UnlabelParameterVersion", "AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource",
    ]

    /// Quotas that tests may lower (AWS: 10,000 standard and 100,000 advanced parameters per
    /// account and region, 100 versions per parameter).
    public struct Limits: Sendable {
        public var standardParameters: Int
        public var advancedParameters: Int
        public var versions: Int

        public init(standardParameters: Int = 10_000, advancedParameters: Int = 100_000, versions: Int = 100) {
            self.standardParameters = standardParameters
            self.advancedParameters = advancedParameters
            self.versions = versions
        }
    }

    public let invoker: InvokerLink
    let records: any DurableRecords
    let clock: any SimfraClock
    let limits: Limits
    let state = Mutex(SSMState())

    public init(records: any DurableRecords, clock: any SimfraClock = SystemClock(), invoker: InvokerLink = InvokerLink(),
                limits: Limits = Limits())
    {
        self.records = records
        self.clock = clock
        self.invoker = invoker
        self.limits = limits
    }

    var secure: SecureValues { SecureValues(invoker: invoker) }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        switch operation {
        case "PutParameter": return try await putParameter(input, context)
        case "GetParameter": return try await getParameter(input, context)
        case "GetParameters": return try await getParameters(input, context)
        case "GetParametersByPath": return try await getParametersByPath(input, context)
        case "DeleteParameter": return try await deleteParameter(input, context)
        case "DeleteParameters": return try await deleteParameters(input, context)
        case "DescribeParameters": return try describeParameters(input, context)
        case "GetParameterHistory": return try await getParameterHistory(input, context)
        case "LabelParameterVersion": return try await labelParameterVersion(input, context)
        case "UnlabelParameterVersion": return try await unlabelParameterVersion(input, context)
        case "AddTagsToResource": return try await addTags(input, context)
        case "RemoveTagsFromResource": return try await removeTags(input, context)
        case "ListTagsForResource": return try listTags(input, context)
        default: throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    static func scope(_ ctx: RequestContext) -> ScopeKey { ScopeKey(account: ctx.accountId, region: ctx.region) }

    static func arn(_ ctx: RequestContext, _ name: String) -> String {
        ParameterName.arn(region: ctx.region, account: ParameterName.isPublic(name) ? "" : ctx.accountId, name: name)
    }

    // MARK: Persistence (call under the lock; await the commit after releasing it)

    func persist(_ p: SSMParameter, _ scope: ScopeKey) -> Commit {
        records.put(kind: ParameterRecord.kind, account: scope.account, region: scope.region, id: ParameterName.key(p.name),
                    data: ParameterRecord.encode(p, scope: scope, records: records))
    }

    func unpersist(_ name: String, _ scope: ScopeKey) -> Commit {
        records.delete(kind: ParameterRecord.kind, account: scope.account, region: scope.region, id: ParameterName.key(name))
    }

    public func restore() throws {
        let loaded = try records.loadAll().filter { $0.kind == ParameterRecord.kind }
        var st = SSMState()
        for r in loaded {
            let p = try ParameterRecord.decode(r, records: records)
            st.scopes[ScopeKey(account: r.account, region: r.region), default: [:]][r.id] = p
        }
        state.withLock { $0 = st }
    }
}

/// Typed reads of the decoded input.
extension Value {
    /// An optional boolean member, absent reading as false.
    func flag(_ key: String) -> Bool { self[key]?.boolValue ?? false }

    /// `[{"Key": …, "Value": …}]`.
    func tagList(_ key: String) -> [(key: String, value: String)] {
        (self[key]?.listValue ?? []).compactMap { t in
            t["Key"]?.stringValue.map { (key: $0, value: t["Value"]?.stringValue ?? "") }
        }
    }
}
