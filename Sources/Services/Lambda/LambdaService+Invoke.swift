import Foundation
import SimfraCore

/// Invoke: the function's code runs as a local process speaking the Lambda Runtime API, in an
/// execution environment reused warm; RequestResponse waits for the outcome, Event answers 202
/// and runs in the background, DryRun only checks. Each invocation's START/END/REPORT lines and
/// the runtime's output go to CloudWatch Logs `/aws/lambda/<name>` as the execution role.
extension LambdaService {
    struct InvocationResult {
        var payload: [UInt8]
        var functionError: String?
        var log: [UInt8]
    }

    func invoke(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try reference(input, context)
        let config = try state.withLock { s throws(AWSError) -> Value in
            let f = try function(ref, context, in: s)
            guard let c = f.configuration(qualifier: ref.qualifier) else {
                throw LambdaError.functionNotFound(ref.key.arn(partition: Self.partition(context), qualifier: ref.qualifier))
            }
            // An alias with additional weights sends that share of invocations to other versions.
            if let q = ref.qualifier, let weights = f.aliases[q]?["RoutingConfig"]?["AdditionalVersionWeights"]?.objectValue {
                var roll = Double.random(in: 0..<1)
                for (v, w) in weights.sorted(by: { $0.key < $1.key }) {
                    roll -= w.doubleValue ?? 0
                    if roll < 0, let other = f.version(v) { return other }
                }
            }
            return c
        }
        let type = input.string("InvocationType") ?? "RequestResponse"
        try Self.checkRunnable(config)
        if type == "DryRun" { return ["StatusCode": 204] }
        var payload = input.blob("Payload") ?? []
        if payload.isEmpty { payload = Array("{}".utf8) }
        let functionArn = ref.key.arn(partition: Self.partition(context), qualifier: ref.qualifier)
        if type == "Event" {
            let event = payload, key = ref.key, received = clock.now(), id = UUID().uuidString.lowercased()
            // Retried as AWS retries asynchronous invocations (transient: lost on restart).
            Task {
                var attempt = 0
                while true {
                    attempt += 1
                    let result = try? await self.run(config, payload: event, invokedArn: functionArn, key: key, context: context,
                                                     requestId: id)
                    if let result, result.functionError == nil { return }
                    guard let d = self.asyncRetryPolicy.delay(afterFailedAttempts: attempt, age: self.clock.now() - received) else { return }
                    try? await Task.sleep(nanoseconds: UInt64(d * 1_000_000_000))
                }
            }
            return ["StatusCode": 202]
        }
        let result = try await run(config, payload: payload, invokedArn: functionArn, key: ref.key, context: context,
                                   clientContext: input.string("ClientContext"))
        var out: Value = ["StatusCode": 200, "Payload": .blob(result.payload), "ExecutedVersion": .string(config.lambdaVersion)]
        if let e = result.functionError { out["FunctionError"] = .string(e) }
        if input.string("LogType") == "Tail" { out["LogResult"] = .string(Base64.encode(Array(result.log.suffix(4096)))) }
        return out
    }

    /// Functions Simfra cannot run here answer before anything starts.
    static func checkRunnable(_ config: Value) throws(AWSError) {
        if config.string("PackageType") == "Image" {
            throw AWSError(code: "InvalidRuntimeException",
                           message: "Simfra runs container image functions with a container engine, and none is configured: \(config.string("ImageUri") ?? "") cannot run.",
                           status: 502, extra: ["Type": "User"])
        }
        let runtime = config.lambdaRuntime ?? ""
        guard let family = RuntimeCommand.family(runtime) else {
            throw AWSError(code: "InvalidRuntimeException",
                           message: "The runtime \(runtime) is not supported by Simfra on this machine.", status: 502,
                           extra: ["Type": "User"])
        }
        if family == .python, RuntimeCommand.python() == nil {
            throw AWSError(code: "InvalidRuntimeException", message: "The runtime \(runtime) needs python3, which this machine does not have.",
                           status: 502, extra: ["Type": "User"])
        }
        if family == .node, RuntimeCommand.node() == nil {
            throw AWSError(code: "InvalidRuntimeException", message: "The runtime \(runtime) needs node, which this machine does not have.",
                           status: 502, extra: ["Type": "User"])
        }
    }

