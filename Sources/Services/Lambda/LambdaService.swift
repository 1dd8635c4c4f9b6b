import Foundation
import SimfraCore
import Synchronization

/// AWS Lambda's control plane: functions with their code (zips in a `CodeStore`), published
/// versions, aliases, per-qualifier resource policies (enforced by the authoriser when other
/// services or accounts call) and tags.
///
/// State lives in memory under one `Mutex`; each function is one durable record holding its
/// configurations, versions, aliases, policies and tags.
public final class LambdaService: ResourcePolicyService, AccountScopedService, InvokingService, StatefulService {
    public let serviceName = "lambda"
    public let implementedOperations: Set<String> = [
        "CreateFunction", "GetFunction", "GetFunctionConfiguration", "ListFunctions", "DeleteFunction",
        "UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion", "ListVersionsByFunction",
        "CreateAlias", "GetAlias", "UpdateAlias", "DeleteAlias", "ListAliases",
        "AddPermission", "RemovePermission", "GetPolicy", "TagResource", "UntagResource", "ListTags",
        "GetAccountSettings", "Invoke", "GetFunctionCodeSigningConfig", "GetFunctionConcurrency", "PutFunctionConcurrency",
        "DeleteFunctionConcurrency",
    ]
    /// Assumes execution roles through STS; connected by the server.
    public let invoker = InvokerLink()

    struct State {
        var functions: [FunctionKey: LambdaFunction] = [:]
    }

    let state = Mutex(State())
    let records: any DurableRecords
    let code: CodeStore
    let clock: any SimfraClock
    /// Idle execution environments by the version ARN they run (transient: never persisted).
    let environments = Mutex<[String: [ExecutionEnvironment]]>([:])
    /// Unpacked code and Simfra's runtime clients: a private temporary directory, since running
    /// environments are not state.
    let runDirectory: URL
    /// Stops environments idle longer than `idleLimit`; started with the first environment.
    let reaper = Mutex<Task<Void, Never>?>(nil)
    /// Seconds an environment may sit idle before it is recycled (AWS keeps them minutes).
    static let idleLimit = 300.0
    /// Execution-role sessions used to write logs, by role ARN, with when to renew them
    /// (transient): one AssumeRole per role and hour rather than one per invocation.
    let logSessions = Mutex<[String: (credentials: RoleCredentials, renewAt: Double)]>([:])
    /// Invocations running now, per function (reserved concurrency caps them).
    let inFlight = Mutex<[FunctionKey: Int]>([:])
    /// How failed `Event` invocations are retried.
    let asyncRetryPolicy = AsyncRetryPolicy()