    /// Runs one invocation in a warm environment of this configuration, or a new one.
    func run(_ config: Value, payload: [UInt8], invokedArn: String, key: FunctionKey, context: RequestContext,
             clientContext: String? = nil, requestId given: String? = nil) async throws -> InvocationResult
    {
        try admit(key)
        defer { inFlight.withLock { $0[key] = max(0, ($0[key] ?? 1) - 1) } }
        let poolKey = "\(config.string("FunctionArn") ?? "")@\(config.string("RevisionId") ?? "")"
        let versionArn = config.string("FunctionArn") ?? ""
        var fresh = false
        let env: ExecutionEnvironment
        if let warm = takeIdle(versionArn: versionArn, poolKey: poolKey) {
            env = warm
        } else {
            env = try await startEnvironment(config, key: key, poolKey: poolKey, context: context)
            fresh = true
        }
        // Retries of an asynchronous invocation keep its request id, as in AWS.
        let requestId = given ?? UUID().uuidString.lowercased()
        let timeout = Double(config.lambdaTimeout)
        let begin = Date().timeIntervalSince1970
        let offset = env.outputLength
        let invocation = RuntimeAPI.Invocation(
            requestId: requestId, payload: payload, deadlineMs: Int64((begin + timeout) * 1000), functionArn: invokedArn,
            traceId: "Root=1-\(String(Int(begin), radix: 16))-\(requestId.replacingOccurrences(of: "-", with: "").prefix(24));Parent=\(requestId.replacingOccurrences(of: "-", with: "").suffix(16));Sampled=0",
            clientContext: clientContext)
        _ = env.beginInvocation()
        let timer = Task {
            try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
            env.api.complete(.timedOut)
        }
        let outcome = await env.api.submit(invocation)
        timer.cancel()
        let duration = (Date().timeIntervalSince1970 - begin) * 1000
        // The runtime's last lines may still be in the pipe when its post arrives.
        try? await Task.sleep(nanoseconds: 5_000_000)
        let (printed, _) = env.output(since: offset)

        var result: InvocationResult
        var extra = ""
        switch outcome {
        case .response(let body):
            result = InvocationResult(payload: body, functionError: nil, log: [])
        case .error(let body, _):
            result = InvocationResult(payload: body, functionError: "Unhandled", log: [])
        case .initError(let body):
            env.stop()
            result = InvocationResult(payload: body, functionError: "Unhandled", log: [])
        case .timedOut:
            env.stop()
            let line = "\(Self.isoNow()) \(requestId) Task timed out after \(String(format: "%.2f", timeout)) seconds"
            extra = line + "\n"
            result = InvocationResult(payload: Array(Self.json(["errorMessage": .string(line)]).utf8), functionError: "Unhandled", log: [])
        case .exited(let status):
            let message = "RequestId: \(requestId) Error: Runtime exited with error: exit status \(status)"
            extra = message + "\nRuntime.ExitError\n"
            result = InvocationResult(
                payload: Array(Self.json(["errorType": "Runtime.ExitError", "errorMessage": .string(message)]).utf8),
                functionError: "Unhandled", log: [])
        }
        var report = "REPORT RequestId: \(requestId)\tDuration: \(String(format: "%.2f", duration)) ms\tBilled Duration: \(Int(duration.rounded(.up))) ms\tMemory Size: \(config.lambdaMemory) MB"
        if fresh { report += "\tInit Duration: \(String(format: "%.2f", (begin - env.started) * 1000)) ms" }
        let log = "START RequestId: \(requestId) Version: \(config.lambdaVersion)\n" + String(decoding: printed, as: UTF8.self)
            + extra + "END RequestId: \(requestId)\n" + report + "\t\n"
        result.log = Array(log.utf8)
        if env.isAlive { putIdle(env, versionArn: versionArn) }
        let stream = env.logStream, group = config["LoggingConfig"]?.string("LogGroup") ?? "/aws/lambda/\(key.name)"
        let role = config.lambdaRole
        Task { await self.sendLogs(log, group: group, stream: stream, role: role, key: key, context: context) }
        return result
    }

    /// Counts the invocation in, or throttles it as AWS does when the function's reserved
    /// concurrency is in use (0 reserved: every invocation is throttled).
    func admit(_ key: FunctionKey) throws(AWSError) {
        let reserved = state.withLock { $0.functions[key]?.reservedConcurrency }
        let admitted = inFlight.withLock { running -> Bool in
            let now = running[key] ?? 0
            if let reserved, now >= reserved { return false }
            running[key] = now + 1
            return true
        }
        guard admitted else {
            throw AWSError(code: "TooManyRequestsException", message: "Rate Exceeded.", status: 429,
                           extra: ["Type": "User", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"])
        }
    }

    static func isoNow() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }

    // MARK: Environments

    func takeIdle(versionArn: String, poolKey: String) -> ExecutionEnvironment? {
        let (found, stale) = environments.withLock { pool -> (ExecutionEnvironment?, [ExecutionEnvironment]) in
            var list = pool[versionArn] ?? []
            // Environments of an older configuration of this version never run again.
            let stale = list.filter { $0.poolKey != poolKey || !$0.isAlive }
            list.removeAll { $0.poolKey != poolKey || !$0.isAlive }
            let found = list.popLast()
            pool[versionArn] = list.isEmpty ? nil : list
            return (found, stale)
        }
        for e in stale { e.stop() }
        return found
    }

    func putIdle(_ env: ExecutionEnvironment, versionArn: String) {
        env.markIdle(at: clock.now())
        environments.withLock { $0[versionArn, default: []].append(env) }
        startReaper()
    }

    /// Stops every environment idle for `idleLimit` or longer at `now`, as AWS recycles them:
    /// the next invocation starts cold.
    func reapIdle(now: Double) {
        let limit = Self.idleLimit
        let stopping = environments.withLock { pool -> [ExecutionEnvironment] in
            var out: [ExecutionEnvironment] = []
            for (arn, list) in pool {
                let keep = list.filter { e in now - e.idleSince < limit }
                out += list.filter { e in now - e.idleSince >= limit }
                pool[arn] = keep.isEmpty ? nil : keep
            }
            return out
        }
        for e in stopping { e.stop() }
    }

    func startReaper() {
        reaper.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 30_000_000_000)
                    guard let self else { return }
                    self.reapIdle(now: self.clock.now())
                }
            }
        }
    }

    /// Stops every idle environment of a function (deleted, or its account removed).
    func stopEnvironments(where matches: (String) -> Bool) {
        let stopping = environments.withLock { pool -> [ExecutionEnvironment] in
            var out: [ExecutionEnvironment] = []
            for (arn, list) in pool where matches(arn) {
                out += list
                pool[arn] = nil
            }
            return out
        }
        for e in stopping { e.stop() }
    }

    func startEnvironment(_ config: Value, key: FunctionKey, poolKey: String, context: RequestContext) async throws
        -> ExecutionEnvironment
    {
        let taskRoot = try unpackedCode(account: key.accountId, sha256: config.lambdaCodeSha256)
        let credentials = try await roleCredentials(config.lambdaRole, context)
        let stream = Self.logStreamName(version: config.lambdaVersion)
        var env: [String: String] = config.lambdaEnvironment
        let runtime = config.lambdaRuntime ?? ""
        env.merge([
            "_HANDLER": config.lambdaHandler ?? "", "LAMBDA_TASK_ROOT": taskRoot.path, "LAMBDA_RUNTIME_DIR": runDirectory.path,
            "AWS_LAMBDA_FUNCTION_NAME": key.name, "AWS_LAMBDA_FUNCTION_VERSION": config.lambdaVersion,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(config.lambdaMemory),
            "AWS_LAMBDA_LOG_GROUP_NAME": config["LoggingConfig"]?.string("LogGroup") ?? "/aws/lambda/\(key.name)",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream, "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": key.region, "AWS_DEFAULT_REGION": key.region, "AWS_EXECUTION_ENV": "AWS_Lambda_\(runtime)",
            "AWS_ACCESS_KEY_ID": credentials.accessKeyId, "AWS_SECRET_ACCESS_KEY": credentials.secret,
            "AWS_SESSION_TOKEN": credentials.token, "AWS_ENDPOINT_URL": context.endpoint.isEmpty ? "http://localhost:4599" : context.endpoint,
            "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC", "PYTHONUNBUFFERED": "1",
            "HOME": taskRoot.path,
        ]) { _, ours in ours }
        let command: [String]
        switch RuntimeCommand.family(runtime) {
        case .python:
            guard let python = RuntimeCommand.python() else { throw AWSError.internalFailure("python3 is not available") }
            command = [python, runDirectory.appendingPathComponent(PythonRuntimeClient.fileName).path]
        case .node:
            guard let node = RuntimeCommand.node() else { throw AWSError.internalFailure("node is not available") }
            command = [node, runDirectory.appendingPathComponent(NodeRuntimeClient.fileName).path]
        case .provided:
            let bootstrap = taskRoot.appendingPathComponent("bootstrap").path
            guard FileManager.default.isExecutableFile(atPath: bootstrap) else {
                throw AWSError(code: "InvalidRuntimeException", message: "Couldn't find valid bootstrap(s): [\(bootstrap)]", status: 502,
                               extra: ["Type": "User"])
            }
            command = [bootstrap]
        case nil:
            throw AWSError(code: "InvalidRuntimeException", message: "The runtime \(runtime) is not supported by Simfra.", status: 502)
        }
        return try await ExecutionEnvironment.start(poolKey: poolKey, logStream: stream, command: command,
                                                    workingDirectory: taskRoot.path, environment: env)
    }

    /// AWS's stream name: `2024/05/01/[$LATEST]<32 hex>`.
    static func logStreamName(version: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy/MM/dd"
        return "\(f.string(from: Date()))/[\(version)]\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
    }

    /// The code unpacked once per zip, under the run directory (not state: made again on demand).
    func unpackedCode(account: String, sha256: String) throws -> URL {
        guard let zip = code.url(account: account, sha256: sha256), let hex = CodeStore.hex(fromBase64: sha256) else {
            throw AWSError.internalFailure("the function's code is missing")
        }
        let dir = runDirectory.appendingPathComponent("code").appendingPathComponent(account).appendingPathComponent(hex)
        if FileManager.default.fileExists(atPath: dir.path) { return dir }
        let tmp = runDirectory.appendingPathComponent("code").appendingPathComponent(".\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        do {
            try RuntimeCommand.unzip(zip, into: tmp)
        } catch let e as RuntimeCommand.UnpackError {
            try? FileManager.default.removeItem(at: tmp)
            throw AWSError(code: "InvalidZipFileException", message: "Lambda was unable to unzip the function's code: \(e.message)",
                           status: 502)
        }
        try FileManager.default.createDirectory(at: dir.deletingLastPathComponent(), withIntermediateDirectories: true)
        do {
            try FileManager.default.moveItem(at: tmp, to: dir)
        } catch {
            // Another invocation unpacked the same zip first.
            try? FileManager.default.removeItem(at: tmp)
        }
        return dir
    }

    struct RoleCredentials {
        var accessKeyId: String
        var secret: String
        var token: String
        var principalArn: String
        var userId: String
    }

    /// The execution role's temporary credentials, assumed as Lambda (the trust policy decides).
    func roleCredentials(_ role: String, _ context: RequestContext) async throws -> RoleCredentials {
        let out: Value
        do {
            out = try await invoker.invoke(InternalCall(
                service: "sts", operation: "AssumeRole",
                input: ["RoleArn": .string(role), "RoleSessionName": .string("simfra-lambda-\(UUID().uuidString.prefix(8))")],
                onBehalfOf: context, via: nil, asService: Self.servicePrincipal))
        } catch let e as AWSError where e.status < 500 {
            throw AWSError(code: "InvalidParameterValueException", message: "The role defined for the function cannot be assumed by Lambda.",
                           status: 400, extra: ["Type": "User"])
        }
        guard let c = out["Credentials"], let id = c.string("AccessKeyId"), let secret = c.string("SecretAccessKey"),
            let token = c.string("SessionToken")
        else { throw AWSError.internalFailure("AssumeRole answered without credentials") }
        return RoleCredentials(accessKeyId: id, secret: secret, token: token,
                               principalArn: out["AssumedRoleUser"]?.string("Arn") ?? role,
                               userId: out["AssumedRoleUser"]?.string("AssumedRoleId") ?? "")
    }

    /// The role's session for writing logs, reused until ten minutes before its hour is up.
    func logCredentials(_ role: String, _ context: RequestContext) async throws -> RoleCredentials {
        let now = clock.now()
        if let cached = logSessions.withLock({ $0[role] }), cached.renewAt > now { return cached.credentials }
        let fresh = try await roleCredentials(role, context)
        logSessions.withLock { $0[role] = (credentials: fresh, renewAt: now + 3000) }
        return fresh
    }

    /// The invocation's log lines to CloudWatch Logs as the execution role, as AWS sends them:
    /// without `logs:CreateLogStream`/`PutLogEvents` on the group, the role's logs are lost.
    func sendLogs(_ text: String, group: String, stream: String, role: String, key: FunctionKey, context: RequestContext) async {
        guard let creds = try? await logCredentials(role, context) else { return }
        var ctx = context
        ctx.accountId = key.accountId
        ctx.region = key.region
        ctx.principalArn = creds.principalArn
        ctx.userId = creds.userId
        ctx.accessKeyId = creds.accessKeyId
        func call(_ op: String, _ input: Value) async throws {
            _ = try await invoker.invoke(InternalCall(service: "logs", operation: op, input: input, onBehalfOf: ctx, via: nil))
        }
        _ = try? await call("CreateLogGroup", ["logGroupName": .string(group)])
        _ = try? await call("CreateLogStream", ["logGroupName": .string(group), "logStreamName": .string(stream)])
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let events: [Value] = text.split(separator: "\n", omittingEmptySubsequences: true).map {
            ["timestamp": .integer(now), "message": .string(String($0))]
        }
        _ = try? await call("PutLogEvents", ["logGroupName": .string(group), "logStreamName": .string(stream), "logEvents": .list(events)])
    }
}