    /// `codeDirectory`: where zips live (`<dataDir>/lambda/code` with persistence); nil for a
    /// private temporary directory.
    public init(records: any DurableRecords = MemoryOnlyRecords(), codeDirectory: URL? = nil,
                clock: any SimfraClock = SystemClock()) throws
    {
        self.records = records
        self.clock = clock
        if let codeDirectory {
            try FileManager.default.createDirectory(at: codeDirectory, withIntermediateDirectories: true)
            code = CodeStore(root: codeDirectory, durable: records.isPersistent)
        } else {
            code = try CodeStore.temporary()
        }
        runDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("simfra-lambda-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        try Data(PythonRuntimeClient.source.utf8).write(to: runDirectory.appendingPathComponent(PythonRuntimeClient.fileName))
        try Data(NodeRuntimeClient.source.utf8).write(to: runDirectory.appendingPathComponent(NodeRuntimeClient.fileName))
    }

    deinit { reaper.withLock { $0?.cancel() } }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        switch operation {
        case "CreateFunction": return try await createFunction(input, context)
        case "GetFunction": return try getFunction(input, context)
        case "GetFunctionConfiguration":
            let ref = try reference(input, context)
            return try state.withLock { s throws(AWSError) in try configuration(ref, context, in: s) }
        case "ListFunctions": return try listFunctions(input, context)
        case "DeleteFunction": return try await deleteFunction(input, context)
        case "UpdateFunctionCode": return try await updateFunctionCode(input, context)
        case "UpdateFunctionConfiguration": return try await updateFunctionConfiguration(input, context)
        case "PublishVersion": return try await publishVersion(input, context)
        case "ListVersionsByFunction": return try listVersions(input, context)
        case "CreateAlias", "UpdateAlias": return try await putAlias(input, context, creating: operation == "CreateAlias")
        case "GetAlias": return try getAlias(input, context)
        case "DeleteAlias": return try await deleteAlias(input, context)
        case "ListAliases": return try listAliases(input, context)
        case "AddPermission": return try await addPermission(input, context)
        case "RemovePermission": return try await removePermission(input, context)
        case "GetPolicy": return try getPolicy(input, context)
        case "TagResource", "UntagResource", "ListTags": return try await tagging(operation, input, context)
        case "GetAccountSettings": return accountSettings(context)
        case "Invoke": return try await invoke(input, context)
        case "GetFunctionCodeSigningConfig":
            // Code signing configs cannot be created here, so no function has one.
            let ref = try reference(input, context)
            _ = try state.withLock { s throws(AWSError) in try function(ref, context, in: s) }
            return ["CodeSigningConfigArn": "", "FunctionName": .string(ref.key.name)]
        case "GetFunctionConcurrency", "PutFunctionConcurrency", "DeleteFunctionConcurrency":
            return try await concurrency(operation, input, context)
        default: throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }

    // MARK: Lookup

    func reference(_ input: Value, _ context: RequestContext) throws(AWSError) -> FunctionReference {
        try FunctionReference.parse(input.string("FunctionName") ?? "", qualifier: input.string("Qualifier"), context: context)
    }

    func function(_ ref: FunctionReference, _ context: RequestContext, in s: State) throws(AWSError) -> LambdaFunction {
        guard let f = s.functions[ref.key] else {
            throw LambdaError.functionNotFound(ref.key.arn(partition: Self.partition(context), qualifier: ref.qualifier))
        }
        return f
    }

    func configuration(_ ref: FunctionReference, _ context: RequestContext, in s: State) throws(AWSError) -> Value {
        let f = try function(ref, context, in: s)
        guard let c = f.configuration(qualifier: ref.qualifier) else {
            throw LambdaError.functionNotFound(ref.key.arn(partition: Self.partition(context), qualifier: ref.qualifier))
        }
        return c
    }

    static func partition(_ context: RequestContext) -> String {
        let parts = context.principalArn.split(separator: ":", maxSplits: 2)
        return parts.count > 1 && parts[0] == "arn" ? String(parts[1]) : "aws"
    }

    /// Lambda's `LastModified` form: `2024-05-01T12:00:00.000+0000`.
    func timestamp() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
        return f.string(from: Date(timeIntervalSince1970: clock.now()))
    }

    static func newRevision() -> String { UUID().uuidString.lowercased() }

    /// One page of `items` (sorted by key) after `marker`, AWS's Marker/MaxItems paging.
    static func page<T>(_ items: [(key: String, value: T)], marker: String?, maxItems: Int?) throws(AWSError) -> ([T], String?) {
        let limit = min(max(maxItems ?? 50, 1), 10000)
        var rest = items[...]
        if let marker {
            guard let bytes = Base64.decode(marker), let after = String(bytes: bytes, encoding: .utf8) else {
                throw LambdaError.invalid("Invalid marker: \(marker)")
            }
            rest = rest.drop { $0.key <= after }
        }
        let page = rest.prefix(limit)
        let next = rest.count > limit ? page.last.map { Base64.encode(Array($0.key.utf8)) } : nil
        return (page.map(\.value), next)
    }

    // MARK: Account settings

    func accountSettings(_ context: RequestContext) -> Value {
        let (count, size) = state.withLock { s -> (Int, Int64) in
            var count = 0, size: Int64 = 0
            for (k, f) in s.functions where k.accountId == context.accountId && k.region == context.region {
                count += 1
                for c in [f.latest] + f.versions { size += c["CodeSize"]?.intValue ?? 0 }
            }
            return (count, size)
        }
        return [
            "AccountLimit": [
                "TotalCodeSize": 80_530_636_800, "CodeSizeUnzipped": 262_144_000, "CodeSizeZipped": 52_428_800,
                "ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 1000,
            ],
            "AccountUsage": ["TotalCodeSize": .integer(size), "FunctionCount": .integer(Int64(count))],
        ]
    }
}
